"""Credit notes in the customer portal: a list of their own (reached from Invoices), detail
pages that link the voided invoice and its credit note, the PDF; no other customer's or
business's credit note by any id; none counts in the balance."""

import pytest

from solabooks.activity.services import Actor
from solabooks.documents.services import transition_document
from tests.factories import make_document

from .conftest import DASHBOARD

pytestmark = pytest.mark.django_db

BASE = "/finance/customer-portal"
CREDIT_NOTES = f"{BASE}/credit-notes/"
INVOICES = f"{BASE}/invoices/"


def doc_url(document, suffix: str = "") -> str:
    return f"{BASE}/documents/{document.pk}/{suffix}"


@pytest.fixture(autouse=True)
def _fake_pdf(monkeypatch):
    """PDF rendering belongs to the pdf app (tested there); here only the bytes matter."""
    import solabooks.pdf.services as pdf

    monkeypatch.setattr(
        pdf, "document_pdf", lambda *, document: b"%PDF-1.7 " + document.number.encode()
    )


def voided(customer):
    """A sent invoice of `customer`, voided: (invoice, its credit note)."""
    invoice = make_document(customer=customer, state="sent")
    transition_document(document=invoice, action="void", actor=Actor.system())
    return invoice, invoice.derived_documents.get(kind="credit_note")


def test_the_customer_sees_their_credit_notes_from_the_invoices_page(
    portal, customer, other_customer
):
    invoice, credit_note = voided(customer)
    _, not_theirs = voided(other_customer)
    invoices = portal.get(INVOICES).content.decode()
    assert f'href="{CREDIT_NOTES}"' in invoices
    response = portal.get(CREDIT_NOTES)
    page = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Credit notes</h1>" in page
    assert doc_url(credit_note) in page and credit_note.number in page
    assert doc_url(not_theirs) not in page
    assert "Balance due" not in page
    assert 'aria-current="page">Invoices' in page  # they belong with the invoices
    assert portal.get(CREDIT_NOTES, {"status": "issued"}).status_code == 200


def test_the_invoice_and_its_credit_note_link_each_other(portal, customer):
    invoice, credit_note = voided(customer)
    page = portal.get(doc_url(invoice)).content.decode()
    assert f'credit note <a href="{doc_url(credit_note)}">{credit_note.number}</a> cancels it' in (
        page
    )
    page = portal.get(doc_url(credit_note)).content.decode()
    assert "<h1>Credit note</h1>" in page
    assert f'invoice <a href="{doc_url(invoice)}">{invoice.number}</a>' in page
    assert f"Credits invoice {invoice.number} of" in page
    assert "Balance due" not in page
    assert f'href="{CREDIT_NOTES}"' in page  # ← Back goes to the credit notes
    pdf = portal.get(doc_url(credit_note, "pdf/"))
    assert pdf.status_code == 200 and pdf.content == b"%PDF-1.7 CN-0001"


def test_no_other_customers_or_businesss_credit_note_is_reachable(
    portal, customer, other_customer, foreign_customer
):
    _, theirs = voided(other_customer)
    their_invoice, elsewhere = voided(foreign_customer)
    for document in (theirs, elsewhere, their_invoice):
        for suffix in ("", "pdf/"):
            assert portal.get(doc_url(document, suffix)).status_code == 404


def test_credit_notes_show_in_recent_activity_and_not_in_the_balance(portal, customer):
    make_document(customer=customer, state="sent")  # 330.00 open
    voided(customer)
    page = portal.get(DASHBOARD).content.decode()
    assert "Credit note issued" in page and "CN-0001" in page
    assert "330.00 USD" in page and "660.00" not in page
