"""Staff previews: a customer's page opened by a signed-in member of the business.

A business's staff often open the link they just sent, or a portal page, to see what the
customer sees. Such a visit is not the customer's: it must not set the document's
"viewed" flag nor count as a customer view (the business relies on both). It is recorded
as PREVIEWED, with the staff member as the actor, and the page says it is a preview.

Only a member of the SAME business previews: a staff member of another business is any
visitor. The check costs nothing without a staff session: AuthenticationMiddleware's user
is already resolved by StaffSessionLifetimeMiddleware (no session cookie: no query), and
the current business's membership by CurrentOrganizationMiddleware.
"""

from django.http import HttpRequest

from solabooks.activity.models import ActorType, Verb
from solabooks.activity.services import Actor, log_access
from solabooks.core.middleware import request_origin

from .models import Membership, User

PREVIEW_BANNER = "You are previewing what the customer sees"
# The customer's other buttons on a link page: each would email the customer as if they
# had asked. Staff have their own way to do each.
STAFF_CANNOT_REQUEST_ACCESS = (
    "Request access is the customer's button, and it emails them a new link. To give them "
    "one, send the document again from its page."
)
STAFF_CANNOT_SET_UP_ACCOUNT = (
    "Set up an account is the customer's button, and it emails them an invitation. To give "
    "them portal access, use the Portal Access tab on the customer's page."
)
STAFF_CANNOT_DECIDE = (
    "Staff cannot decide for the customer here; use Mark accepted or Mark declined on "
    "the quote page."
)


def previewing_staff(request: HttpRequest, *, organization_id: int) -> User | None:
    """The signed-in staff member of business `organization_id` behind this request, or
    None (no staff session, or a member of other businesses only)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    current = getattr(request, "organization", None)
    if current is not None and current.pk == organization_id:
        return user
    # A member of several businesses may have another one selected: still this one's staff.
    if Membership.objects.filter(user=user, organization_id=organization_id).exists():
        return user
    return None


def preview_actor(request: HttpRequest, user: User) -> Actor:
    """The staff member previewing, as Activity records them ("Previewed by <name>")."""
    return Actor(
        type=ActorType.STAFF, user=user, label=user.display_name, **request_origin(request)
    )


def record_preview(
    *,
    actor: Actor,
    organization_id: int,
    document_id: int | None = None,
    customer_id: int | None = None,
    project_id: int | None = None,
    details: dict | None = None,
) -> None:
    """A staff preview of a customer page: an access record only (the access log, like a
    customer's view), with no bookkeeping: the document stays un-viewed."""
    log_access(
        organization_id=organization_id,
        verb=Verb.PREVIEWED,
        actor=actor,
        document_id=document_id,
        customer_id=customer_id,
        project_id=project_id,
        details=details,
    )


def refusal_for(operation: str) -> str:
    """What a staff preview answers to one of the customer's buttons (the form's `op`)."""
    return {
        "request_access": STAFF_CANNOT_REQUEST_ACCESS,
        "setup_account": STAFF_CANNOT_SET_UP_ACCOUNT,
    }.get(operation, STAFF_CANNOT_DECIDE)
