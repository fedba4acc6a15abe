"""The customer's own portal account: set up (from staff's invitation or from a secure
link), forgotten and changed passwords, a fresh link for an expired one, and unlocking a
paused sign-in. One transaction each, with its Activity where the business should see it.
"""

from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from solabooks.activity.models import Verb
from solabooks.activity.services import Actor, record_activity
from solabooks.core import ratelimit, signin
from solabooks.core.errors import DomainError
from solabooks.core.passwords import MAX_PASSWORD_LENGTH
from solabooks.customers.models import Customer
from solabooks.notifications.services import note_portal_set_up

from . import emails
from .auth import SIGN_IN_LIMITS, normalize_email
from .models import AccessState, PortalAccess, PortalToken, PortalUser, TokenPurpose
from .services import (
    change_access_state,
    grant_access,
    lock_access,
    lock_customer,
    lock_portal_user,
    send_reset_email,
    send_setup_email,
)
from .tokens import TokenStatus, access_is_usable, find_token, issue_token, token_status

# Passwords: Django's validators from settings (core.passwords), plus a ceiling so nobody
# makes the server hash megabytes.
# Customer-triggered emails (fresh link, forgot password, set up from a secure link): per
# account, silently; views also limit them per client address with a visible message.
CUSTOMER_EMAILS_PER_ACCOUNT = ratelimit.Limit(
    "portal-customer-email", max_hits=3, window_seconds=3600
)
CUSTOMER_EMAILS_PER_CLIENT = ratelimit.Limit(
    "portal-customer-email-client", max_hits=10, window_seconds=3600
)
# Wrong current passwords on the settings page, per portal user.
CURRENT_PASSWORD_GUESSES = ratelimit.Limit(
    "portal-current-password", max_hits=5, window_seconds=15 * 60
)

TOKEN_REFUSALS = {
    TokenStatus.USED: "This link has already been used.",
    TokenStatus.EXPIRED: "This link has expired.",
    TokenStatus.SUPERSEDED: "This link has been replaced by a newer one.",
    TokenStatus.REVOKED: "This link is no longer valid.",
}


def _customer_email_allowed(*, account: str, actor: Actor) -> bool:
    """Count a customer-triggered email per account; False (send nothing, say nothing)
    when over. The pages count per client address themselves, with a visible answer."""
    return ratelimit.hit(CUSTOMER_EMAILS_PER_ACCOUNT, account).allowed


@transaction.atomic
def start_portal_setup_from_link(*, customer: Customer, actor: Actor) -> None:
    """The secure link's "Set up an account": the same flow, for the email on file.

    Neutral (the caller says the same thing whatever happened) and rate limited. Nothing is
    sent when the business does not allow it, when staff disabled the access (only staff
    turn it back on), or when the customer already has active access.
    """
    customer = lock_customer(customer)
    if not customer.organization.allow_portal_setup_from_link or not customer.email:
        return None
    if not _customer_email_allowed(account=f"customer:{customer.pk}", actor=actor):
        return None
    access = lock_access(customer)
    if access is None:
        grant_access(customer=customer, access=None, actor=actor, via="secure link")
    elif access.state == AccessState.INVITED and access_is_usable(access, access.portal_user):
        if access.portal_user.has_password:
            grant_access(customer=customer, access=access, actor=actor, via="secure link")
        else:
            send_setup_email(access=access, actor=actor)
    return None


def _first_usable(
    portal_user: PortalUser, *, prefer: PortalAccess | None, states
) -> PortalAccess | None:
    if prefer is not None and prefer.state in states and access_is_usable(prefer, portal_user):
        return prefer
    accesses = (
        PortalAccess.objects.select_related("customer", "organization")
        .filter(portal_user=portal_user, state__in=states)
        .order_by("organization__name", "pk")
    )
    return next((a for a in accesses if access_is_usable(a, portal_user)), None)


def _email_a_way_in(*, portal_user: PortalUser, prefer: PortalAccess | None, actor: Actor) -> None:
    """Forgot password / new link: a reset link when the person has a password, else a
    setup link for a pending invitation. Nothing when no business gives them access."""
    if portal_user.has_password:
        access = _first_usable(portal_user, prefer=prefer, states=(AccessState.ACTIVE,))
        if access is not None:
            send_reset_email(access=access, portal_user=portal_user)
        return
    access = _first_usable(portal_user, prefer=prefer, states=(AccessState.INVITED,))
    if access is not None:
        access = (
            PortalAccess.objects.select_for_update(of=("self",))
            .select_related("portal_user", "customer", "organization")
            .get(pk=access.pk)
        )
        send_setup_email(access=access, actor=actor)


@transaction.atomic
def request_password_reset(*, email: str, actor: Actor) -> None:
    """Forgot password: a 60-minute reset link to that address if it has an account.

    The caller answers the same neutral sentence whatever happened.
    """
    email = normalize_email(email)
    # Counted before the lookup, so the limit behaves the same for unknown emails.
    if not _customer_email_allowed(account=f"email:{email}", actor=actor):
        return None
    portal_user = PortalUser.objects.filter(email=email).first()
    if portal_user is not None:
        _email_a_way_in(portal_user=lock_portal_user(portal_user), prefer=None, actor=actor)
    return None


@transaction.atomic
def request_new_link(*, token_id: int, actor: Actor) -> None:
    """ "Request a new link" on a used, expired or replaced setup / reset page: a fresh
    60-minute link to the address on file. Neutral; nothing for a revoked access.

    Takes the token row's id, never the raw token: it runs as a background task, whose
    arguments are stored."""
    token = (
        PortalToken.objects.select_related(
            "portal_user", "access__customer", "access__organization"
        )
        .filter(pk=token_id)
        .first()
    )
    if token is None or token_status(token) not in (
        TokenStatus.USED,
        TokenStatus.EXPIRED,
        TokenStatus.SUPERSEDED,
    ):
        return None
    portal_user = token.portal_user
    if not _customer_email_allowed(account=f"email:{portal_user.email}", actor=actor):
        return None
    _email_a_way_in(portal_user=lock_portal_user(portal_user), prefer=token.access, actor=actor)
    return None


@transaction.atomic
def email_unlock_link(*, email: str) -> None:
    """Sign-in was just paused after 100 consecutive failures (core.signin): email the
    account's owner a link to resume it. Nothing for an email without an account (the
    sign-in page said the same thing either way)."""
    portal_user = PortalUser.objects.filter(email=normalize_email(email)).first()
    if portal_user is None or not portal_user.has_password:
        return None
    access = _first_usable(portal_user, prefer=None, states=(AccessState.ACTIVE,))
    if access is None:
        return None
    issued = issue_token(portal_user=portal_user, purpose=TokenPurpose.UNLOCK, access=access)
    emails.queue_unlock(
        access=access,
        portal_user=portal_user,
        raw_token=issued.raw_token,
        failures=signin.MAX_CONSECUTIVE_FAILURES,
    )
    return None


@transaction.atomic
def unlock_sign_in(*, raw_token: str) -> PortalToken:
    """Follow the emailed unlock link (once): the consecutive failures are forgotten."""
    token = _claim_token(raw_token=raw_token, purpose=TokenPurpose.UNLOCK)
    token.used_at = timezone.now()
    token.save(update_fields=["used_at"])
    signin.unlock(SIGN_IN_LIMITS, token.portal_user.email)
    return token


def validate_new_password(password: str, *, portal_user: PortalUser) -> None:
    if len(password) > MAX_PASSWORD_LENGTH:
        raise DomainError(f"A password can be at most {MAX_PASSWORD_LENGTH} characters.")
    try:
        password_validation.validate_password(password, user=portal_user)
    except ValidationError as error:
        raise DomainError(" ".join(error.messages), code="weak_password") from None


def _set_password(portal_user: PortalUser, password: str) -> None:
    portal_user.password = make_password(password)
    portal_user.password_changed_at = timezone.now()
    portal_user.save(update_fields=["password", "password_changed_at"])


def _activate_invitations(*, portal_user: PortalUser, actor: Actor) -> None:
    """Choosing a password proves the person holds the email: every business that invited
    that email (and still does) now has an active account, not a second password."""
    invited = (
        PortalAccess.objects.select_for_update(of=("self",))
        .select_related("customer", "organization")
        .filter(portal_user=portal_user, state=AccessState.INVITED)
    )
    for access in invited:
        if not access_is_usable(access, portal_user):
            continue
        invited_by = access.changed_by  # the member who enabled it, before it is overwritten
        change_access_state(access, state=AccessState.ACTIVE, actor=actor)
        access.save()
        record_activity(
            organization=access.organization,
            customer=access.customer,
            verb=Verb.PORTAL_ACTIVATED,
            actor=actor,
            details={"to": portal_user.email},
        )
        note_portal_set_up(access=access, invited_by=invited_by, at=access.changed_at)


def _claim_token(*, raw_token: str, purpose: str) -> PortalToken:
    """The token row under lock (with its access and person locked in that order), if valid."""
    token = find_token(raw_token, purpose=purpose, for_update=True)
    if token is None:
        raise DomainError(TOKEN_REFUSALS[TokenStatus.REVOKED], code="unknown")
    if token.access_id is not None:
        token.access = (
            PortalAccess.objects.select_for_update(of=("self",))
            .select_related("customer", "organization")
            .get(pk=token.access_id)
        )
    token.portal_user = lock_portal_user(token.portal_user)
    status = token_status(token)
    if status is not TokenStatus.VALID:
        raise DomainError(TOKEN_REFUSALS[status], code=status.value)
    return token


@transaction.atomic
def complete_setup(*, raw_token: str, password: str, actor: Actor) -> PortalAccess:
    """Choose a password on a setup link (once): the account is set up and active."""
    token = _claim_token(raw_token=raw_token, purpose=TokenPurpose.SETUP)
    portal_user = token.portal_user
    validate_new_password(password, portal_user=portal_user)
    _set_password(portal_user, password)
    token.used_at = timezone.now()
    token.save(update_fields=["used_at"])
    signin.unlock(SIGN_IN_LIMITS, portal_user.email)
    _activate_invitations(portal_user=portal_user, actor=actor)
    access = token.access
    access.refresh_from_db()
    return access


@transaction.atomic
def reset_password(*, raw_token: str, password: str, actor: Actor) -> PortalToken:
    """Choose a new password on a reset link (once). Every existing session ends, and
    sign-in resumes if it was paused after too many failures."""
    token = _claim_token(raw_token=raw_token, purpose=TokenPurpose.RESET)
    validate_new_password(password, portal_user=token.portal_user)
    _set_password(token.portal_user, password)
    token.used_at = timezone.now()
    token.save(update_fields=["used_at"])
    signin.unlock(SIGN_IN_LIMITS, token.portal_user.email)
    _activate_invitations(portal_user=token.portal_user, actor=actor)
    return token


def change_password(
    *, portal_user: PortalUser, current_password: str, new_password: str
) -> PortalUser:
    """Settings > change password. Needs the current one; the caller keeps its own session
    (every other session of this person ends, their fingerprint no longer matching).

    Wrong current passwords are counted outside the transaction that stores the new one,
    so a refusal (which rolls that back) cannot roll the count back too."""
    subject = str(portal_user.pk)
    if not ratelimit.hit(CURRENT_PASSWORD_GUESSES, subject).allowed:
        raise DomainError("Too many attempts. Try again in a few minutes.", code="throttled")
    portal_user = PortalUser.objects.get(pk=portal_user.pk)
    if len(current_password) > MAX_PASSWORD_LENGTH or not check_password(
        current_password, portal_user.password
    ):
        raise DomainError("Your current password is not correct.", code="wrong_password")
    ratelimit.undo_hit(CURRENT_PASSWORD_GUESSES, subject)
    return _store_new_password(portal_user=portal_user, password=new_password)


@transaction.atomic
def _store_new_password(*, portal_user: PortalUser, password: str) -> PortalUser:
    portal_user = lock_portal_user(portal_user)
    validate_new_password(password, portal_user=portal_user)
    _set_password(portal_user, password)
    return portal_user
