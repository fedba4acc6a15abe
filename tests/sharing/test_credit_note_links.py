"""A credit note goes to the customer like any document: a secure-link email that says
"credit note", a link page that shows it (and which invoice it credits, with nothing to
pay), and its PDF behind the link."""

import io
import re

import pytest
from django.core import mail
from pypdf import PdfReader

from solabooks.activity.models import Activity, Verb
from solabooks.documents.services import transition_document
from tests.factories import make_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def credit_note(customer, staff_actor):
    invoice = make_document(customer=customer)
    transition_document(document=invoice, action="mark_sent", actor=staff_actor)
    transition_document(document=invoice, action="void", actor=staff_actor)
    return invoice.derived_documents.get(kind="credit_note")


def test_sending_a_credit_note_emails_a_link_that_says_credit_note(credit_note, send):
    result, path = send(credit_note)
    message = mail.outbox[-1]
    assert message.subject.startswith("Credit note CN-0001 from ")
    date = f"{credit_note.source_document.issue_date:%d %b %Y}".lstrip("0")
    assert f"Here is credit note CN-0001. It cancels invoice INV-0001 of {date}." in message.body
    assert "View credit note CN-0001 online" in message.body
    assert "credited, cancelling invoice INV-0001" in message.body
    html = message.alternatives[0][0]
    assert "Amount credited" in html and "Cancels invoice INV-0001" in html
    assert "invoice INV-0001 online" not in message.body and "due" not in message.body.lower()
    assert path.startswith("/finance/i/")
    credit_note.refresh_from_db()
    assert credit_note.state == "issued" and credit_note.sent_at is not None
    sent = Activity.objects.filter(document=credit_note, verb=Verb.SENT).get()
    assert sent.details["sent_to"] == "jane@bakery.test"
    # Sending again is a new link, nothing else.
    send(credit_note)
    credit_note.refresh_from_db()
    assert credit_note.state == "issued"


def test_the_link_page_shows_the_credit_note_without_anything_to_pay(
    credit_note, send, customer_client
):
    _, path = send(credit_note)
    response = customer_client.get(path)
    page = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Credit note</h1>" in page and "CN-0001" in page
    assert "Credits invoice INV-0001 of" in page
    assert "Balance due" not in page and "Due date" not in page
    assert not re.search(r"\bpay\b", page, re.IGNORECASE)
    assert Activity.objects.filter(document=credit_note, verb=Verb.VIEWED).count() == 1


def test_the_credit_note_pdf_downloads_from_its_link(credit_note, send, customer_client):
    _, path = send(credit_note)
    response = customer_client.get(f"{path}?format=pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="CN-0001.pdf"' in response["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Credit note" in text and "CN-0001" in text and "Credits invoice INV-0001" in text
    assert "Balance due" not in text
    assert reader.metadata.title == "Credit note CN-0001"
    assert Activity.objects.filter(document=credit_note, verb=Verb.PDF_DOWNLOADED).count() == 1


def test_the_voided_invoices_link_dies_and_the_credit_notes_lives(
    customer, send, staff_actor, customer_client
):
    invoice = make_document(customer=customer)
    _, invoice_path = send(invoice)
    transition_document(document=invoice, action="void", actor=staff_actor)
    credit_note = invoice.derived_documents.get(kind="credit_note")
    _, credit_path = send(credit_note)
    assert "no longer valid" in customer_client.get(invoice_path).content.decode()
    assert customer_client.get(credit_path).status_code == 200
