"""PDFs of documents: the customer's branded document page, printed by WeasyPrint.

document_pdf() renders `pdf/document.html` (which includes documents/_document_body.html
with for_pdf=True) and caches the bytes in the private storage (core.storage: no URL maps
to it) under `pdf-cache/<organization>/<document>-<keyed name>.pdf`, so repeated downloads
cost no rendering. Only the link page, the portal and staff pages hand the bytes out, after
their own checks. Rendering never touches the network: the logo is embedded as a data: URI
and the url_fetcher serves only data: URIs and local static files.
"""

import base64
import functools
import hashlib
import json
import mimetypes
import re
import threading
from collections import OrderedDict
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils._os import safe_join
from django.utils.crypto import salted_hmac

from solabooks.core.colours import WHITE, as_text_on_light, brand_colour_of
from solabooks.core.storage import private_storage
from solabooks.documents.overdue import customer_state_label
from solabooks.documents.selectors import full_document
from solabooks.einvoice import pdfa
from solabooks.einvoice.services import einvoice_xml

# Bump when pdf/document.html, pdf/_print.css or documents/_document_body.html change, so
# cached PDFs are rendered anew.
TEMPLATE_VERSION = 7
CACHE_PREFIX = "pdf-cache"
# Keys the cache file name (see pdf_cache_path).
CACHE_NAME_PURPOSE = "solabooks.pdf.cache-name"
LOGO_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml"}


@functools.cache
def _local_only_fetcher_class() -> type:
    # WeasyPrint is imported on first use: it takes about a second, and most processes
    # (manage.py commands, task workers) never render a PDF.
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LocalOnlyURLFetcher(URLFetcher):
        """Serves data: URIs and the project's static files; refuses everything else.

        A static URL (settings.STATIC_URL prefix, on any host) is read from disk, never
        requested: a PDF render must not reach the network, whatever the HTML contains.
        """

        def fetch(self, url: str, headers=None) -> URLFetcherResponse:
            scheme = url.split(":", 1)[0].lower()
            if scheme == "data":
                return super().fetch(url, headers)  # decoded locally by urllib's DataHandler
            if scheme in {"http", "https", "file"}:
                path = _static_file(urlsplit(url).path)
                if path is not None:
                    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(
                        url, path.read_bytes(), headers={"Content-Type": content_type}
                    )
            raise ValueError(f"PDF rendering does not fetch {scheme}: URLs.")

    return LocalOnlyURLFetcher


def local_only_url_fetcher():
    """A WeasyPrint url_fetcher that never touches the network (see above)."""
    return _local_only_fetcher_class()(allow_redirects=False, timeout=1)


def _static_file(url_path: str) -> Path | None:
    static_prefix = urlsplit(settings.STATIC_URL).path
    if not url_path.startswith(static_prefix):
        return None
    relative = url_path[len(static_prefix) :]
    try:
        found = finders.find(relative)
        if not found and settings.STATIC_ROOT:  # collected (hashed) names in production
            candidate = Path(safe_join(settings.STATIC_ROOT, relative))
            found = str(candidate) if candidate.is_file() else None
    except SuspiciousFileOperation:
        return None
    return Path(found) if found else None


def logo_data_uri(organization) -> str:
    """The business logo inline, so the PDF needs no fetch. "" without a usable logo."""
    if not organization.logo:
        return ""
    content_type = mimetypes.guess_type(organization.logo.name)[0]
    if content_type not in LOGO_TYPES:
        return ""
    try:
        with organization.logo.open("rb") as handle:
            data = handle.read(settings.LOGO_MAX_BYTES + 1)
    except (FileNotFoundError, OSError):
        return ""
    if len(data) > settings.LOGO_MAX_BYTES:
        return ""
    return f"data:{content_type};base64,{base64.b64encode(data).decode('ascii')}"


def _pdf_context(document) -> dict:
    organization = document.organization
    colour = brand_colour_of(organization)
    return {
        "document": document,
        "organization": organization,
        "lines": list(document.lines.all()),
        "for_pdf": True,
        # The business's paper (a setting; pdf/_print.css @page), "A4" or "letter".
        "page_size": organization.page_size,
        "logo_data_uri": logo_data_uri(organization),
        "brand_colour": colour,
        "brand_text_colour": as_text_on_light(colour, WHITE),
        # Goes inside a CSS string in the page footer: only harmless characters.
        "footer_label": re.sub(r"[^A-Za-z0-9 ._/-]", "", document.number),
    }


def render_document_pdf(*, document) -> bytes:
    """Render the PDF now, bypassing the cache. An invoice or credit note with e-invoice
    data is a Factur-X PDF/A-3b: its CII XML embedded as factur-x.xml (einvoice.pdfa)."""
    from weasyprint import HTML, Attachment

    context = _pdf_context(document)
    xml = einvoice_xml(document, context["lines"])
    # Any time the PDF prints is the business's, as on its pages.
    with timezone.override(document.organization.zone):
        html = render_to_string("pdf/document.html", context)
    rendered = HTML(
        string=html,
        # Lets {% static %} URLs resolve; the fetcher reads them from disk.
        base_url=settings.BASE_URL + "/",
        url_fetcher=local_only_url_fetcher(),
        media_type="print",
    ).render()
    if xml is None:
        return rendered.write_pdf()
    rendered.metadata = pdfa.facturx_metadata(rendered.metadata)
    rendered.metadata.title = f"{document.get_kind_display()} {document.number}"
    attachment = Attachment(
        string=xml,
        name=pdfa.ATTACHMENT_NAME,
        description=f"Factur-X {document.number}",
        relationship=pdfa.ATTACHMENT_RELATIONSHIP,
    )
    return rendered.write_pdf(pdf_variant=pdfa.PDF_VARIANT, attachments=[attachment])


# Every column pdf_fingerprint reads, by model. A lean instance (a link's, read with only
# the columns a cached download needs: sharing.selectors) must carry them all, or each read
# is a query of its own on every download; tests/pdf/test_fingerprint_columns.py holds the
# two together.
FINGERPRINT_COLUMNS = {
    "document": ("id", "kind", "state", "content_version", "amount_paid", "due_date"),
    "organization": (
        *("id", "branding_version", "name", "address", "reply_to_email", "brand_colour"),
        *("time_zone", "logo", "paper_size", "legal_name", "vat_id", "registration_id"),
        *("country", "postcode", "city", "iban", "bic"),
    ),
    "customer": (
        *("id", "name", "billing_address", "country", "postcode", "city", "vat_id"),
        *("buyer_reference", "email"),
    ),
}


def pdf_fingerprint(document) -> str:
    """What the PDF depends on. Any change gives a new cache file."""
    organization, customer = document.organization, document.customer
    parts = [
        TEMPLATE_VERSION,
        document.pk,
        document.content_version,
        organization.branding_version,
        # Printed on the PDF but changed without a content_version bump (payments, state
        # changes, customer or business details); cheap to include, so the PDF never lags.
        document.state,
        str(document.amount_paid),
        # The customer's word for the state: "Overdue" from the day after the due date.
        customer_state_label(document, organization.today()).text,
        organization.page_size,
        customer.name,
        customer.billing_address,
        organization.name,
        organization.address,
        organization.reply_to_email,
        organization.brand_colour,
        organization.time_zone,
        organization.logo.name or "",
        # What the embedded e-invoice shows besides the above.
        organization.legal_name,
        organization.vat_id,
        organization.registration_id,
        str(organization.country),
        organization.postcode,
        organization.city,
        organization.iban,
        organization.bic,
        str(customer.country),
        customer.postcode,
        customer.city,
        customer.vat_id,
        customer.buyer_reference,
        customer.email,
    ]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:24]


def pdf_cache_path(document) -> str:
    """Where the PDF is cached in the private storage. The fingerprint is an unkeyed hash of
    what the document prints, so anyone who knows those values could compute it; the name
    is an HMAC of it under SECRET_KEY instead, so it gives nothing away should the private
    storage ever be exposed (and a new SECRET_KEY simply renders anew)."""
    keyed = salted_hmac(CACHE_NAME_PURPOSE, pdf_fingerprint(document), algorithm="sha256")
    return f"{CACHE_PREFIX}/{document.organization_id}/{document.pk}-{keyed.hexdigest()[:40]}.pdf"


def _read_cached(path: str) -> bytes | None:
    storage = private_storage()
    if not storage.exists(path):
        return None
    try:
        with storage.open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:  # pruned between exists() and open()
        return None
    # A file another process is still writing is not a PDF yet.
    return data if data.rstrip().endswith(b"%%EOF") else None


def _store(path: str, pdf: bytes, document) -> None:
    storage = private_storage()
    saved = storage.save(path, ContentFile(pdf))
    if saved != path:  # another process stored the same PDF first; keep one copy
        storage.delete(saved)
    directory = f"{CACHE_PREFIX}/{document.organization_id}"
    try:
        _, files = storage.listdir(directory)
    except FileNotFoundError:
        return
    # Earlier versions of this document are dead weight. Names of this very version are not:
    # a writer racing this one saves its copy as "<stem>_<random>.pdf" and deletes it itself
    # (deleting it here made that writer's save fail half-way).
    this_version = path.rsplit("/", 1)[1].removesuffix(".pdf")
    for name in files:
        if name.startswith(f"{document.pk}-") and not name.startswith(this_version):
            storage.delete(f"{directory}/{name}")


class _RecentPdfs:
    """The PDFs this process served last, by cache path (a path names one exact version),
    up to a total size: a link's PDF downloaded again costs no file system round trips."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._pdfs: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, path: str) -> bytes | None:
        with self._lock:
            pdf = self._pdfs.get(path)
            if pdf is not None:
                self._pdfs.move_to_end(path)
            return pdf

    def put(self, path: str, pdf: bytes) -> None:
        if len(pdf) > self.max_bytes:
            return
        with self._lock:
            if path in self._pdfs:
                return
            self._pdfs[path] = pdf
            self._size += len(pdf)
            while self._size > self.max_bytes:
                _, dropped = self._pdfs.popitem(last=False)
                self._size -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._pdfs.clear()
            self._size = 0


RECENT_PDFS = _RecentPdfs(max_bytes=32 * 1024 * 1024)


def document_pdf(*, document) -> bytes:
    """The document's PDF, from the cache when nothing it shows has changed."""
    path = pdf_cache_path(document)
    cached = RECENT_PDFS.get(path) or _read_cached(path)
    if cached is not None:
        RECENT_PDFS.put(path, cached)
        return cached
    if document.get_deferred_fields():  # a lean instance (a link's): render it whole
        document = full_document(document)
    pdf = render_document_pdf(document=document)
    _store(path, pdf, document)
    RECENT_PDFS.put(path, pdf)
    return pdf


def pdf_filename(document) -> str:
    """`INV-0001.pdf`: the document number, safe in a Content-Disposition header."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", document.number).strip("-.")
    return f"{stem or f'document-{document.pk}'}.pdf"


def pdf_response(*, document, inline: bool = False) -> HttpResponse:
    """An HTTP response with the PDF, for the link page, the portal and staff pages."""
    response = HttpResponse(document_pdf(document=document), content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{pdf_filename(document)}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
