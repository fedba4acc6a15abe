"""Before an invoice with e-invoice data leaves (sent by Solabooks, or marked as sent by
staff), its XML must pass the Factur-X schema; a failure refuses the send with a clear
message on the staff page and in the API, and nothing is queued, linked or changed."""

import pytest
from django.core import mail
from django.urls import reverse

from solabooks.activity.models import Activity, Verb
from solabooks.core.errors import DomainError
from solabooks.documents.services import transition_document
from solabooks.einvoice import services as einvoice_services
from solabooks.mail.models import OutboxMessage
from solabooks.sharing.models import SecureLink
from solabooks.sharing.services import send_document
from tests.api.conftest import API, key_client, make_key
from tests.factories import make_document, make_einvoice_ready

pytestmark = pytest.mark.django_db

BROKEN = "line 1: Element 'rsm:CrossIndustryInvoice': broken on purpose"


@pytest.fixture
def ready(org, customer):
    make_einvoice_ready(organization=org, customers=[customer])
    return make_document(customer=customer)


@pytest.fixture
def broken_schema(monkeypatch):
    checked = []

    def fails(xml: bytes) -> list[str]:
        checked.append(xml)
        return [BROKEN]

    monkeypatch.setattr(einvoice_services, "schema_errors", fails)
    return checked


def assert_nothing_left(invoice) -> None:
    invoice.refresh_from_db()
    assert invoice.state == "draft" and invoice.sent_at is None
    assert not SecureLink.objects.filter(document=invoice).exists()
    assert not OutboxMessage.objects.exists()
    assert not mail.outbox
    assert not Activity.objects.filter(document=invoice, verb=Verb.SENT).exists()


def test_a_schema_failure_refuses_the_send(ready, staff_actor, broken_schema):
    with pytest.raises(DomainError) as refused:
        send_document(document=ready, actor=staff_actor)
    assert refused.value.code == "einvoice_invalid"
    assert f"{ready.number} was not sent" in refused.value.message
    assert BROKEN in refused.value.message
    assert broken_schema  # the XML was checked: the very bytes einvoice_xml gives
    assert_nothing_left(ready)


def test_the_staff_page_says_why(owner_client, ready, broken_schema):
    response = owner_client.post(
        reverse("document-send", args=[ready.pk]), {"subject": "Hi", "message": "x"}, follow=True
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "was not sent: its e-invoice data failed the Factur-X schema check" in html
    assert_nothing_left(ready)


def test_the_api_says_why(org, owner, ready, broken_schema):
    api = key_client(make_key(org, owner).raw)
    response = api.post(f"{API}/documents/{ready.pk}/send", {}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "einvoice_invalid"
    assert "failed the Factur-X schema check" in error["message"]
    assert_nothing_left(ready)


def test_marking_as_sent_is_refused_too(owner_client, ready, staff_actor, broken_schema):
    with pytest.raises(DomainError, match="failed the Factur-X schema check"):
        transition_document(document=ready, action="mark_sent", actor=staff_actor)
    response = owner_client.post(
        reverse("document-transition", args=[ready.pk]), {"action": "mark_sent"}, follow=True
    )
    assert "failed the Factur-X schema check" in response.content.decode()
    assert_nothing_left(ready)


def test_without_e_invoice_data_there_is_nothing_to_check(customer, send, broken_schema):
    invoice = make_document(customer=customer)  # no VAT identifier, no country
    send(invoice)
    invoice.refresh_from_db()
    assert invoice.state == "sent"
    assert not broken_schema


def test_a_quote_is_not_checked(org, customer, send, broken_schema):
    make_einvoice_ready(organization=org, customers=[customer])
    send(make_document(customer=customer, kind="quote"))
    assert not broken_schema


def test_a_valid_e_invoice_is_sent(ready, send):
    result, _ = send(ready)
    ready.refresh_from_db()
    assert ready.state == "sent"
    assert result.outbox_message is not None


def test_a_credit_note_with_e_invoice_data_is_checked_too(org, customer, staff_actor, monkeypatch):
    make_einvoice_ready(organization=org, customers=[customer])
    credit_note = make_document(customer=customer, kind="credit_note")
    monkeypatch.setattr(einvoice_services, "schema_errors", lambda xml: [BROKEN])
    with pytest.raises(DomainError) as refused:
        send_document(document=credit_note, actor=staff_actor)
    assert refused.value.code == "einvoice_invalid"
    assert not SecureLink.objects.filter(document=credit_note).exists()
    assert not Activity.objects.filter(document=credit_note, verb=Verb.SENT).exists()


def test_a_send_builds_and_checks_the_xml_once(ready, staff_actor, monkeypatch):
    """check() and apply() in one transition: the XML check runs once, not twice."""
    schema_errors = einvoice_services.schema_errors
    checked = []

    def counting(xml: bytes) -> list[str]:
        checked.append(xml)
        return schema_errors(xml)

    monkeypatch.setattr(einvoice_services, "schema_errors", counting)
    send_document(document=ready, actor=staff_actor)
    assert len(checked) == 1
