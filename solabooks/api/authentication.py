"""API authentication: organization API keys (`Authorization: Bearer <key>`) and staff sessions.

A key is looked up by its SHA-256 only, so the database never holds a usable key and every
presented key, right or wrong, costs one hash and one indexed lookup. Missing, unknown and
revoked keys all end in the same 401 body (see errors.py), and a request with no
credentials at all does the same lookup work (`spend_equal_effort`), so neither the body
nor the timing tells an unknown key from a revoked one or from none.

The lookup runs on every call, so it is a prepared statement (core.prepared): the key and its
business in one row, built and compiled by the ORM once per database.
"""

import datetime
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.utils import timezone
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from solabooks.core.prepared import (
    PreparedQuery,
    RelatedColumns,
    column_paths,
    concrete_attnames,
    instances_from_db,
)
from solabooks.tenancy.models import ApiKey, Organization

KEY_PREFIX = "sb_"
# last_used_at is a "when did this key last do anything" hint for the owner's key list; a
# write on every GET would make each read a write (and serialize SQLite writers), so it is
# refreshed at most once per this interval.
LAST_USED_RESOLUTION = datetime.timedelta(seconds=60)
INVALID_CREDENTIALS = "Authentication credentials were not provided or are not valid."


def hash_api_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class ApiKeyPrincipal:
    """`request.user` for a key-authenticated call: the key acts, not the staff member who
    created it (who may since have left the business)."""

    api_key: ApiKey
    is_authenticated: bool = True
    is_anonymous: bool = False
    is_active: bool = True
    pk: None = None

    def __str__(self) -> str:
        return key_label(self.api_key)


def key_label(api_key: ApiKey) -> str:
    """How a key is named in activity: its public prefix, never the key."""
    return f"key {KEY_PREFIX}{api_key.prefix}"


_KEY_COLUMNS: RelatedColumns = (
    (ApiKey, "", concrete_attnames(ApiKey)),
    (Organization, "organization__", concrete_attnames(Organization)),
)
_KEY_BY_HASH = PreparedQuery(
    lambda key_hash: (
        ApiKey.objects.filter(key_hash=key_hash)
        .values_list(*column_paths(_KEY_COLUMNS))
        .order_by()[:1]
    ),
    key_hash=str,
)


def _find_key(digest: str) -> ApiKey | None:
    """The key with this hash and its business (loaded), or None."""
    row = _KEY_BY_HASH.first(key_hash=digest)
    if row is None:
        return None
    key, organization = instances_from_db(_KEY_COLUMNS, row)
    key.organization = organization
    return key


def spend_equal_effort() -> None:
    """The work a wrong key costs, for requests that carried no key at all."""
    _find_key(hash_api_key(secrets.token_urlsafe(32)))


class APIKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer <key>`. Looked up by hash, so every wrong key costs the same."""

    keyword = "bearer"

    def authenticate(self, request: Request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, raw_key = header.partition(" ")
        if scheme.lower() != self.keyword:
            # Not ours: let the session authenticator try; no credentials at all is a 401
            # raised later, after the same lookup work (see spend_equal_effort).
            return None
        digest = hash_api_key(raw_key.strip())
        key = _find_key(digest)
        if (
            key is None
            or key.revoked_at is not None
            or not hmac.compare_digest(key.key_hash, digest)
        ):
            raise AuthenticationFailed(INVALID_CREDENTIALS)
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
            key.last_used_at = now
        # request.auth is the key (ApiView reads the key and its business from it).
        return (ApiKeyPrincipal(api_key=key), key)

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) with `WWW-Authenticate: Bearer`.
        return 'Bearer realm="api"'


class StaffSessionAuthentication(SessionAuthentication):
    """A signed-in staff member's browser session (with CSRF on unsafe methods). The
    business is the one the session is switched to, set by CurrentOrganizationMiddleware
    through the user's own membership (ApiView reads it once this authenticated the call)."""
