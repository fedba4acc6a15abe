"""Portal access, as staff manage it: enable (after confirming the email on file), resend
the setup email, disable, and what a customer's changed email does to their access. One
transaction each, with its Activity. The customer's own account (setting up, passwords, a
fresh link, unlocking) is in accounts.py; records of what a signed-in customer views are in
access_records.py.
"""

from django.db import transaction
from django.utils import timezone

from solabooks.activity.models import Verb
from solabooks.activity.services import Actor, record_activity
from solabooks.core import ratelimit
from solabooks.core.errors import DomainError
from solabooks.customers.models import Customer

from . import emails
from .auth import normalize_email
from .models import AccessState, PortalAccess, PortalUser, TokenPurpose
from .tokens import access_is_usable, issue_token

# Staff may (re)send a customer's setup email this often.
STAFF_SETUP_EMAILS = ratelimit.Limit("portal-staff-setup-email", max_hits=5, window_seconds=3600)


def lock_customer(customer: Customer) -> Customer:
    return (
        Customer.objects.select_for_update(of=("self",))
        .select_related("organization")
        .get(pk=customer.pk, organization_id=customer.organization_id)
    )


def lock_access(customer: Customer) -> PortalAccess | None:
    return (
        PortalAccess.objects.select_for_update(of=("self",))
        .select_related("portal_user", "customer", "organization")
        .filter(customer=customer, organization_id=customer.organization_id)
        .first()
    )


def lock_portal_user(portal_user: PortalUser) -> PortalUser:
    return PortalUser.objects.select_for_update().get(pk=portal_user.pk)


def change_access_state(access: PortalAccess, *, state: str, actor: Actor) -> None:
    access.state = state
    access.changed_at = timezone.now()
    access.changed_by = actor.saved_user
    access.changed_by_label = (actor.label or "")[:200]
    if state == AccessState.ACTIVE and access.activated_at is None:
        access.activated_at = access.changed_at


def email_on_file(customer: Customer) -> str:
    email = normalize_email(customer.email)
    if not email:
        raise DomainError(f"{customer.name} has no email address on file.")
    return email


def send_setup_email(*, access: PortalAccess, actor: Actor) -> None:
    """A new 60-minute setup link (older ones are superseded), emailed and recorded."""
    issued = issue_token(portal_user=access.portal_user, purpose=TokenPurpose.SETUP, access=access)
    emails.queue_setup(access=access, portal_user=access.portal_user, raw_token=issued.raw_token)
    record_activity(
        organization=access.organization,
        customer=access.customer,
        verb=Verb.PORTAL_SETUP_SENT,
        actor=actor,
        details={"to": access.portal_user.email},
    )


def send_reset_email(*, access: PortalAccess, portal_user: PortalUser) -> None:
    issued = issue_token(portal_user=portal_user, purpose=TokenPurpose.RESET, access=access)
    emails.queue_password_reset(access=access, portal_user=portal_user, raw_token=issued.raw_token)


def grant_access(
    *, customer: Customer, access: PortalAccess | None, actor: Actor, via: str = ""
) -> PortalAccess:
    """Give the customer's email on file access: at once (and a notice) when that email
    already has a portal password, otherwise an invitation with a setup link. A grant
    starts a new session epoch, so nothing from before a Disable comes back to life."""
    email = email_on_file(customer)
    portal_user, _ = PortalUser.objects.get_or_create(email=email)
    portal_user = lock_portal_user(portal_user)
    if access is None:
        access = PortalAccess(organization=customer.organization, customer=customer)
    else:
        access.session_epoch += 1
    access.customer = customer
    access.portal_user = portal_user
    existing_account = portal_user.has_password
    change_access_state(
        access, state=AccessState.ACTIVE if existing_account else AccessState.INVITED, actor=actor
    )
    access.full_clean()
    access.save()
    details = {"to": email, "existing_account": existing_account}
    if via:
        details["via"] = via
    record_activity(
        organization=customer.organization,
        customer=customer,
        verb=Verb.PORTAL_ENABLED,
        actor=actor,
        details=details,
    )
    if existing_account:
        # One person, one password: no second setup, just a notice.
        emails.queue_access_granted(access=access, portal_user=portal_user)
    else:
        send_setup_email(access=access, actor=actor)
    return access


def _staff_email_allowance(customer: Customer) -> None:
    verdict = ratelimit.hit(STAFF_SETUP_EMAILS, f"customer:{customer.pk}")
    if not verdict.allowed:
        minutes = max(1, -(-verdict.retry_after // 60))
        raise DomainError(
            f"Too many portal emails for {customer.name}. Try again in {minutes} minutes."
        )


# --- Staff side -------------------------------------------------------------------------


@transaction.atomic
def enable_portal_access(*, customer: Customer, confirmed_email: str, actor: Actor) -> PortalAccess:
    """Enable Portal Access (also re-enable after Disable), after staff confirm the email.

    The confirmed email must be the one on file: every portal email goes there, never to an
    address typed on a page.
    """
    customer = lock_customer(customer)
    email = email_on_file(customer)
    if normalize_email(confirmed_email) != email:
        raise DomainError(
            f"The email you confirmed does not match the one on file ({email}). "
            "Check it, or edit the customer's email first."
        )
    access = lock_access(customer)
    if access is not None and access_is_usable(access, access.portal_user):
        if access.state == AccessState.ACTIVE:
            raise DomainError(f"Portal access is already active for {email}.")
        raise DomainError(
            f"A setup email has already been sent to {email}. Use Resend setup email to send "
            "a new link."
        )
    _staff_email_allowance(customer)
    return grant_access(customer=customer, access=access, actor=actor)


@transaction.atomic
def resend_portal_setup(*, customer: Customer, actor: Actor) -> PortalAccess:
    """A new 60-minute setup link for an invitation not yet taken up; the old one dies."""
    customer = lock_customer(customer)
    access = lock_access(customer)
    if (
        access is None
        or access.state != AccessState.INVITED
        or not access_is_usable(access, access.portal_user)
    ):
        raise DomainError("There is no pending invitation to resend. Enable Portal Access first.")
    _staff_email_allowance(customer)
    send_setup_email(access=access, actor=actor)
    return access


@transaction.atomic
def disable_portal_access(*, customer: Customer, actor: Actor, reason: str = "") -> PortalAccess:
    """Disable: every session of this access is refused on its next request (the epoch
    moves on), and its outstanding setup links stop working (the state is disabled)."""
    customer = lock_customer(customer)
    access = lock_access(customer)
    if access is None or access.state == AccessState.DISABLED:
        raise DomainError("Portal access is not enabled for this customer.")
    access.session_epoch += 1
    change_access_state(access, state=AccessState.DISABLED, actor=actor)
    access.save()
    record_activity(
        organization=customer.organization,
        customer=customer,
        verb=Verb.PORTAL_DISABLED,
        actor=actor,
        details={"to": access.portal_user.email, **({"reason": reason} if reason else {})},
    )
    return access


@transaction.atomic
def on_customer_email_changed(*, customer: Customer, actor: Actor) -> str | None:
    """SPEC 2: a new email on file turns the old address's portal access off.

    Runs in the caller's transaction (the email change and the disabling commit together).
    Returns the message staff should read, or None when nothing was on.
    """
    access = lock_access(customer)
    if access is None or access.state == AccessState.DISABLED:
        return None
    if access.portal_user.email == normalize_email(customer.email):
        return None
    disable_portal_access(customer=customer, actor=actor, reason="email changed")
    return (
        f"Portal access for {customer.name} was turned off because the email changed. "
        f"Enable Portal Access again to send a setup link to {customer.email}."
    )


# --- Customer side ----------------------------------------------------------------------
