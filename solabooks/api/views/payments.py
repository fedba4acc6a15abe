"""Payments: list, record, read.

Part of the staff REST API (see api/views/__init__.py for what every view does).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from solabooks.documents import payments as document_payments
from solabooks.documents import selectors as document_selectors

from .. import serializers as s
from ..base import ApiView
from ..schema import (
    LIST_ERRORS,
    PAYMENTS,
    READ_ERRORS,
    WRITE_ERRORS,
    errors,
)


class PaymentListView(ApiView):
    @extend_schema(
        operation_id="payments_list",
        summary="List payments",
        tags=[PAYMENTS],
        parameters=[s.PaymentFilterSerializer],
        responses={200: s.PaymentSummarySerializer(many=True), **errors(*LIST_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        filters = self.parse_query(s.PaymentFilterSerializer)
        payments = document_selectors.payment_list(organization=self.organization)
        if filters.get("customer"):
            payments = payments.filter(customer_id=filters["customer"])
        return self.paginated(payments.order_by("-date", "-id"), s.PaymentSummarySerializer)

    @extend_schema(
        operation_id="payments_create",
        summary="Record a payment",
        description="Allocations pay the customer's open invoices (their balances and "
        "states follow); `issue_receipt` also issues a receipt document.",
        tags=[PAYMENTS],
        request=s.PaymentInSerializer,
        responses={201: s.PaymentOutSerializer, **errors(*WRITE_ERRORS)},
    )
    def post(self, request: Request) -> Response:
        data = self.parse(s.PaymentInSerializer)
        payment = document_payments.record_payment(
            organization=self.organization,
            customer=data["customer"],
            actor=self.actor(),
            date=data["date"],
            amount=data["amount"],
            method=data["method"],
            reference=data.get("reference", ""),
            allocations=[(a["invoice"], a["amount"]) for a in data.get("allocations", [])],
            currency=data.get("currency"),
            issue_receipt=data.get("issue_receipt", False),
        )
        fresh = document_selectors.payment_with_allocations(
            organization=self.organization, pk=payment.pk
        )
        return Response(s.PaymentOutSerializer(fresh).data, status=status.HTTP_201_CREATED)


class PaymentDetailView(ApiView):
    @extend_schema(
        operation_id="payments_read",
        summary="Read a payment with its allocations",
        tags=[PAYMENTS],
        responses={200: s.PaymentOutSerializer, **errors(*READ_ERRORS)},
    )
    def get(self, request: Request, pk: int) -> Response:
        payment = document_selectors.payment_with_allocations(organization=self.organization, pk=pk)
        return Response(s.PaymentOutSerializer(payment).data)
