"""Accept / Decline on the public quote link (and the shared decide_quote service)."""

import datetime
import hashlib
import re
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client

from solabooks.activity.models import Activity, Verb
from solabooks.activity.services import Actor
from solabooks.core.errors import DomainError
from solabooks.core.storage import private_storage
from solabooks.documents.models import AcceptanceRecord, Document
from solabooks.documents.quote_decisions import decide_quote, quote_fingerprint
from solabooks.documents.services import LineInput, update_document
from solabooks.sharing.models import SecureLink
from tests.concurrency import run_together
from tests.factories import make_document

pytestmark = pytest.mark.django_db


def accept(client: Client, path: str, version: int, name: str = "Jane Baker", **extra):
    data = {"accept-version": version, "accept-signer_name": name}
    return client.post(path, {"op": "accept", **data}, **extra)


def decline(client: Client, path: str, version: int, reason: str = ""):
    return client.post(
        path, {"op": "decline", "decline-version": version, "decline-reason": reason}
    )


def test_a_sent_quote_shows_accept_and_decline_forms_with_the_version(sent_quote, customer_client):
    quote, path = sent_quote
    page = customer_client.get(path).content.decode()
    assert 'name="op" value="accept"' in page
    assert 'name="op" value="decline"' in page
    assert f'name="accept-version" value="{quote.content_version}"' in page
    assert f'name="decline-version" value="{quote.content_version}"' in page
    assert 'name="accept-signer_name"' in page
    assert page.count('name="csrfmiddlewaretoken"') >= 2


def test_accept_requires_the_signers_full_name(sent_quote, customer_client):
    quote, path = sent_quote
    response = accept(customer_client, path, quote.content_version, name="   ")
    assert response.status_code == 400
    assert "This field is required." in response.content.decode() or "full name" in (
        response.content.decode()
    )
    quote.refresh_from_db()
    assert quote.state == "sent"


def test_accept_is_recorded_with_time_ip_agent_signer_version_and_hash(sent_quote, customer_client):
    quote, path = sent_quote
    shown = quote_fingerprint(quote)
    response = accept(customer_client, path, quote.content_version, name="  Jane   Baker ")
    assert response.status_code == 302
    assert response["Location"] == "?"  # back to the page, without spelling the token
    quote.refresh_from_db()
    assert quote.state == "accepted"
    accepted = Activity.objects.get(document=quote, verb=Verb.QUOTE_ACCEPTED)
    link = SecureLink.objects.get(document=quote)
    assert accepted.ip == "203.0.113.7"
    assert accepted.user_agent == "Mozilla/5.0 (Customer)"
    assert accepted.actor_type == "link"
    assert accepted.details["link_id"] == link.pk
    assert accepted.details["signer_name"] == "Jane Baker"
    assert accepted.details["version"] == quote.content_version
    assert accepted.details["quote_sha256"] == shown
    assert re.fullmatch(r"[0-9a-f]{64}", shown)
    assert accepted.details["decided_at"]
    page = customer_client.get(path).content.decode()
    assert "You have accepted quote" in page
    assert "This quote has been accepted." in page
    assert 'name="accept-version"' not in page


def test_decline_takes_an_optional_reason(sent_quote, customer_client, customer, send):
    quote, path = sent_quote
    response = decline(customer_client, path, quote.content_version, reason="Too expensive")
    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.state == "declined"
    declined = Activity.objects.get(document=quote, verb=Verb.QUOTE_DECLINED)
    assert declined.details["reason"] == "Too expensive"
    assert declined.details["quote_sha256"] == quote_fingerprint(quote)
    other = make_document(customer=customer, kind="quote")
    _, other_path = send(other)
    other.refresh_from_db()
    assert decline(customer_client, other_path, other.content_version).status_code == 302
    other.refresh_from_db()
    assert other.state == "declined"


def test_a_quote_accepted_twice_stays_accepted_once(sent_quote, customer_client):
    quote, path = sent_quote
    accept(customer_client, path, quote.content_version)
    again = accept(customer_client, path, quote.content_version, name="Someone Else")
    assert again.status_code == 302
    page = customer_client.get(path).content.decode()
    assert "already been accepted" in page
    changed_mind = decline(customer_client, path, quote.content_version, reason="changed mind")
    assert changed_mind.status_code == 302
    quote.refresh_from_db()
    assert quote.state == "accepted"
    decisions = Activity.objects.filter(
        document=quote, verb__in=[Verb.QUOTE_ACCEPTED, Verb.QUOTE_DECLINED]
    )
    assert [a.details["signer_name"] for a in decisions] == ["Jane Baker"]


def test_a_decision_on_an_old_version_is_refused_and_the_page_shows_the_new_one(
    sent_quote, customer_client, staff_actor
):
    quote, path = sent_quote
    old_version = quote.content_version
    update_document(
        document=quote,
        actor=staff_actor,
        lines=[LineInput("Bigger job", Decimal("1"), Decimal("999.00"))],
        issue_date=quote.issue_date,
        valid_until=quote.valid_until,
    )
    quote.refresh_from_db()
    assert quote.content_version == old_version + 1
    response = accept(customer_client, path, old_version)
    assert response.status_code == 302
    assert response["Location"] == "?"  # back to the page, without spelling the token
    quote.refresh_from_db()
    assert quote.state == "sent"
    page = customer_client.get(path).content.decode()
    assert "This quote has changed since you opened it" in page
    assert "Bigger job" in page
    assert f'name="accept-version" value="{quote.content_version}"' in page
    assert accept(customer_client, path, quote.content_version).status_code == 302
    quote.refresh_from_db()
    assert quote.state == "accepted"


def test_a_quote_past_its_valid_until_date_cannot_be_accepted(sent_quote, customer_client):
    quote, path = sent_quote
    link = SecureLink.objects.get(document=quote)
    Document.objects.filter(pk=quote.pk).update(valid_until=datetime.date(2020, 1, 1))
    assert link.expires_at > link.created_at  # the link itself is still good
    accept(customer_client, path, quote.content_version)
    quote.refresh_from_db()
    assert quote.state == "sent"
    assert "can no longer be accepted" in customer_client.get(path).content.decode()
    # Declining an out-of-date quote is still the customer's to say.
    decline(customer_client, path, quote.content_version)
    quote.refresh_from_db()
    assert quote.state == "declined"


def test_valid_until_is_the_last_day_it_can_be_accepted(customer, staff_actor):
    quote = make_document(customer=customer, kind="quote", state="sent")
    Document.objects.filter(pk=quote.pk).update(valid_until=datetime.date(2030, 6, 30))
    with time_machine.travel(datetime.datetime(2030, 6, 30, 23, 0, tzinfo=datetime.UTC)):
        decided = decide_quote(
            document=quote,
            decision="accept",
            signer_name="Jane",
            reason="",
            seen_version=quote.content_version,
            actor=staff_actor,
        )
    assert decided.state == "accepted"


@pytest.mark.parametrize("state", ["draft", "expired", "accepted", "declined"])
def test_only_a_sent_quote_can_be_decided(customer, staff_actor, state):
    quote = make_document(customer=customer, kind="quote", state=state)
    with pytest.raises(DomainError):
        decide_quote(
            document=quote,
            decision="accept",
            signer_name="Jane",
            reason="",
            seen_version=quote.content_version,
            actor=staff_actor,
        )
    quote.refresh_from_db()
    assert quote.state == state


def test_only_quotes_and_known_decisions(customer, staff_actor):
    invoice = make_document(customer=customer, state="sent")
    quote = make_document(customer=customer, kind="quote", state="sent")
    for document, decision in [(invoice, "accept"), (quote, "maybe")]:
        with pytest.raises(DomainError):
            decide_quote(
                document=document,
                decision=decision,
                signer_name="Jane",
                reason="",
                seen_version=document.content_version,
                actor=staff_actor,
            )


def test_the_fingerprint_covers_lines_totals_and_version(customer, staff_actor):
    quote = make_document(customer=customer, kind="quote")
    before = quote_fingerprint(quote)
    assert before == quote_fingerprint(Document.objects.get(pk=quote.pk))
    update_document(
        document=quote,
        actor=staff_actor,
        lines=[LineInput("Consulting", Decimal("2"), Decimal("150.01"), Decimal("10"))],
        issue_date=quote.issue_date,
        valid_until=quote.valid_until,
    )
    quote.refresh_from_db()
    assert quote_fingerprint(quote) != before
    assert len(hashlib.sha256(b"").hexdigest()) == len(before)


def test_invoices_have_no_accept_url(sent_invoice, customer_client):
    invoice, path = sent_invoice
    assert customer_client.post(path, {"op": "accept"}).status_code == 400
    invoice.refresh_from_db()
    assert invoice.state == "sent"


def test_an_expired_link_cannot_decide(sent_quote, customer_client):
    quote, path = sent_quote
    link = SecureLink.objects.get(document=quote)
    with time_machine.travel(link.expires_at + datetime.timedelta(seconds=1)):
        response = accept(customer_client, path, quote.content_version)
    assert response.status_code == 410
    quote.refresh_from_db()
    assert quote.state == "sent"


def test_decisions_need_csrf(sent_quote):
    quote, path = sent_quote
    browser = Client(enforce_csrf_checks=True)
    assert accept(browser, path, quote.content_version).status_code == 403
    assert decline(browser, path, quote.content_version).status_code == 403
    quote.refresh_from_db()
    assert quote.state == "sent"
    # The real form, with the token from the page, goes through.
    page = browser.get(path).content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = browser.post(
        path,
        {
            "op": "accept",
            "accept-version": quote.content_version,
            "accept-signer_name": "Jane",
            "csrfmiddlewaretoken": csrf,
        },
    )
    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.state == "accepted"


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_accepts_at_once_exactly_one_wins(customer, django_capture_on_commit_callbacks):
    if connection.vendor != "postgresql":
        pytest.skip("row locks under real concurrency need PostgreSQL")
    from solabooks.sharing.services import issue_link

    quote = make_document(customer=customer, kind="quote", state="sent")
    token = issue_link(document=quote, actor=Actor.system()).raw_token
    path = f"/finance/q/{token}"

    def post(name: str) -> str:
        client = Client(REMOTE_ADDR="198.51.100.1")
        return str(accept(client, path, quote.content_version, name=name).status_code)

    statuses = run_together([lambda: post("Ann One"), lambda: post("Bob Two")])
    assert statuses == ["302", "302"]
    quote.refresh_from_db()
    assert quote.state == "accepted"
    decisions = Activity.objects.filter(document=quote, verb=Verb.QUOTE_ACCEPTED)
    assert decisions.count() == 1
    # Both rendered their proof before the lock; the loser's files went with its decision.
    assert AcceptanceRecord.objects.filter(document=quote).count() == 1
    _, stored = private_storage().listdir(f"acceptances/{quote.organization_id}")
    assert len(stored) == 2
