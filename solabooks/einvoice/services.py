"""E-invoices of documents: whether one can be made, the XML, and the check before sending.

`einvoice_xml(document)` is the single way the product gets a document's CII XML; the PDF
(pdf.services), the XML downloads (staff, portal, API) and the send check all use it, so
the XML inside the PDF is byte-for-byte the one downloaded alone.
"""

from solabooks.core.errors import DomainError
from solabooks.documents.models import Document

from .cii import cii_xml
from .readiness import missing_for_einvoice
from .schema import schema_errors


def einvoice_xml(document: Document, lines: list | None = None) -> bytes | None:
    """The document's Factur-X XML, or None when it cannot carry one (see
    readiness.missing_for_einvoice for why)."""
    lines = list(document.lines.all()) if lines is None else lines
    if missing_for_einvoice(document, lines):
        return None
    return cii_xml(document, lines)


def check_einvoice_before_sending(document: Document) -> None:
    """Refuse to send a document whose e-invoice would not be schema-valid. The product made
    that XML from validated data, so this is a bug to fix; the message says so."""
    xml = einvoice_xml(document)
    if xml is None:
        return
    errors = schema_errors(xml)
    if errors:
        raise DomainError(
            f"{document.number} was not sent: its e-invoice data failed the Factur-X schema "
            f"check ({errors[0]}). This is a fault in Solabooks, not in your data; please "
            "report it. Voiding and re-issuing will not help.",
            code="einvoice_invalid",
        )
