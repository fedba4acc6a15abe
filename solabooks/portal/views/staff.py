"""Staff actions behind the customer's Portal Access tab. All three roles may use them."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.views import View

from solabooks.activity.services import Actor
from solabooks.core.confirm import ask_first
from solabooks.core.errors import DomainError
from solabooks.customers.models import Customer
from solabooks.tenancy.permissions import StaffViewMixin

from .. import services
from ..confirmations import disable_confirmation
from ..forms import EnablePortalAccessForm


def portal_access_tab(customer: Customer) -> str:
    try:
        return reverse("customer-portal-access", args=[customer.pk])
    except NoReverseMatch:  # the customers UI owns the tab; fall back to the customer page
        return reverse("customer-detail", args=[customer.pk])


class PortalAccessAction(StaffViewMixin, View):
    """POST only; a customer of another business (or a made-up id) is a 404."""

    http_method_names = ["post"]

    def act(self, customer: Customer, actor: Actor) -> str:
        raise NotImplementedError

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        customer = Customer.objects.for_org(self.org).get_or_404(pk=pk)
        try:
            notice = self.act(customer, Actor.staff(request))
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, notice)
        return redirect(portal_access_tab(customer))


class EnablePortalAccessView(PortalAccessAction):
    def act(self, customer: Customer, actor: Actor) -> str:
        form = EnablePortalAccessForm(self.request.POST)
        if not form.is_valid():
            raise DomainError(f"Type the customer's email ({customer.email}) to confirm it.")
        access = services.enable_portal_access(
            customer=customer, confirmed_email=form.cleaned_data["confirm_email"], actor=actor
        )
        if access.state == "active":
            return (
                f"{access.portal_user.email} already has a portal account: access is on and "
                "they were emailed a notice."
            )
        return f"A 60-minute setup link was emailed to {access.portal_user.email}."


class ResendPortalSetupView(PortalAccessAction):
    def act(self, customer: Customer, actor: Actor) -> str:
        access = services.resend_portal_setup(customer=customer, actor=actor)
        return f"A new 60-minute setup link was emailed to {access.portal_user.email}."


class DisablePortalAccessView(PortalAccessAction):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        customer = Customer.objects.for_org(self.org).get_or_404(pk=pk)
        confirmation = disable_confirmation(customer)
        asked = ask_first(request, confirmation, cancel_url=portal_access_tab(customer))
        return asked if asked is not None else super().post(request, pk)

    def act(self, customer: Customer, actor: Actor) -> str:
        services.disable_portal_access(customer=customer, actor=actor)
        return f"Portal access for {customer.name} is off. Open sessions end on their next request."
