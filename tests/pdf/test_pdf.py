import io
import socket
from decimal import Decimal
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from pypdf import PdfReader

from solabooks.activity.services import Actor
from solabooks.core.storage import private_storage
from solabooks.documents.payments import record_payment
from solabooks.documents.services import LineInput, transition_document, update_document
from solabooks.pdf import services
from solabooks.pdf.services import (
    document_pdf,
    local_only_url_fetcher,
    logo_data_uri,
    pdf_cache_path,
    pdf_filename,
    pdf_response,
)
from tests.factories import make_document

pytestmark = pytest.mark.django_db

# A 1×1 red PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d7"
    "63f8cfc000000301010018dd8db00000000049454e44ae426082"
)


def twenty_lines() -> list[LineInput]:
    return [
        LineInput(
            f"Service line {n}: design, build and test", Decimal(n), Decimal("12.50"), Decimal("20")
        )
        for n in range(1, 21)
    ]


@pytest.fixture
def invoice(customer):
    return make_document(customer=customer, lines=twenty_lines(), notes="Thanks!", terms="Net 30")


@pytest.fixture
def no_network():
    """Any attempt to open a socket fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"PDF rendering tried to use the network: {args!r}")

    with (
        mock.patch.object(socket, "create_connection", refuse),
        mock.patch.object(socket.socket, "connect", refuse),
    ):
        yield


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_pdf_is_an_a4_pdf_of_the_branded_document(org, invoice, no_network):
    org.logo.save("logo.png", ContentFile(PNG), save=True)
    pdf = document_pdf(document=invoice)
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)  # A4 in mm
    text = text_of(pdf)
    assert "INV-0001" in text and "Acme Ltd" in text and "Jane's Bakery" in text
    assert "Service line 20" in text and "Thanks!" in text
    assert reader.metadata.title == "Invoice INV-0001"
    assert reader.metadata.author == "Acme Ltd"
    # The logo went in as an embedded image.
    assert any(page.images for page in reader.pages)


def test_logo_is_a_data_uri(org):
    assert logo_data_uri(org) == ""
    org.logo.save("logo.png", ContentFile(PNG), save=True)
    assert logo_data_uri(org).startswith("data:image/png;base64,iVBOR")


def test_an_oversized_or_odd_logo_is_left_out(org, settings):
    org.logo.save("logo.png", ContentFile(PNG), save=True)
    settings.LOGO_MAX_BYTES = 10
    assert logo_data_uri(org) == ""
    org.logo.save("logo.exe", ContentFile(b"MZ"), save=True)
    settings.LOGO_MAX_BYTES = 1024 * 1024
    assert logo_data_uri(org) == ""


def test_second_call_renders_nothing(invoice):
    with mock.patch.object(
        services, "render_document_pdf", wraps=services.render_document_pdf
    ) as spy:
        first = document_pdf(document=invoice)
        second = document_pdf(document=invoice)
    assert spy.call_count == 1
    assert first == second
    path = pdf_cache_path(invoice)
    assert path.startswith(f"pdf-cache/{invoice.organization_id}/{invoice.pk}-")
    assert private_storage().exists(path)


def test_editing_the_document_renders_anew_and_drops_the_old_file(invoice):
    document_pdf(document=invoice)
    old_path = pdf_cache_path(invoice)
    invoice = update_document(
        document=invoice,
        actor=Actor.system(),
        lines=[LineInput("Only line now", Decimal("1"), Decimal("99"), Decimal("0"))],
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
    )
    assert pdf_cache_path(invoice) != old_path
    with mock.patch.object(
        services, "render_document_pdf", wraps=services.render_document_pdf
    ) as spy:
        pdf = document_pdf(document=invoice)
    assert spy.call_count == 1
    assert "Only line now" in text_of(pdf) and "Service line" not in text_of(pdf)
    assert not private_storage().exists(old_path)


def test_branding_change_renders_anew(org, invoice):
    document_pdf(document=invoice)
    org.branding_version += 1
    org.save()
    invoice.refresh_from_db()
    with mock.patch.object(
        services, "render_document_pdf", wraps=services.render_document_pdf
    ) as spy:
        document_pdf(document=invoice)
    assert spy.call_count == 1


def test_a_payment_renders_anew_so_the_balance_is_never_stale(customer, invoice):
    # record_payment changes amount_paid and state, not content_version: the cache key
    # includes what the PDF shows, so the paid invoice is not served stale.
    invoice = transition_document(document=invoice, action="mark_sent", actor=Actor.system())
    document_pdf(document=invoice)
    record_payment(
        organization=customer.organization,
        customer=customer,
        actor=Actor.system(),
        date=invoice.issue_date,
        amount=Decimal("100"),
        method="bank_transfer",
        allocations=[(invoice, Decimal("100"))],
    )
    invoice.refresh_from_db()
    assert invoice.state == "partially_paid"
    with mock.patch.object(
        services, "render_document_pdf", wraps=services.render_document_pdf
    ) as spy:
        pdf = document_pdf(document=invoice)
    assert spy.call_count == 1
    assert "Balance due" in text_of(pdf) and "Partly paid" in text_of(pdf)


def test_a_half_written_cache_file_is_not_served(invoice):
    path = pdf_cache_path(invoice)
    private_storage().save(path, ContentFile(b"%PDF-1.7 truncated"))
    pdf = document_pdf(document=invoice)
    assert pdf.rstrip().endswith(b"%%EOF")


def test_fetcher_serves_data_and_static_files_and_refuses_the_network(no_network):
    fetcher = local_only_url_fetcher()
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"
    css = fetcher.fetch("http://127.0.0.1:8000/finance/static/css/app.css")
    assert b".document-sheet" in css.read()
    for url in [
        "https://example.com/logo.png",
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
        "http://127.0.0.1:8000/finance/static/../../settings.py",
        "ftp://example.com/x",
    ]:
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_remote_images_in_the_html_are_not_fetched(invoice, no_network):
    # Notes are escaped by the template; here we render hostile HTML directly.
    from weasyprint import HTML

    html = '<img src="https://example.com/x.png"><link rel="stylesheet" href="http://example.com/a.css"><p>ok</p>'
    pdf = HTML(string=html, url_fetcher=local_only_url_fetcher()).write_pdf()
    assert pdf.startswith(b"%PDF-")


def test_filename_is_the_number(invoice):
    assert pdf_filename(invoice) == "INV-0001.pdf"
    invoice.number = 'A/B "x"'
    assert pdf_filename(invoice) == "A-B-x.pdf"


def test_pdf_response(invoice):
    response = pdf_response(document=invoice)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="INV-0001.pdf"'
    assert response.content.startswith(b"%PDF-")


def test_recent_pdfs_are_bounded_by_size_and_keep_the_latest():
    from solabooks.pdf.services import _RecentPdfs

    recent = _RecentPdfs(max_bytes=10)
    recent.put("a", b"12345")
    recent.put("b", b"12345")
    assert recent.get("a") == b"12345"  # "a" is now the most recent
    recent.put("c", b"123")
    assert recent.get("b") is None and recent.get("a") and recent.get("c")
    recent.put("huge", b"x" * 11)  # larger than the whole budget: never kept
    assert recent.get("huge") is None
