"""Customer-facing words: the link page of an unpaid invoice shows the amount due and due
date first, states a customer understands (Due, Overdue, Paid…; never "Sent" or "(version
1)"), and the document email says what it holds ("View invoice INV-0001 online")."""

import datetime

import pytest
import time_machine
from django.core import mail

from solabooks.sharing.views import ACCESS_REQUESTED_ANSWER
from tests.documents.test_overdue import invoice

pytestmark = pytest.mark.django_db


def test_the_document_email_says_what_it_contains(sent_invoice):
    document, _ = sent_invoice
    message = mail.outbox[-1]
    html = message.alternatives[0][0]
    assert f"View invoice {document.number} online" in message.body
    assert f"View invoice {document.number} online" in html
    assert f"Here is invoice {document.number}" in message.body
    assert "find" not in message.body.lower() and "below" not in message.body.lower()


def test_the_quote_email_names_the_quote(sent_quote):
    quote, _ = sent_quote
    html = mail.outbox[-1].alternatives[0][0]
    assert f"View and respond to quote {quote.number}" in html


def test_an_unpaid_invoice_link_page_shows_amount_and_due_date_first(customer, send, client):
    late = invoice(customer, due=datetime.date(2025, 1, 10))
    _, path = send(late)
    with time_machine.travel(datetime.datetime(2025, 2, 1, 12, tzinfo=datetime.UTC)):
        html = client.get(path).content.decode()
    main = html.split("<main", 1)[1]
    assert main.index("Amount due") < main.index("document-sheet")
    assert "330.00 USD" in main and "was due 10 Jan 2025 (22 days ago)" in main
    assert 'class="badge state-overdue">Overdue<' in main
    assert "Sent" not in main


def test_a_due_invoice_says_due(sent_invoice, client):
    document, path = sent_invoice
    main = client.get(path).content.decode().split("<main", 1)[1]
    assert ">Due<" in main and "Sent" not in main


def test_the_quote_page_never_shows_a_version_number(sent_quote, client):
    _, path = sent_quote
    main = client.get(path).content.decode().split("<main", 1)[1]
    assert "(version" not in main and "Awaiting your reply" in main


def test_request_access_answers_plainly(sent_invoice, client):
    _, path = sent_invoice
    from solabooks.sharing.models import SecureLink

    link = SecureLink.objects.get(document=sent_invoice[0])
    with time_machine.travel(link.expires_at + datetime.timedelta(seconds=5)):
        html = client.post(path, {"op": "request_access"}).content.decode()
    assert "Check your email" in html and ACCESS_REQUESTED_ANSWER in html
    assert "it works for 24 hours" in html


def test_the_acceptance_confirmation_names_no_version():
    from types import SimpleNamespace

    from django.template.loader import render_to_string

    record = SimpleNamespace(
        signer_name="Jane Baker", terms_version=2, content_version=3, pdf_sha256="ab" * 32
    )
    context = {
        "number": "QUO-0001",
        "organization": SimpleNamespace(name="Acme Ltd"),
        "record": record,
        "local_time": "1 Feb 2025, 12:00 CET",
        "utc_time": "11:00 UTC",
    }
    for part in ("txt", "html"):
        text = render_to_string(f"email/quote_acceptance_confirmation.{part}", context)
        assert "accepted quote" in text and "version" not in text.lower()
        assert "you agreed to the terms shown with the quote" in text
