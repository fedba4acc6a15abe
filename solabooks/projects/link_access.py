"""Opening and renewing project links: bookkeeping on a view, and Request access on an
expired project share or time-approval link (decided after the answer, sharing.tasks)."""

from django.db import transaction
from django.utils import timezone

from solabooks.activity.accesslog import RowUpdate
from solabooks.activity.models import Verb
from solabooks.activity.services import Actor, log_access, record_activity
from solabooks.sharing.models import SecureLink
from solabooks.sharing.selectors import LinkState, link_state
from solabooks.sharing.services import mint_link

from . import emails


def record_project_link_access(*, link: SecureLink, actor: Actor) -> None:
    """Record that the customer opened a project or approval link. Bookkeeping only, like a
    document link's view: nothing is used up and nothing changes state."""
    now = timezone.now()
    link.last_used_at = now
    log_access(
        organization_id=link.organization_id,
        project_id=link.project_id,
        customer_id=link.customer_id,
        verb=Verb.VIEWED,
        actor=actor,
        details={"link_id": link.pk, "purpose": link.purpose},
        row_updates=(RowUpdate(SecureLink, link.pk, "last_used_at", now),),
    )


@transaction.atomic
def request_project_link_access(*, link: SecureLink, actor: Actor) -> SecureLink | None:
    """Request access on an expired project or approval link: a fresh link to the same
    project (or request) goes to the customer's email on file. None when nothing was sent
    (the link still works, or it cannot be renewed); the business sees which in Activity."""
    link = (
        SecureLink.objects.select_for_update(of=("self",))
        .select_related(
            "customer", "project__customer", "project__organization", "approval_request"
        )
        .get(pk=link.pk)
    )
    project = link.project
    if project is None:
        return None
    state = link_state(link)
    fresh = None
    if state is LinkState.EXPIRED and project.customer.email:
        issued = mint_link(
            organization=project.organization,
            customer=project.customer,
            purpose=link.purpose,
            project=project,
            approval_request=link.approval_request,
            actor=actor,
        )
        emails.queue_fresh_project_link(
            project=project, link=issued.link, raw_token=issued.raw_token
        )
        fresh = issued.link
    details = {"link_id": link.pk, "outcome": "renewed" if fresh else state.value}
    if fresh:
        details.update(new_link_id=fresh.pk, sent_to=fresh.sent_to)
    record_activity(
        organization=project.organization,
        project=project,
        customer=link.customer,
        verb=Verb.ACCESS_REQUESTED,
        actor=actor,
        details=details,
    )
    return fresh
