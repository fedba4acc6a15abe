"""A customer's portal access: read, enable, resend the setup email, disable.

Part of the staff REST API (see api/views/__init__.py for what every view does).
"""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from solabooks.customers.models import Customer
from solabooks.portal import services as portal_services
from solabooks.portal.models import PortalAccess

from .. import link_serializers as ls
from ..base import ApiView
from ..schema import (
    PORTAL,
    READ_ERRORS,
    WRITE_ERRORS,
    errors,
)
from .customers import customer_or_404


def _portal_answer(view: ApiView, customer: Customer) -> Response:
    access = (
        PortalAccess.objects.for_org(view.organization)
        .filter(customer=customer)
        .select_related("portal_user")
        .first()
    )
    body = {
        "customer": customer.pk,
        "state": access.state if access else "none",
        "email": access.portal_user.email if access else None,
        "changed_at": access.changed_at if access else None,
        "activated_at": access.activated_at if access else None,
    }
    return Response(ls.PortalAccessOutSerializer(body).data)


class PortalAccessView(ApiView):
    @extend_schema(
        operation_id="customers_portal_access",
        summary="A customer's portal access",
        tags=[PORTAL],
        responses={200: ls.PortalAccessOutSerializer, **errors(*READ_ERRORS)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return _portal_answer(self, customer_or_404(self, pk))


class PortalAccessEnableView(ApiView):
    @extend_schema(
        operation_id="customers_portal_access_enable",
        summary="Enable portal access",
        description="Confirm the customer's email on file in `email`. The customer is "
        "emailed a 60-minute setup link (or, when that email already has a portal "
        "password, a notice that access is on).",
        tags=[PORTAL],
        request=ls.PortalEnableInSerializer,
        responses={200: ls.PortalAccessOutSerializer, **errors(*READ_ERRORS, *WRITE_ERRORS)},
    )
    def post(self, request: Request, pk: int) -> Response:
        customer = customer_or_404(self, pk)
        data = self.parse(ls.PortalEnableInSerializer)
        portal_services.enable_portal_access(
            customer=customer, confirmed_email=data["email"], actor=self.actor()
        )
        return _portal_answer(self, customer)


class PortalAccessResendView(ApiView):
    @extend_schema(
        operation_id="customers_portal_access_resend",
        summary="Resend the portal setup email",
        description="A new 60-minute setup link for an invitation not yet taken up.",
        tags=[PORTAL],
        request=None,
        responses={200: ls.PortalAccessOutSerializer, **errors(400, 413, *READ_ERRORS)},
    )
    def post(self, request: Request, pk: int) -> Response:
        customer = customer_or_404(self, pk)
        portal_services.resend_portal_setup(customer=customer, actor=self.actor())
        return _portal_answer(self, customer)


class PortalAccessDisableView(ApiView):
    @extend_schema(
        operation_id="customers_portal_access_disable",
        summary="Disable portal access",
        description="Every session of the customer's portal access is refused from its "
        "next request on.",
        tags=[PORTAL],
        request=None,
        responses={200: ls.PortalAccessOutSerializer, **errors(400, 413, *READ_ERRORS)},
    )
    def post(self, request: Request, pk: int) -> Response:
        customer = customer_or_404(self, pk)
        portal_services.disable_portal_access(customer=customer, actor=self.actor())
        return _portal_answer(self, customer)
