"""A document's link page is rendered once per version of what it shows and served from
memory after that (sharing.views.document_page_version); every change the business makes
shows at once. Changes run with their on-commit work, as a request's does: the business's
data version moves after the commit."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from solabooks.activity.services import Actor
from solabooks.customers.services import update_customer
from solabooks.documents.payments import record_payment
from solabooks.documents.services import LineInput, update_document
from solabooks.tenancy.services import update_organization

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(sent_invoice, customer_client):
    invoice, path = sent_invoice

    def read() -> str:
        answer = customer_client.get(path)
        assert answer.status_code == 200
        return answer.content.decode()

    return invoice, read


def test_the_second_view_is_served_from_memory(page):
    _, read = page
    read()
    with CaptureQueriesContext(connection) as queries:
        read()
    # The link lookup (one prepared query) and nothing else read: no document, no lines.
    # (The writes are the access record of the view.)
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert len(reads) == 1 and "sharing_securelink" in reads[0]


def test_every_change_shows_at_once(page, customer, owner, django_capture_on_commit_callbacks):
    invoice, read = page
    staff = Actor(type="staff", user=owner, label=owner.email)
    assert "Consulting" in read()

    def changed(change) -> str:
        with django_capture_on_commit_callbacks(execute=True):
            change()
        return read()

    after_payment = changed(
        lambda: record_payment(
            organization=invoice.organization,
            customer=customer,
            actor=staff,
            date=datetime.date.today(),
            amount=Decimal("100.00"),
            method="cash",
            allocations=[(invoice, Decimal("100.00"))],
        )
    )
    assert "Partly paid" in after_payment and "230.00" in after_payment
    after_rename = changed(
        lambda: update_customer(
            customer=customer,
            actor=staff,
            name="Jane's Bakehouse",
            email=customer.email,
            currency=customer.currency,
        )
    )
    assert "Jane&#x27;s Bakehouse" in after_rename
    after_branding = changed(
        lambda: update_organization(
            organization=invoice.organization, actor=staff, name="Acme Trading"
        )
    )
    assert "Acme Trading" in after_branding and "Acme Ltd" not in after_branding


def test_an_edit_of_a_draft_shows_at_once(
    customer, send, customer_client, owner, django_capture_on_commit_callbacks
):
    from tests.factories import make_document

    quote = make_document(customer=customer, kind="quote")
    _, path = send(quote)
    assert "Consulting" in customer_client.get(path).content.decode()
    staff = Actor(type="staff", user=owner, label=owner.email)
    with django_capture_on_commit_callbacks(execute=True):
        update_document(
            document=quote,
            actor=staff,
            lines=[LineInput("Bread workshop", Decimal("1"), Decimal("50.00"))],
            issue_date=quote.issue_date,
            valid_until=quote.valid_until,
        )
    assert "Bread workshop" in customer_client.get(path).content.decode()
