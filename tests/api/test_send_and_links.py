"""Sending a document through the API: a secure link that always expires 24 hours after it
is created (the guide: "Even if a custom expiry is requested via the API, the system
overrides it to 24 hours."), and whose token is in the email and nowhere else."""

import datetime
import re

import pytest

from solabooks.sharing.models import SecureLink
from solabooks.sharing.services import LINK_LIFETIME
from tests.factories import make_document

from .conftest import API

pytestmark = pytest.mark.django_db

TOKEN_IN_URL = re.compile(r"/finance/[iq]/([A-Za-z0-9_\-]{20,})")


@pytest.fixture
def invoice(customer):
    return make_document(customer=customer)


def send(api, document, **body):
    return api.post(f"{API}/documents/{document.pk}/send", body, format="json")


def assert_expires_24_hours_after_creation(answer: dict) -> None:
    link = SecureLink.objects.get(pk=answer["link"]["id"])
    assert link.expires_at - link.created_at == LINK_LIFETIME == datetime.timedelta(hours=24)
    assert answer["link"]["expires_at"] == link.expires_at.isoformat().replace("+00:00", "Z")


NOW = datetime.datetime.now(datetime.UTC)
CUSTOM_EXPIRIES = {
    "48 hours in seconds": {"expires_in": 48 * 3600},
    "one hour in seconds": {"expires_in": 3600},
    "seconds as a string": {"expires_in": "604800"},
    "an ISO-8601 duration": {"expires_in": "PT72H"},
    "a week as a duration": {"expires_in": "P7D"},
    "a date a year away": {"expires_at": (NOW + datetime.timedelta(days=365)).isoformat()},
    "a date in the past": {"expires_at": (NOW - datetime.timedelta(days=3)).isoformat()},
    "nonsense text": {"expires_in": "whenever you like"},
    "a negative number": {"expires_in": -5},
    "an object": {"expires_at": {"days": 30}},
    "a boolean": {"expires_in": True},
    "both at once": {"expires_in": 86400, "expires_at": "2099-01-01T00:00:00Z"},
}


@pytest.mark.parametrize("body", CUSTOM_EXPIRIES.values(), ids=CUSTOM_EXPIRIES.keys())
def test_link_expiry_is_24_hours_whatever_the_api_asks(api, invoice, body):
    response = send(api, invoice, **body)
    assert response.status_code == 202
    answer = response.json()
    assert answer["expiry_overridden"] is True
    assert "24 hours" in answer["expiry_note"] and "overridden" in answer["expiry_note"]
    assert_expires_24_hours_after_creation(answer)


@pytest.mark.parametrize(
    "body",
    [{}, {"expires_in": None}, {"expires_in": 86400}, {"expires_in": "PT24H"}],
    ids=["nothing", "null", "exactly 24h in seconds", "exactly 24h as a duration"],
)
def test_no_custom_expiry_is_not_reported_as_overridden(api, invoice, body):
    response = send(api, invoice, **body)
    assert response.status_code == 202
    answer = response.json()
    assert answer["expiry_overridden"] is False
    assert_expires_24_hours_after_creation(answer)


def test_send_queues_the_email_with_subject_and_message(
    api, invoice, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = send(api, invoice, subject="Your invoice", message="Thanks for your business")
    assert response.status_code == 202
    assert response.json()["sent_to"] == "jane@bakery.test"
    assert [m.to for m in mailoutbox] == [["jane@bakery.test"]]
    assert mailoutbox[0].subject == "Your invoice"
    assert "Thanks for your business" in mailoutbox[0].body
    invoice.refresh_from_db()
    assert invoice.state == "sent"


def test_the_raw_token_is_in_no_api_answer(
    api, invoice, customer, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sent = send(api, invoice, expires_in="P30D")
    tokens = {t for message in mailoutbox for t in TOKEN_IN_URL.findall(message.body)}
    assert len(tokens) == 1, "the email carries the link"
    (token,) = tokens
    answers = [
        sent,
        api.get(f"{API}/documents/{invoice.pk}/"),
        api.get(f"{API}/documents/{invoice.pk}/links/"),
        api.get(f"{API}/customers/{customer.pk}/links/"),
        api.get(f"{API}/documents/{invoice.pk}/activity/"),
        api.get(f"{API}/customers/{customer.pk}/activity/"),
        api.get(f"{API}/documents/"),
        api.post(f"{API}/customers/{customer.pk}/links/revoke"),
        api.get(f"{API}/customers/{customer.pk}/links/"),
    ]
    for answer in answers:
        assert answer.status_code < 300
        assert token not in answer.content.decode()
    link = SecureLink.objects.get()
    assert token not in link.token_hash


def test_links_are_listed_without_tokens(api, invoice, customer):
    link_id = send(api, invoice).json()["link"]["id"]
    for path in (f"documents/{invoice.pk}/links/", f"customers/{customer.pk}/links/"):
        rows = api.get(f"{API}/{path}").json()["results"]
        assert [row["id"] for row in rows] == [link_id]
        assert set(rows[0]) == {
            "id",
            "document",
            "customer",
            "sent_to",
            "created_at",
            "expires_at",
            "revoked_at",
            "revoked_reason",
            "last_used_at",
            "state",
        }
        assert rows[0]["state"] == "active"


def test_revoke_all_of_a_customers_links(api, invoice, customer):
    send(api, invoice)
    send(api, invoice)
    response = api.post(f"{API}/customers/{customer.pk}/links/revoke")
    assert response.status_code == 200
    assert response.json() == {"revoked": 2}
    rows = api.get(f"{API}/customers/{customer.pk}/links/").json()["results"]
    assert {row["state"] for row in rows} == {"invalid"}
    assert all(row["revoked_at"] for row in rows)


def test_reassigning_a_document_invalidates_its_links(api, invoice, other_customer):
    send(api, invoice)
    response = api.post(
        f"{API}/documents/{invoice.pk}/reassign", {"customer": other_customer.pk}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["customer"] == other_customer.pk
    rows = api.get(f"{API}/documents/{invoice.pk}/links/").json()["results"]
    assert [row["state"] for row in rows] == ["invalid"]


def test_a_void_document_cannot_be_sent(api, customer):
    void = make_document(customer=customer, state="void")
    response = send(api, void)
    assert response.status_code == 400
    assert not SecureLink.objects.exists()


def test_revoke_one_link_stops_it_and_only_it(
    api, invoice, customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = send(api, invoice).json()["link"]["id"]
        second = send(api, invoice).json()["link"]["id"]
    answer = api.post(f"{API}/links/{first}/revoke")
    assert answer.status_code == 200
    assert answer.json()["revoked_at"] is not None
    assert SecureLink.objects.get(pk=first).revoked_at is not None
    assert SecureLink.objects.get(pk=second).revoked_at is None
    # Revoking again changes nothing and still answers the link.
    again = api.post(f"{API}/links/{first}/revoke")
    assert again.status_code == 200
    assert again.json()["revoked_at"] == answer.json()["revoked_at"]


def test_another_business_cannot_revoke_a_link(api, other_api, invoice):
    link_id = send(api, invoice).json()["link"]["id"]
    assert other_api.post(f"{API}/links/{link_id}/revoke").status_code == 404
    assert SecureLink.objects.get(pk=link_id).revoked_at is None
