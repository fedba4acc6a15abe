"""Per-key rate limit, counted in the shared cache (solabooks.core.ratelimit), so every app
server behind the load balancer counts against the same budget (one round trip on Redis)."""

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from solabooks.core.ratelimit import Limit, hit

# Requests per window for one API key (or one staff member's session in one business).
DEFAULT_RATE = (600, 60)


def api_limit() -> Limit:
    # Read on every call, so deployments (and tests) can change it through settings.
    max_hits, window = getattr(settings, "SOLABOOKS_API_RATE_LIMIT", DEFAULT_RATE)
    return Limit("api", max_hits, window)


class ApiRateThrottle(BaseThrottle):
    """429 with Retry-After once a key has used its budget for the current window."""

    def __init__(self) -> None:
        self.retry_after: int | None = None

    def allow_request(self, request: Request, view) -> bool:
        verdict = hit(api_limit(), self.subject(request))
        self.retry_after = None if verdict.allowed else verdict.retry_after
        return verdict.allowed

    @staticmethod
    def subject(request: Request) -> str:
        api_key = getattr(request, "api_key", None)
        if api_key is not None:
            return f"key:{api_key.pk}"
        organization = getattr(request, "api_organization", None)
        user_pk = getattr(request.user, "pk", None)
        return f"session:{user_pk}:{getattr(organization, 'pk', None)}"

    def wait(self) -> int | None:
        return self.retry_after
