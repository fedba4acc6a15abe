"""The e-invoice XML as a download, for the staff page, the portal and the API. Each caller
checks access first (as for the PDF); this only answers with the bytes of
services.einvoice_xml, the very XML embedded in the PDF."""

from dataclasses import dataclass

from django.http import HttpResponse

from solabooks.documents.models import Document
from solabooks.pdf.services import pdf_filename

from .readiness import EINVOICE_KINDS, missing_for_einvoice
from .services import einvoice_xml

XML_CONTENT_TYPE = "application/xml; charset=utf-8"


@dataclass(frozen=True)
class Unavailable:
    """Why a document has no XML to download: a sentence for anyone, and for staff the
    fields to fill in (readiness.missing_for_einvoice)."""

    message: str
    missing: tuple[str, ...] = ()


def xml_filename(document: Document) -> str:
    """`INV-0001.xml`: the PDF's safe name with the XML's extension."""
    return pdf_filename(document).removesuffix(".pdf") + ".xml"


def unavailable(document: Document, lines: list | None = None) -> Unavailable | None:
    """None when the document has e-invoice data, else why not."""
    if document.kind not in EINVOICE_KINDS:
        return Unavailable(
            f"{document.number} is a {document.get_kind_display().lower()}; only invoices "
            "and credit notes carry e-invoice data."
        )
    missing = missing_for_einvoice(document, lines)
    if not missing:
        return None
    return Unavailable(
        f"{document.number} carries no e-invoice data: it was made without everything the "
        "standard needs, so its PDF is the invoice.",
        tuple(missing),
    )


def xml_response(*, document: Document, lines: list | None = None) -> HttpResponse | None:
    """The document's e-invoice XML as an attachment, or None when it has none."""
    xml = einvoice_xml(document, lines)
    if xml is None:
        return None
    response = HttpResponse(xml, content_type=XML_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{xml_filename(document)}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
