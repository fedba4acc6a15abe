"""The staff REST API (/finance/api/v1/). Each view parses input with a serializer, calls
one service (or selector), and answers with an output serializer: no rules live here.

Every read goes through `Model.objects.for_org(self.organization)` or a selector that takes
the business, and single objects through `.get_or_404()`, so another business's id is a
404 exactly like an id that does not exist.
"""

import datetime
from decimal import Decimal
from typing import Any

from django.utils.dateparse import parse_datetime, parse_duration
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from solabooks.customers import selectors as customer_selectors
from solabooks.customers import services as customer_services
from solabooks.customers.models import Customer
from solabooks.documents import selectors as document_selectors
from solabooks.documents import services as document_services
from solabooks.documents.models import Document
from solabooks.documents.services import LineInput
from solabooks.portal import services as portal_services
from solabooks.portal.models import PortalAccess
from solabooks.sharing import services as sharing_services
from solabooks.sharing.models import SecureLink

from . import serializers as s
from .base import ApiView
from .reads import DocumentList, scoped_document, send_answer
from .schema import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, errors

CUSTOMERS, DOCUMENTS, PAYMENTS, LINKS, PORTAL, ACTIVITY = (
    "Customers",
    "Documents",
    "Payments",
    "Secure links",
    "Portal access",
    "Activity",
)
ACTION_PARAMETER = OpenApiParameter(
    "action",
    str,
    OpenApiParameter.PATH,
    enum=s.ALL_ACTIONS,
    description="Invoice: mark_sent, void. Quote: mark_sent, mark_accepted, mark_declined, "
    "mark_expired. Sales order: confirm, fulfil, cancel. Receipts have none.",
)
EXPIRY_NOTE = "A secure link always expires 24 hours after it is created."
EXPIRY_OVERRIDDEN_NOTE = (
    "A secure link always expires 24 hours after it is created; the requested expiry was "
    "overridden."
)


# --- Customers -------------------------------------------------------------------------


def _customer(view: ApiView, pk: int) -> Customer:
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
        return Response(s.CustomerOutSerializer(_customer(self, pk)).data)

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
        customer = _customer(self, pk)
        data = self.parse(s.CustomerInSerializer, partial=partial)
        # Fields left out keep their value (PATCH; and currency, optional on PUT too).
        values = {field: getattr(customer, field) for field in customer_services.EDITABLE_FIELDS}
        values.update(data)
        change = customer_services.update_customer(customer=customer, actor=self.actor(), **values)
        body = s.CustomerOutSerializer(change.customer).data
        return Response({**body, "notices": change.notices})


# --- Documents -------------------------------------------------------------------------


def _document(view: ApiView, pk: int) -> Document:
    return document_selectors.document_with_lines(organization=view.organization, pk=pk)


def _document_answer(view: ApiView, document: Document, code: int = 200) -> Response:
    # Re-read with lines and customer, as the service's copy may hold neither.
    fresh = _document(view, document.pk)
    return Response(s.DocumentOutSerializer(fresh).data, status=code)


def _line_inputs(lines: list[dict[str, Any]]) -> list[LineInput]:
    return [
        LineInput(
            description=line["description"],
            quantity=line["quantity"],
            unit_price=line["unit_price"],
            tax_rate=line.get("tax_rate") or Decimal("0"),
        )
        for line in lines
    ]


class DocumentListView(ApiView):
    @extend_schema(
        operation_id="documents_list",
        summary="List documents",
        description="All four kinds, newest first; filter by kind, state, customer or "
        "number. Lines are in the single-document answer.",
        tags=[DOCUMENTS],
        parameters=[s.DocumentFilterSerializer],
        responses={200: s.DocumentSummarySerializer(many=True), **errors(*LIST_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        filters = self.parse_query(s.DocumentFilterSerializer)
        # Prepared statements and value rows, kept rendered by data version (reads.py); the
        # body is the serializer's.
        documents = DocumentList(organization=self.organization, filters=filters)
        return self.paginator.rendered_response(request, fetch=documents.rendered)

    @extend_schema(
        operation_id="documents_create",
        summary="Create an invoice, quote or sales order",
        tags=[DOCUMENTS],
        request=s.DocumentCreateInSerializer,
        responses={201: s.DocumentOutSerializer, **errors(*WRITE_ERRORS)},
    )
    def post(self, request: Request) -> Response:
        data = self.parse(s.DocumentCreateInSerializer)
        document = document_services.create_document(
            organization=self.organization,
            kind=data["kind"],
            customer=data["customer"],
            actor=self.actor(),
            lines=_line_inputs(data["lines"]),
            issue_date=data.get("issue_date"),
            due_date=data.get("due_date"),
            valid_until=data.get("valid_until"),
            currency=data.get("currency"),
            notes=data.get("notes", ""),
            terms=data.get("terms", ""),
        )
        return _document_answer(self, document, status.HTTP_201_CREATED)


class DocumentDetailView(ApiView):
    @extend_schema(
        operation_id="documents_read",
        summary="Read a document with its lines",
        tags=[DOCUMENTS],
        responses={200: s.DocumentOutSerializer, **errors(*READ_ERRORS)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.DocumentOutSerializer(_document(self, pk)).data)

    @extend_schema(
        operation_id="documents_update",
        summary="Replace a document's dates, notes and lines",
        description="`issue_date` and `lines` are required; the lines given replace all "
        "lines, and other fields left out keep their value. Documents that can no longer be "
        "edited (paid, void, accepted…) answer 400.",
        tags=[DOCUMENTS],
        request=s.DocumentUpdateInSerializer,
        responses={200: s.DocumentOutSerializer, **errors(*READ_ERRORS, *WRITE_ERRORS)},
    )
    def put(self, request: Request, pk: int) -> Response:
        return self._update(pk, partial=False)

    @extend_schema(
        operation_id="documents_partial_update",
        summary="Change some of a document's dates, notes or lines",
        description="Like PUT with only the fields to change; `lines`, when given, "
        "replaces all lines.",
        tags=[DOCUMENTS],
        request=s.DocumentPatchInSerializer,
        responses={200: s.DocumentOutSerializer, **errors(*READ_ERRORS, *WRITE_ERRORS)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        return self._update(pk, partial=True)

    def _update(self, pk: int, *, partial: bool) -> Response:
        document = _document(self, pk)
        data = self.parse(s.DocumentPatchInSerializer if partial else s.DocumentUpdateInSerializer)
        current_lines = [
            LineInput(line.description, line.quantity, line.unit_price, line.tax_rate)
            for line in document.lines.all()
        ]
        updated = document_services.update_document(
            document=document,
            actor=self.actor(),
            lines=_line_inputs(data["lines"]) if "lines" in data else current_lines,
            issue_date=data.get("issue_date", document.issue_date),
            due_date=data.get("due_date", document.due_date),
            valid_until=data.get("valid_until", document.valid_until),
            notes=data.get("notes", document.notes),
            terms=data.get("terms", document.terms),
        )
        return _document_answer(self, updated)


class DocumentActionView(ApiView):
    @extend_schema(
        operation_id="documents_action",
        summary="Move a document to another state",
        description="An action the document cannot take now answers 400; "
        "`available_actions` on the document lists those it can.",
        tags=[DOCUMENTS],
        request=None,
        parameters=[ACTION_PARAMETER],
        responses={200: s.DocumentOutSerializer, **errors(400, 413, *READ_ERRORS)},
    )
    def post(self, request: Request, pk: int, action: str) -> Response:
        document = _document(self, pk)
        moved = document_services.transition_document(
            document=document, action=action, actor=self.actor()
        )
        return _document_answer(self, moved)


class DocumentReassignView(ApiView):
    @extend_schema(
        operation_id="documents_reassign",
        summary="Re-assign a document to another customer",
        description="Every outstanding secure link to the document stops working at once.",
        tags=[DOCUMENTS],
        request=s.ReassignInSerializer,
        responses={200: s.DocumentOutSerializer, **errors(*READ_ERRORS, *WRITE_ERRORS)},
    )
    def post(self, request: Request, pk: int) -> Response:
        document = _document(self, pk)
        data = self.parse(s.ReassignInSerializer)
        moved = document_services.reassign_document(
            document=document, new_customer=data["customer"], actor=self.actor()
        )
        return _document_answer(self, moved)


class DocumentConvertView(ApiView):
    @extend_schema(
        operation_id="documents_convert",
        summary="Convert an accepted quote into an invoice or a sales order",
        tags=[DOCUMENTS],
        request=s.ConvertInSerializer,
        responses={201: s.DocumentOutSerializer, **errors(*READ_ERRORS, *WRITE_ERRORS)},
    )
    def post(self, request: Request, pk: int) -> Response:
        quote = _document(self, pk)
        data = self.parse(s.ConvertInSerializer)
        created = document_services.convert_quote(
            quote=quote, to_kind=data["to_kind"], actor=self.actor()
        )
        return _document_answer(self, created, status.HTTP_201_CREATED)


# --- Sending and links -----------------------------------------------------------------


def requested_expiry(data: dict[str, Any]) -> object | None:
    """What the caller asked for, in the types the sharing service compares (a timedelta,
    a datetime, seconds), or the raw value when it is none of those. It never changes the
    expiry; it only decides whether the answer says `expiry_overridden`."""
    asked = [
        _as_expiry(data[name], parse=parse)
        for name, parse in (("expires_in", _parse_duration), ("expires_at", _parse_datetime))
        if data.get(name) is not None
    ]
    if not asked:
        return None
    # Both given: a pair is never "exactly 24 hours", so it is reported as overridden.
    return asked[0] if len(asked) == 1 else tuple(asked)


def _as_expiry(value: object, *, parse) -> object:
    if isinstance(value, str):
        parsed = parse(value.strip())
        return value if parsed is None else parsed
    return value


def _parse_duration(value: str) -> datetime.timedelta | None:
    try:
        return parse_duration(value)  # "PT24H", "P1D", "1 00:00:00", "86400"
    except (ValueError, OverflowError):
        return None


def _parse_datetime(value: str) -> datetime.datetime | None:
    try:
        return parse_datetime(value)
    except (ValueError, OverflowError):
        return None


class DocumentSendView(ApiView):
    @extend_schema(
        operation_id="documents_send",
        summary="Email the customer a secure link to the document",
        description=(
            "Queues the email to the customer's email on file with a new secure link. "
            "**The link expires 24 hours after it is created, always.** A custom expiry "
            "(`expires_in` as seconds or an ISO-8601 duration, or `expires_at` as a date-time, "
            "or any other value) is accepted and overridden to 24 hours, and the answer says "
            "so with `expiry_overridden: true`. The link's token is only in the email: it is "
            "never part of any API answer. Sending a draft marks it sent."
        ),
        tags=[LINKS],
        request=s.SendInSerializer,
        responses={
            202: OpenApiResponse(s.SendOutSerializer, description="The email is queued."),
            **errors(*READ_ERRORS, *WRITE_ERRORS),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        # Neither lines nor customer: send_document re-reads the document under its lock.
        document = scoped_document(organization=self.organization, pk=pk)
        data = self.parse(s.SendInSerializer)
        result = sharing_services.send_document(
            document=document,
            actor=self.actor(),
            subject=data.get("subject"),
            message=data.get("message"),
            requested_expiry=requested_expiry(data),
        )
        body = {
            "link": result.link,
            "sent_to": result.sent_to,
            "subject": result.subject,
            "expiry_overridden": result.expiry_overridden,
            "expiry_note": EXPIRY_OVERRIDDEN_NOTE if result.expiry_overridden else EXPIRY_NOTE,
        }
        return Response(send_answer(body), status=status.HTTP_202_ACCEPTED)


def _links(view: ApiView):
    return SecureLink.objects.for_org(view.organization).select_related("document")


class DocumentLinksView(ApiView):
    @extend_schema(
        operation_id="documents_links",
        summary="List a document's secure links",
        tags=[LINKS],
        responses={200: s.LinkOutSerializer(many=True), **errors(*LIST_ERRORS)},
    )
    def get(self, request: Request, pk: int) -> Response:
        document = Document.objects.for_org(self.organization).get_or_404(pk=pk)
        return self.paginated(_links(self).filter(document=document), s.LinkOutSerializer)


class CustomerLinksView(ApiView):
    @extend_schema(
        operation_id="customers_links",
        summary="List a customer's secure links",
        tags=[LINKS],
        responses={200: s.LinkOutSerializer(many=True), **errors(*LIST_ERRORS)},
    )
    def get(self, request: Request, pk: int) -> Response:
        customer = _customer(self, pk)
        return self.paginated(_links(self).filter(customer=customer), s.LinkOutSerializer)


class CustomerLinksRevokeView(ApiView):
    @extend_schema(
        operation_id="customers_links_revoke",
        summary="Revoke all of a customer's secure links",
        description="Expired links too (they could still be renewed). Revoked links cannot "
        "be renewed: the customer is told to contact the business.",
        tags=[LINKS],
        request=None,
        responses={200: s.RevokedOutSerializer, **errors(413, *READ_ERRORS)},
    )
    def post(self, request: Request, pk: int) -> Response:
        customer = _customer(self, pk)
        count = sharing_services.revoke_customer_links(customer=customer, actor=self.actor())
        return Response(s.RevokedOutSerializer({"revoked": count}).data)


class LinkRevokeView(ApiView):
    @extend_schema(
        operation_id="links_revoke",
        summary="Revoke one secure link",
        description="The link stops working at once and cannot be renewed; revoking a "
        "revoked link changes nothing.",
        tags=[LINKS],
        request=None,
        responses={200: s.LinkOutSerializer, **errors(413, *READ_ERRORS)},
    )
    def post(self, request: Request, pk: int) -> Response:
        link = _links(self).get_or_404(pk=pk)
        link = sharing_services.revoke_link(link=link, actor=self.actor())
        return Response(s.LinkOutSerializer(link).data)


# --- Portal access ---------------------------------------------------------------------


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
    return Response(s.PortalAccessOutSerializer(body).data)


class PortalAccessView(ApiView):
    @extend_schema(
        operation_id="customers_portal_access",
        summary="A customer's portal access",
        tags=[PORTAL],
        responses={200: s.PortalAccessOutSerializer, **errors(*READ_ERRORS)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return _portal_answer(self, _customer(self, pk))


class PortalAccessEnableView(ApiView):
    @extend_schema(
        operation_id="customers_portal_access_enable",
        summary="Enable portal access",
        description="Confirm the customer's email on file in `email`. The customer is "
        "emailed a 60-minute setup link (or, when that email already has a portal "
        "password, a notice that access is on).",
        tags=[PORTAL],
        request=s.PortalEnableInSerializer,
        responses={200: s.PortalAccessOutSerializer, **errors(*READ_ERRORS, *WRITE_ERRORS)},
    )
    def post(self, request: Request, pk: int) -> Response:
        customer = _customer(self, pk)
        data = self.parse(s.PortalEnableInSerializer)
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
        responses={200: s.PortalAccessOutSerializer, **errors(400, 413, *READ_ERRORS)},
    )
    def post(self, request: Request, pk: int) -> Response:
        customer = _customer(self, pk)
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
        responses={200: s.PortalAccessOutSerializer, **errors(400, 413, *READ_ERRORS)},
    )
    def post(self, request: Request, pk: int) -> Response:
        customer = _customer(self, pk)
        portal_services.disable_portal_access(customer=customer, actor=self.actor())
        return _portal_answer(self, customer)


# --- Payments --------------------------------------------------------------------------


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
        payment = document_services.record_payment(
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


# --- Activity --------------------------------------------------------------------------


class DocumentActivityView(ApiView):
    @extend_schema(
        operation_id="documents_activity",
        summary="A document's activity, newest first",
        tags=[ACTIVITY],
        responses={200: s.ActivityOutSerializer(many=True), **errors(*LIST_ERRORS)},
    )
    def get(self, request: Request, pk: int) -> Response:
        document = Document.objects.for_org(self.organization).get_or_404(pk=pk)
        activity = document_selectors.document_activity(document=document)
        return self.paginated(activity.select_related("document"), s.ActivityOutSerializer)


class CustomerActivityView(ApiView):
    @extend_schema(
        operation_id="customers_activity",
        summary="A customer's activity, newest first",
        tags=[ACTIVITY],
        responses={200: s.ActivityOutSerializer(many=True), **errors(*LIST_ERRORS)},
    )
    def get(self, request: Request, pk: int) -> Response:
        customer = _customer(self, pk)
        activity = customer_selectors.customer_activity(customer=customer)
        return self.paginated(activity, s.ActivityOutSerializer)
