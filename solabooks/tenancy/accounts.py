"""Staff accounts: signing in, choosing and changing a password, unlocking sign-in.

The services of a staff member's own account (the business's services are in services.py).
Emailed links are `StaffToken`s: 256 random bits, only the SHA-256 stored, single use, and
dead once a newer link of the same purpose was sent or the password changed. The emails
come from Solabooks itself (no business's branding: a person may belong to several).

Sign-in goes through core.signin like the portal's: per (account, client) and per client,
counted atomically before the password check, and 100 consecutive failures pause the
account until the emailed unlock link or a password reset.
"""

import datetime
import enum
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from solabooks.core import onetime, ratelimit, signin
from solabooks.core.errors import DomainError
from solabooks.core.passwords import MAX_PASSWORD_LENGTH

from .models import StaffToken, StaffTokenPurpose, User

SIGN_IN_LIMITS = signin.limits_for("staff")
LIFETIMES = {
    StaffTokenPurpose.RESET: datetime.timedelta(minutes=60),
    StaffTokenPurpose.UNLOCK: datetime.timedelta(minutes=60),
    # An invitation waits for the new member to read their email.
    StaffTokenPurpose.SETUP: datetime.timedelta(days=3),
}
EMAIL_TEMPLATES = {
    StaffTokenPurpose.RESET: "staff_password_reset",
    StaffTokenPurpose.UNLOCK: "staff_unlock",
    StaffTokenPurpose.SETUP: "staff_setup",
}
URL_NAMES = {
    StaffTokenPurpose.RESET: "staff-reset",
    StaffTokenPurpose.UNLOCK: "staff-unlock",
    StaffTokenPurpose.SETUP: "staff-setup",
}
# Emails a person can make us send to an address, silently limited per address.
EMAILS_PER_ACCOUNT = ratelimit.Limit("staff-account-email", max_hits=3, window_seconds=3600)
# ... and per client address, with a visible answer (the page counts it).
EMAILS_PER_CLIENT = ratelimit.Limit("staff-account-email-client", max_hits=10, window_seconds=3600)
CURRENT_PASSWORD_GUESSES = ratelimit.Limit(
    "staff-current-password", max_hits=5, window_seconds=15 * 60
)
BAD_CREDENTIALS = "That email and password do not match an account."


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


# --- Signing in -------------------------------------------------------------------------


@dataclass(frozen=True)
class SignIn:
    user: User | None
    error: str = ""
    status: int = 200
    # The failure that paused the account: its owner gets an unlock email (after the answer).
    locked_now: bool = False


def sign_in(*, request: HttpRequest, email: str, password: str) -> SignIn:
    """Check a staff sign-in through the shared throttles. Django's authenticate() hashes
    the password once for an unknown email too, so timing tells nothing."""
    account = normalize_email(email)
    result = signin.guarded_sign_in(
        SIGN_IN_LIMITS,
        account=account,
        client_ip=request.client_ip,
        check=lambda: authenticate(request, email=account, password=password),
    )
    if result.user is not None:
        return SignIn(user=result.user)
    if result.refusal is signin.Refusal.THROTTLED:
        return SignIn(user=None, error=signin.too_many_attempts(result.retry_after), status=429)
    if result.refusal is signin.Refusal.LOCKED:
        return SignIn(
            user=None, error=signin.LOCKED_MESSAGE, status=429, locked_now=result.locked_now
        )
    return SignIn(user=None, error=BAD_CREDENTIALS)


# --- Emailed links ----------------------------------------------------------------------


def _fingerprint(user: User) -> str:
    return onetime.password_fingerprint(user.password, salt="solabooks.staff.password")


def _issue(*, user: User, purpose: str) -> str:
    """A new link of `purpose` for `user` (older unused ones are superseded); the raw token."""
    now = timezone.now()
    StaffToken.objects.filter(
        user=user, purpose=purpose, used_at__isnull=True, superseded_at__isnull=True
    ).update(superseded_at=now)
    raw_token = onetime.new_raw_token()
    StaffToken.objects.create(
        user=user,
        purpose=purpose,
        token_hash=onetime.hash_token(raw_token),
        password_fingerprint=_fingerprint(user),
        created_at=now,
        expires_at=now + LIFETIMES[purpose],
    )
    return raw_token


def _email_link(*, user: User, purpose: str, context: dict | None = None) -> None:
    from solabooks.mail.services import queue_email  # mail builds on every other app

    raw_token = _issue(user=user, purpose=purpose)
    url = settings.BASE_URL + reverse(URL_NAMES[purpose], kwargs={"token": raw_token})
    lifetime = LIFETIMES[purpose]
    queue_email(
        organization=None,
        to=user.email,
        template=EMAIL_TEMPLATES[purpose],
        context={
            "email": user.email,
            "minutes": int(lifetime.total_seconds() // 60),
            "days": lifetime.days,
            "login_url": settings.BASE_URL + reverse("staff-login"),
            "forgot_url": settings.BASE_URL + reverse("staff-forgot-password"),
            **(context or {}),
        },
        secret_url=url,
    )


def _active_user(email: str) -> User | None:
    return User.objects.filter(email__iexact=normalize_email(email), is_active=True).first()


@transaction.atomic
def request_password_reset(*, email: str) -> None:
    """Forgot password (a background task; the page said the same thing for every email):
    a 60-minute link to choose a new password, if the email has an active account."""
    email = normalize_email(email)
    # Counted before the lookup, so the limit behaves the same for unknown emails.
    if not ratelimit.hit(EMAILS_PER_ACCOUNT, email).allowed:
        return None
    user = _active_user(email)
    if user is not None:
        _email_link(user=user, purpose=StaffTokenPurpose.RESET)
    return None


@transaction.atomic
def email_unlock_link(*, email: str) -> None:
    """Sign-in was just paused (core.signin): email the account's owner an unlock link."""
    user = _active_user(email)
    if user is not None and user.has_usable_password():
        _email_link(
            user=user,
            purpose=StaffTokenPurpose.UNLOCK,
            context={"failures": signin.MAX_CONSECUTIVE_FAILURES},
        )
    return None


def email_first_password_link(*, user: User, organization) -> None:
    """A new member added without a password: a link to choose one (in the caller's
    transaction, so the email goes only if the member really was added)."""
    _email_link(
        user=user,
        purpose=StaffTokenPurpose.SETUP,
        context={"business_name": organization.name},
    )


class LinkStatus(enum.Enum):
    VALID = "valid"
    USED = "used"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"


LINK_REFUSALS = {
    LinkStatus.USED: "This link has already been used.",
    LinkStatus.EXPIRED: "This link has expired.",
    LinkStatus.SUPERSEDED: "This link has been replaced by a newer one.",
}


def find_link(raw_token: str, *, purpose: str, for_update: bool = False) -> StaffToken | None:
    token_hash = onetime.lookup_hash(raw_token)
    if token_hash is None:
        return None
    rows = StaffToken.objects.select_related("user")
    if for_update:
        rows = rows.select_for_update(of=("self",))
    token = rows.filter(token_hash=token_hash, purpose=purpose).first()
    if token is None or not token.user.is_active:
        return None
    return token


def link_status(token: StaffToken) -> LinkStatus:
    if token.used_at is not None:
        return LinkStatus.USED
    if token.superseded_at is not None or token.password_fingerprint != _fingerprint(token.user):
        return LinkStatus.SUPERSEDED
    if timezone.now() >= token.expires_at:
        return LinkStatus.EXPIRED
    return LinkStatus.VALID


def _claim(*, raw_token: str, purpose: str) -> StaffToken:
    token = find_link(raw_token, purpose=purpose, for_update=True)
    if token is None:
        raise DomainError("This link is not valid.", code="unknown")
    token.user = User.objects.select_for_update().get(pk=token.user_id)
    status = link_status(token)
    if status is not LinkStatus.VALID:
        raise DomainError(LINK_REFUSALS[status], code=status.value)
    token.used_at = timezone.now()
    token.save(update_fields=["used_at"])
    return token


# --- Passwords --------------------------------------------------------------------------


def validate_new_password(password: str, *, user: User) -> None:
    if len(password) > MAX_PASSWORD_LENGTH:
        raise DomainError(f"A password can be at most {MAX_PASSWORD_LENGTH} characters.")
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as error:
        raise DomainError(" ".join(error.messages), code="weak_password") from None


def _set_password(user: User, password: str) -> None:
    # A new password changes the session hash Django checks on every request: every
    # session signed in before ends (the caller keeps its own, update_session_auth_hash).
    user.set_password(password)
    user.save(update_fields=["password"])
    signin.unlock(SIGN_IN_LIMITS, user.email)


@transaction.atomic
def set_password_from_link(*, raw_token: str, purpose: str, password: str) -> User:
    """Choose a password on an emailed reset or first-password link (once)."""
    if purpose not in (StaffTokenPurpose.RESET, StaffTokenPurpose.SETUP):
        raise DomainError("This link is not valid.", code="unknown")
    token = _claim(raw_token=raw_token, purpose=purpose)
    validate_new_password(password, user=token.user)
    _set_password(token.user, password)
    return token.user


@transaction.atomic
def unlock_sign_in(*, raw_token: str) -> User:
    """Follow the emailed unlock link (once): the consecutive failures are forgotten."""
    token = _claim(raw_token=raw_token, purpose=StaffTokenPurpose.UNLOCK)
    signin.unlock(SIGN_IN_LIMITS, token.user.email)
    return token.user


def change_password(*, user: User, current_password: str, new_password: str) -> User:
    """Your account > change password. Needs the current one; every other session ends.

    Wrong current passwords are counted outside the transaction that stores the new one,
    so a refusal (which rolls that back) cannot roll the count back too."""
    subject = str(user.pk)
    if not ratelimit.hit(CURRENT_PASSWORD_GUESSES, subject).allowed:
        raise DomainError("Too many attempts. Try again in a few minutes.", code="throttled")
    user = User.objects.get(pk=user.pk)
    if len(current_password) > MAX_PASSWORD_LENGTH or not user.check_password(current_password):
        raise DomainError("Your current password is not correct.", code="wrong_password")
    ratelimit.undo_hit(CURRENT_PASSWORD_GUESSES, subject)
    return _store_new_password(user=user, password=new_password)


@transaction.atomic
def _store_new_password(*, user: User, password: str) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    validate_new_password(password, user=user)
    _set_password(user, password)
    return user
