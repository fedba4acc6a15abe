from django.contrib import messages
from django.contrib.auth import login, logout
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from solabooks.activity.models import Activity
from solabooks.documents.selectors import receivables_by_currency

from .forms import StaffLoginForm
from .middleware import SESSION_KEY
from .models import Membership
from .permissions import StaffViewMixin

LOGIN_ATTEMPTS = 10
LOGIN_WINDOW_SECONDS = 15 * 60


def staff_login(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = StaffLoginForm(request, data=request.POST or None)
    if request.method == "POST":
        key = f"staff-login:{request.client_ip}"
        attempts = cache.get(key, 0)
        if attempts >= LOGIN_ATTEMPTS:
            form.add_error(None, "Too many sign-in attempts. Try again in 15 minutes.")
            return render(request, "tenancy/login.html", {"form": form}, status=429)
        if form.is_valid():
            cache.delete(key)
            login(request, form.user)
            return redirect(request.GET.get("next") if _safe_next(request) else "dashboard")
        cache.set(key, attempts + 1, LOGIN_WINDOW_SECONDS)
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
