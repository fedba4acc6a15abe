"""Customers: list, create, read, update.

Part of the staff REST API (see api/views/__init__.py for what every view does).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from solabooks.customers import selectors as customer_selectors
from solabooks.customers import services as customer_services
from solabooks.customers.models import Customer

from .. import serializers as s
from ..base import ApiView
from ..schema import (
    CUSTOMERS,
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    errors,
)


def customer_or_404(view: ApiView, pk: int) -> Customer:
    return Customer.objects.for_org(view.organization).get_or_404(pk=pk)


class CustomerListView(ApiView):
    @extend_schema(
        operation_id="customers_list",
        summary="List customers",
        tags=[CUSTOMERS],
        parameters=[s.CustomerSearchSerializer],
        responses={200: s.CustomerOutSerializer(many=True), **errors(*LIST_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        query = self.parse_query(s.CustomerSearchSerializer)
        customers = customer_selectors.customer_list(
            organization=self.organization, query=query.get("q", "")
        )
        return self.paginated(customers, s.CustomerOutSerializer)

    @extend_schema(
        operation_id="customers_create",
        summary="Create a customer",
        tags=[CUSTOMERS],
        request=s.CustomerInSerializer,
        responses={201: s.CustomerOutSerializer, **errors(*WRITE_ERRORS)},
    )
    def post(self, request: Request) -> Response:
        data = self.parse(s.CustomerInSerializer)
        customer = customer_services.create_customer(
            organization=self.organization, actor=self.actor(), **data
        )
        return Response(s.CustomerOutSerializer(customer).data, status=status.HTTP_201_CREATED)


class CustomerDetailView(ApiView):
    @extend_schema(
        operation_id="customers_read",
        summary="Read a customer",
        tags=[CUSTOMERS],
        responses={200: s.CustomerOutSerializer, **errors(*READ_ERRORS)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.CustomerOutSerializer(customer_or_404(self, pk)).data)

    @extend_schema(
        operation_id="customers_update",
        summary="Replace a customer's details",
        description="Changing the email of a customer with active portal access disables "
        "that access; `notices` then says so.",
        tags=[CUSTOMERS],
        request=s.CustomerInSerializer,
        responses={200: s.CustomerUpdateOutSerializer, **errors(*READ_ERRORS, *WRITE_ERRORS)},
    )
    def put(self, request: Request, pk: int) -> Response:
        return self._update(pk, partial=False)

    @extend_schema(
        operation_id="customers_partial_update",
        summary="Change some of a customer's details",
        description="Like PUT, with only the fields to change.",
        tags=[CUSTOMERS],
        request=s.CustomerInSerializer,
        responses={200: s.CustomerUpdateOutSerializer, **errors(*READ_ERRORS, *WRITE_ERRORS)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        return self._update(pk, partial=True)

    def _update(self, pk: int, *, partial: bool) -> Response:
        customer = customer_or_404(self, pk)
        data = self.parse(s.CustomerInSerializer, partial=partial)
        # Fields left out keep their value (PATCH; and currency, optional on PUT too).
        values = {
            field: customer_services.stored_value(customer, field)
            for field in customer_services.EDITABLE_FIELDS
        }
        values.update(data)
        change = customer_services.update_customer(customer=customer, actor=self.actor(), **values)
        body = s.CustomerOutSerializer(change.customer).data
        return Response({**body, "notices": change.notices})
