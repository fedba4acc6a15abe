"""Documents: list, create, read, update, state actions, reassign, convert.

Part of the staff REST API (see api/views/__init__.py for what every view does).
"""

from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from solabooks.documents import selectors as document_selectors
from solabooks.documents import services as document_services
from solabooks.documents.models import Document, UnitCode
from solabooks.documents.services import LineInput, line_inputs_of
from solabooks.einvoice.downloads import unavailable, xml_response

from .. import serializers as s
from ..base import ApiView
from ..reads import DocumentList
from ..schema import (
    DOCUMENTS,
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    errors,
)

ACTION_PARAMETER = OpenApiParameter(
    "action",
    str,
    OpenApiParameter.PATH,
    enum=s.ALL_ACTIONS,
    description="Invoice: mark_sent, void. Quote: mark_sent, mark_accepted, mark_declined, "
    "mark_expired. Sales order: confirm, fulfil, cancel. Receipts have none.",
)


def document_or_404(view: ApiView, pk: int) -> Document:
    return document_selectors.document_with_lines(organization=view.organization, pk=pk)


def document_answer(view: ApiView, document: Document, code: int = 200) -> Response:
    # Re-read with lines and customer, as the service's copy may hold neither.
    fresh = document_or_404(view, document.pk)
    return Response(s.DocumentOutSerializer(fresh).data, status=code)


def line_inputs(lines: list[dict[str, Any]]) -> list[LineInput]:
    return [
        LineInput(
            description=line["description"],
            quantity=line["quantity"],
            unit_price=line["unit_price"],
            tax_rate=line.get("tax_rate") or Decimal("0"),
            tax_category=line.get("tax_category", ""),
            tax_exemption_reason=line.get("tax_exemption_reason", ""),
            unit_code=line.get("unit_code") or UnitCode.ONE,
        )
        for line in lines
    ]


class DocumentListView(ApiView):
    @extend_schema(
        operation_id="documents_list",
        summary="List documents",
        description="Every kind, newest first; filter by kind, state, customer or "
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
            lines=line_inputs(data["lines"]),
            issue_date=data.get("issue_date"),
            due_date=data.get("due_date"),
            valid_until=data.get("valid_until"),
            currency=data.get("currency"),
            notes=data.get("notes", ""),
            terms=data.get("terms", ""),
        )
        return document_answer(self, document, status.HTTP_201_CREATED)


class DocumentDetailView(ApiView):
    @extend_schema(
        operation_id="documents_read",
        summary="Read a document with its lines",
        tags=[DOCUMENTS],
        responses={200: s.DocumentOutSerializer, **errors(*READ_ERRORS)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.DocumentOutSerializer(document_or_404(self, pk)).data)

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
        document = document_or_404(self, pk)
        data = self.parse(s.DocumentPatchInSerializer if partial else s.DocumentUpdateInSerializer)
        current_lines = line_inputs_of(document)
        updated = document_services.update_document(
            document=document,
            actor=self.actor(),
            lines=line_inputs(data["lines"]) if "lines" in data else current_lines,
            issue_date=data.get("issue_date", document.issue_date),
            due_date=data.get("due_date", document.due_date),
            valid_until=data.get("valid_until", document.valid_until),
            notes=data.get("notes", document.notes),
            terms=data.get("terms", document.terms),
        )
        return document_answer(self, updated)


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
        document = document_or_404(self, pk)
        moved = document_services.transition_document(
            document=document, action=action, actor=self.actor()
        )
        return document_answer(self, moved)


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
        document = document_or_404(self, pk)
        data = self.parse(s.ReassignInSerializer)
        moved = document_services.reassign_document(
            document=document, new_customer=data["customer"], actor=self.actor()
        )
        return document_answer(self, moved)


class DocumentConvertView(ApiView):
    @extend_schema(
        operation_id="documents_convert",
        summary="Convert an accepted quote into an invoice or a sales order",
        tags=[DOCUMENTS],
        request=s.ConvertInSerializer,
        responses={201: s.DocumentOutSerializer, **errors(*READ_ERRORS, *WRITE_ERRORS)},
    )
    def post(self, request: Request, pk: int) -> Response:
        quote = document_or_404(self, pk)
        data = self.parse(s.ConvertInSerializer)
        created = document_services.convert_quote(
            quote=quote, to_kind=data["to_kind"], actor=self.actor()
        )
        return document_answer(self, created, status.HTTP_201_CREATED)


class DocumentEinvoiceXmlView(ApiView):
    @extend_schema(
        operation_id="documents_einvoice_xml",
        summary="Download an invoice's e-invoice XML",
        description="The Factur-X / ZUGFeRD CII XML (profile EN 16931) that the document's "
        "PDF carries, byte for byte, as an attachment. Invoices and credit notes only, and "
        "only those made with everything the standard needs: any other document answers "
        "404 with code `einvoice_unavailable` and a message that names what is missing.",
        tags=[DOCUMENTS],
        responses={
            (200, "application/xml"): OpenApiResponse(
                OpenApiTypes.STR, description="The CII XML, UTF-8 (`INV-0001.xml`)."
            ),
            **errors(*READ_ERRORS),
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        document = document_or_404(self, pk)
        lines = list(document.lines.all())
        response = xml_response(document=document, lines=lines)
        if response is None:
            why = unavailable(document, lines)
            message = " ".join([why.message, *why.missing])
            raise exceptions.NotFound(message, code="einvoice_unavailable")
        return response
