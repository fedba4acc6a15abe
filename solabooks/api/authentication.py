import hashlib
import hmac

from django.utils import timezone
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from solabooks.tenancy.models import ApiKey

KEY_PREFIX = "sb_"


def hash_api_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


class APIKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer <key>`. Looked up by hash, so every wrong key costs the same."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.startswith(f"{self.keyword} "):
            return None
        raw_key = header[len(self.keyword) + 1 :].strip()
        digest = hash_api_key(raw_key)
        key = ApiKey.objects.select_related("organization").filter(key_hash=digest).first()
        if (
            key is None
            or key.revoked_at is not None
            or not hmac.compare_digest(key.key_hash, digest)
        ):
            raise AuthenticationFailed("Invalid API key.")
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
        request._request.api_organization = key.organization
        request._request.api_key = key
        return (None, key)

    def authenticate_header(self, request) -> str:
        return self.keyword
