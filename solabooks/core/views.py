from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@never_cache
@require_safe
def health(request: HttpRequest) -> HttpResponse:
    """Liveness for load balancers and the benchmark baseline: no database, no session."""
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")
