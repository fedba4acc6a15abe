"""Records of what a signed-in customer does in the portal: signing in, opening and
downloading documents, viewing payments and projects. Deferred access records (log_access),
written by the access log outside the request's transaction.
"""

from django.db import transaction
from django.utils import timezone

from solabooks.activity.models import ActorType, Verb
from solabooks.activity.services import Actor, log_access, record_activity
from solabooks.core.errors import DomainError
from solabooks.documents.models import Document
from solabooks.documents.services import first_view_update
from solabooks.tenancy.previews import record_preview

from .auth import PortalSession
from .models import PortalUser


def portal_actor(*, portal_user: PortalUser, ip: str | None, user_agent: str, access=None) -> Actor:
    extra = {"portal_access_id": access.pk} if access is not None else {}
    return Actor(
        type=ActorType.PORTAL,
        label=portal_user.email,
        ip=ip,
        user_agent=user_agent,
        extra=extra,
    )


def _staff_preview(actor: Actor) -> bool:
    """A page opened in a browser that also holds a staff session of this business: the
    views' actor is then that staff member (views/pages._actor), and what happens is their
    preview, never the customer's view (tenancy/previews.py)."""
    return actor.type == ActorType.STAFF


@transaction.atomic
def record_sign_in(*, session: PortalSession, actor: Actor) -> None:
    record_activity(
        organization=session.organization,
        customer=session.customer,
        verb=Verb.PORTAL_SIGNED_IN,
        actor=actor,
        details={"portal_access_id": session.access.pk},
    )


def record_document_access(
    *, session: PortalSession, document: Document, verb: str, actor: Actor
) -> None:
    """A view or PDF download by the signed-in customer: bookkeeping only, written by the
    access log (activity.accesslog) like a link page's. The first customer view sets the
    document's "viewed" flag."""
    if document.customer_id != session.customer.pk:
        raise DomainError("That document is not yours.")
    if _staff_preview(actor):
        record_preview(
            actor=actor,
            organization_id=session.organization.pk,
            document_id=document.pk,
            customer_id=document.customer_id,
            details={"portal_access_id": session.access.pk, "access": verb},
        )
        return
    updates = first_view_update(document=document, at=timezone.now()) if verb == Verb.VIEWED else ()
    log_access(
        organization_id=session.organization.pk,
        document_id=document.pk,
        customer_id=document.customer_id,
        verb=verb,
        actor=actor,
        details={"portal_access_id": session.access.pk},
        row_updates=updates,
    )


def record_payment_view(*, session: PortalSession, payment, actor: Actor) -> None:
    if payment.customer_id != session.customer.pk:
        raise DomainError("That payment is not yours.")
    log_access(
        organization_id=session.organization.pk,
        customer_id=session.customer.pk,
        verb=Verb.PREVIEWED if _staff_preview(actor) else Verb.VIEWED,
        actor=actor,
        details={"portal_access_id": session.access.pk, "payment_id": payment.pk},
    )


def record_project_view(
    *, session: PortalSession, project, actor: Actor, approval_request=None
) -> None:
    """The signed-in customer opened a project or an approval request: bookkeeping only,
    in the project's Activity as a link page's view is (projects.approvals)."""
    if project.customer_id != session.customer.pk:
        raise DomainError("That project is not yours.")
    details = {"portal_access_id": session.access.pk}
    if approval_request is not None:
        details["request_id"] = approval_request.pk
    log_access(
        organization_id=session.organization.pk,
        project_id=project.pk,
        customer_id=session.customer.pk,
        verb=Verb.PREVIEWED if _staff_preview(actor) else Verb.VIEWED,
        actor=actor,
        details=details,
    )
