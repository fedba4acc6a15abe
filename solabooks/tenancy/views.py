from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from solabooks.activity.models import Activity
from solabooks.core import ratelimit
from solabooks.documents.selectors import receivables_by_currency

from .forms import StaffLoginForm
from .middleware import SESSION_KEY
from .models import Membership
from .permissions import StaffViewMixin

STAFF_LOGIN_LIMIT = ratelimit.Limit("staff-login", max_hits=10, window_seconds=15 * 60)


def staff_login(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = StaffLoginForm(request, data=request.POST or None)
    if request.method == "POST":
        verdict = ratelimit.is_blocked(STAFF_LOGIN_LIMIT, request.client_ip)
        if not verdict.allowed:
            minutes = -(-verdict.retry_after // 60)
            form.add_error(None, f"Too many sign-in attempts. Try again in {minutes} minutes.")
            return render(request, "tenancy/login.html", {"form": form}, status=429)
        if form.is_valid():
            login(request, form.user)
            return redirect(request.GET.get("next") if _safe_next(request) else "dashboard")
        ratelimit.hit(STAFF_LOGIN_LIMIT, request.client_ip)
    return render(request, "tenancy/login.html", {"form": form})


def _safe_next(request: HttpRequest) -> bool:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.GET.get("next")
    return bool(target) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


@require_POST
def staff_logout(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("staff-login")


@require_POST
def switch_organization(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("staff-login")
    try:
        wanted = int(request.POST.get("organization", ""))
    except ValueError:
        wanted = None
    membership = Membership.objects.filter(user=request.user, organization_id=wanted).first()
    if membership is None:
        messages.error(request, "You are not a member of that business.")
    else:
        request.session[SESSION_KEY] = membership.organization_id
        messages.success(request, f"Now working in {membership.organization.name}.")
    return redirect("dashboard")


def no_organization(request: HttpRequest) -> HttpResponse:
    return render(request, "tenancy/no_organization.html", status=403)


class DashboardView(StaffViewMixin, TemplateView):
    template_name = "tenancy/dashboard.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            receivables=receivables_by_currency(organization=self.org),
            recent_activity=Activity.objects.for_org(self.org).select_related(
                "document", "customer"
            )[:15],
            **kwargs,
        )
