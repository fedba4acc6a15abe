"""An accepted quote's acceptance record: its metadata, the accepted PDF and the
certificate, as stored when the customer accepted (documents/acceptance.py).

Part of the staff REST API (see api/views/__init__.py for what every view does).
"""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from solabooks.documents.acceptance_views import acceptance_file_response
from solabooks.documents.models import AcceptanceRecord, Document

from ..base import ApiView
from ..schema import DOCUMENTS, READ_ERRORS, errors


class AcceptanceOutSerializer(serializers.ModelSerializer):
    document_id = serializers.IntegerField(help_text="The quote.")
    quote_number = serializers.CharField(source="document.number")
    pdf_url = serializers.SerializerMethodField(help_text="The accepted PDF, byte for byte.")
    certificate_url = serializers.SerializerMethodField(help_text="The acceptance certificate.")

    class Meta:
        model = AcceptanceRecord
        fields = [
            "document_id",
            "quote_number",
            "content_version",
            "signer_name",
            "decided_at",
            "ip",
            "user_agent",
            "channel",
            "channel_label",
            "terms_version",
            "terms_text",
            "pdf_sha256",
            "certificate_sha256",
            "pdf_url",
            "certificate_url",
        ]
        read_only_fields = fields

    def get_pdf_url(self, record: AcceptanceRecord) -> str:
        return f"documents/{record.document_id}/acceptance/pdf"

    def get_certificate_url(self, record: AcceptanceRecord) -> str:
        return f"documents/{record.document_id}/acceptance/certificate"


def record_or_404(view: ApiView, pk: int) -> AcceptanceRecord:
    document = Document.objects.for_org(view.organization).get_or_404(pk=pk)
    record = (
        AcceptanceRecord.objects.for_org(view.organization)
        .filter(document=document)
        .select_related("document")
        .first()
    )
    if record is None:
        raise exceptions.NotFound("This document has no acceptance record.", code="not_found")
    return record


class DocumentAcceptanceView(ApiView):
    @extend_schema(
        operation_id="documents_acceptance",
        summary="An accepted quote's acceptance record",
        description="Who accepted which version of the quote, when, from where, through "
        "which channel and under which terms, and the SHA-256 of the accepted PDF. 404 "
        "when the document is not an accepted quote (declined, open, or not a quote). The "
        "URLs are relative to the API root.",
        tags=[DOCUMENTS],
        responses={200: AcceptanceOutSerializer, **errors(*READ_ERRORS)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(AcceptanceOutSerializer(record_or_404(self, pk)).data)


PDF_RESPONSE = {
    (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF."),
    **errors(*READ_ERRORS),
}


class DocumentAcceptancePdfView(ApiView):
    @extend_schema(
        operation_id="documents_acceptance_pdf",
        summary="Download the accepted PDF of a quote",
        description="The PDF of exactly the version the customer accepted, as stored then "
        "(its SHA-256 is `pdf_sha256` of the acceptance record).",
        tags=[DOCUMENTS],
        responses=PDF_RESPONSE,
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        return acceptance_file_response(record_or_404(self, pk), "pdf")


class DocumentAcceptanceCertificateView(ApiView):
    @extend_schema(
        operation_id="documents_acceptance_certificate",
        summary="Download the acceptance certificate of a quote",
        tags=[DOCUMENTS],
        responses=PDF_RESPONSE,
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        return acceptance_file_response(record_or_404(self, pk), "certificate")
