"""Setup and password-reset links: 60 minutes, single use, only the SHA-256 kept.

A token's validity follows from state (Django's `PasswordResetTokenGenerator` idea): it
carries a fingerprint of the password hash and the access's epoch at issue, so setting a
password or disabling / re-enabling access makes every older link stop working by itself.
"""

import datetime
import enum
from dataclasses import dataclass

from django.utils import timezone

from solabooks.core import onetime

from .models import AccessState, PortalAccess, PortalToken, PortalUser, TokenPurpose

# The guide: "The customer gets an email with a 60-minute setup link." Reset links too.
PORTAL_LINK_LIFETIME = datetime.timedelta(minutes=60)


def password_fingerprint(portal_user: PortalUser) -> str:
    """A keyed digest of the password hash: changes whenever the password does."""
    return onetime.password_fingerprint(
        portal_user.password, salt="solabooks.portal.password-fingerprint"
    )


class TokenStatus(enum.Enum):
    VALID = "valid"
    USED = "used"
    EXPIRED = "expired"
    # A newer link was sent, or the password / access changed since this one was issued.
    SUPERSEDED = "superseded"
    # The business turned access off (or the customer's email changed): not renewable.
    REVOKED = "revoked"


RENEWABLE = frozenset({TokenStatus.USED, TokenStatus.EXPIRED, TokenStatus.SUPERSEDED})


@dataclass(frozen=True)
class IssuedToken:
    token: PortalToken
    # Only in memory, on its way into an email; never stored, logged or returned by a page.
    raw_token: str


def access_is_usable(access: PortalAccess, portal_user: PortalUser) -> bool:
    """An access that can still be signed in to (or set up): not disabled, and still for
    the customer's email on file (a changed email turns the old address's access off)."""
    return (
        access.state != AccessState.DISABLED
        and access.portal_user_id == portal_user.pk
        and access.customer.email.strip().lower() == portal_user.email
    )


def issue_token(
    *, portal_user: PortalUser, purpose: str, access: PortalAccess | None
) -> IssuedToken:
    """A new link; every unused link of the same purpose for this person is superseded.

    Runs in the caller's transaction.
    """
    now = timezone.now()
    PortalToken.objects.filter(
        portal_user=portal_user, purpose=purpose, used_at__isnull=True, superseded_at__isnull=True
    ).update(superseded_at=now)
    raw_token = onetime.new_raw_token()
    token = PortalToken.objects.create(
        portal_user=portal_user,
        access=access,
        purpose=purpose,
        token_hash=onetime.hash_token(raw_token),
        password_fingerprint=password_fingerprint(portal_user),
        access_epoch=access.session_epoch if access is not None else None,
        created_at=now,
        expires_at=now + PORTAL_LINK_LIFETIME,
    )
    return IssuedToken(token=token, raw_token=raw_token)


def find_token(raw_token: str, *, purpose: str, for_update: bool = False) -> PortalToken | None:
    """The token row for a raw token of this purpose, or None. Malformed input finds none."""
    token_hash = onetime.lookup_hash(raw_token)
    if token_hash is None:
        return None
    rows = PortalToken.objects.select_related(
        "portal_user", "access__customer", "access__organization"
    )
    if for_update:
        rows = rows.select_for_update(of=("self",))
    return rows.filter(token_hash=token_hash, purpose=purpose).first()


def token_status(token: PortalToken) -> TokenStatus:
    user, access = token.portal_user, token.access
    if token.purpose == TokenPurpose.SETUP and (
        access is None or not access_is_usable(access, user)
    ):
        return TokenStatus.REVOKED
    if token.used_at is not None:
        return TokenStatus.USED
    if token.superseded_at is not None:
        return TokenStatus.SUPERSEDED
    if token.password_fingerprint != password_fingerprint(user):
        return TokenStatus.SUPERSEDED
    if token.purpose == TokenPurpose.SETUP and token.access_epoch != access.session_epoch:
        return TokenStatus.SUPERSEDED
    if timezone.now() >= token.expires_at:
        return TokenStatus.EXPIRED
    return TokenStatus.VALID
