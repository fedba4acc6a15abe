from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from solabooks.activity.selectors import recent_activity
from solabooks.activity.services import Actor
from solabooks.api.authentication import KEY_PREFIX
from solabooks.core.confirm import ask_first
from solabooks.core.errors import DomainError
from solabooks.core.paging import page_of
from solabooks.documents.selectors import overdue_invoices, receivables_by_currency

from . import services
from .confirmations import api_key_revoke_confirmation, member_remove_confirmation
from .forms import (
    ApiKeyForm,
    MemberAddForm,
    MemberRoleForm,
    OrganizationSettingsForm,
    SwitchOrganizationForm,
)
from .middleware import SESSION_KEY
from .models import Membership, Role
from .permissions import StaffViewMixin


@require_POST
def switch_organization(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("staff-login")
    form = SwitchOrganizationForm(request.POST)
    membership = None
    if form.is_valid():
        membership = (
            Membership.objects.filter(
                user=request.user, organization_id=form.cleaned_data["organization"]
            )
            .select_related("organization")
            .first()
        )
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

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(
            receivables=receivables_by_currency(organization=self.org),
            overdue_invoices=overdue_invoices(organization=self.org),
            recent_activity=recent_activity(organization=self.org),
            **kwargs,
        )


# Owner-only pages: settings, members, API keys -----------------------------------------


class OrganizationSettingsView(StaffViewMixin, TemplateView):
    template_name = "tenancy/settings.html"
    required_action = "manage_settings"
    settings_tab = "settings"

    def get_context_data(self, **kwargs) -> dict:
        if "form" not in kwargs:
            org = self.org
            kwargs["form"] = OrganizationSettingsForm(
                initial={field: getattr(org, field) for field in SETTINGS_FIELDS}
                | {"country": str(org.country or "")}
            )
        return super().get_context_data(settings_tab=self.settings_tab, **kwargs)

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # The stored zone is a valid choice even if the list no longer offers it.
        form = OrganizationSettingsForm(
            request.POST, request.FILES, initial={"time_zone": self.org.time_zone}
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.update_organization(
                    organization=self.org,
                    actor=Actor.staff(request),
                    logo=data["logo"] or None,
                    remove_logo=data["remove_logo"],
                    **{field: data[field] for field in SETTINGS_FIELDS},
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, "Settings saved.")
                return redirect("organization-settings")
        return self.render_to_response(self.get_context_data(form=form))


SETTINGS_FIELDS = (
    "name",
    "address",
    "reply_to_email",
    "brand_colour",
    "default_currency",
    "time_zone",
    "paper_size",
    "payment_terms_days",
    "invoice_prefix",
    "quote_prefix",
    "sales_order_prefix",
    "receipt_prefix",
    "credit_note_prefix",
    "allow_portal_setup_from_link",
    # Invoicing details (the e-invoice's seller).
    "legal_name",
    "vat_id",
    "registration_id",
    "postcode",
    "city",
    "country",
    "iban",
    "bic",
)


class MemberListView(StaffViewMixin, TemplateView):
    """Members and their roles; POST adds a member."""

    template_name = "tenancy/members.html"
    required_action = "manage_members"

    def get_context_data(self, **kwargs) -> dict:
        kwargs.setdefault("form", MemberAddForm())
        members = self.org.memberships.select_related("user").order_by("user__email", "id")
        page = page_of(self.request, members)
        return super().get_context_data(
            settings_tab="members",
            page=page,
            members=page.object_list,
            roles=Role.choices,
            **kwargs,
        )

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        form = MemberAddForm(request.POST)
        if form.is_valid():
            try:
                added = services.add_member(
                    organization=self.org,
                    actor=Actor.staff(request),
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    password=form.cleaned_data["password"] or None,
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                email = added.membership.user.email
                role = added.membership.get_role_display().lower()
                messages.success(request, f"{email} added as {role}.")
                if added.needs_password:
                    messages.info(
                        request,
                        f"We emailed {email} a link to choose their password. It works for "
                        "3 days; after that they can use Forgot password on the sign-in page.",
                    )
                return redirect("member-list")
        return self.render_to_response(self.get_context_data(form=form))


class MemberActionView(StaffViewMixin, View):
    """POST-only actions on one member of the current business."""

    required_action = "manage_members"
    http_method_names = ["post"]

    def get_membership(self) -> Membership:
        # Through the business's own memberships: another business's member is a 404.
        return get_object_or_404(
            self.org.memberships.select_related("user", "organization"), pk=self.kwargs["pk"]
        )

    def after(self, request: HttpRequest) -> HttpResponse:
        # An owner who demoted or removed themselves can no longer see the members page.
        still_owner = self.org.memberships.filter(pk=self.membership.pk, role=Role.OWNER).exists()
        return redirect("member-list" if still_owner else "dashboard")


class MemberRoleView(MemberActionView):
    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        membership = self.get_membership()
        form = MemberRoleForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose owner, manager or accountant.")
            return redirect("member-list")
        try:
            changed = services.change_member_role(
                membership=membership, actor=Actor.staff(request), role=form.cleaned_data["role"]
            )
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("member-list")
        messages.success(request, f"{changed.user.email} is now {changed.get_role_display()}.")
        return self.after(request)


class MemberRemoveView(MemberActionView):
    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        membership = self.get_membership()
        confirmation = member_remove_confirmation(membership, self.org)
        asked = ask_first(request, confirmation, cancel_url=reverse("member-list"))
        if asked is not None:
            return asked
        try:
            services.remove_member(membership=membership, actor=Actor.staff(request))
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("member-list")
        messages.success(request, f"{membership.user.email} removed from {self.org.name}.")
        return self.after(request)


@method_decorator(never_cache, name="dispatch")
class ApiKeyListView(StaffViewMixin, TemplateView):
    """API keys; POST creates one and shows it on this response only (never stored, never
    put in the session, not cacheable)."""

    template_name = "tenancy/api_keys.html"
    required_action = "manage_api_keys"

    def get_context_data(self, **kwargs) -> dict:
        kwargs.setdefault("form", ApiKeyForm())
        page = page_of(
            self.request,
            self.org.api_keys.select_related("created_by").order_by("-created_at", "-id"),
        )
        return super().get_context_data(
            settings_tab="api-keys",
            page=page,
            api_keys=page.object_list,
            key_prefix=KEY_PREFIX,
            **kwargs,
        )

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        form = ApiKeyForm(request.POST)
        new_key = None
        if form.is_valid():
            try:
                new_key = services.create_api_key(
                    organization=self.org,
                    actor=Actor.staff(request),
                    name=form.cleaned_data["name"],
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                form = ApiKeyForm()
        return self.render_to_response(self.get_context_data(form=form, new_key=new_key))


class ApiKeyRevokeView(StaffViewMixin, View):
    required_action = "manage_api_keys"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        api_key = get_object_or_404(self.org.api_keys, pk=self.kwargs["pk"])
        confirmation = api_key_revoke_confirmation(api_key)
        asked = ask_first(request, confirmation, cancel_url=reverse("api-key-list"))
        if asked is not None:
            return asked
        services.revoke_api_key(api_key=api_key, actor=Actor.staff(request))
        messages.success(request, f"API key “{api_key.name}” revoked. It no longer works.")
        return redirect("api-key-list")
