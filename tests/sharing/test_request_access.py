"""Request access on an expired link: a fresh 24-hour link to the email on file, rate limited,
and the same neutral answer whatever happened."""

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from solabooks.activity.models import Activity, Verb
from solabooks.sharing.models import SecureLink
from solabooks.sharing.services import LINK_LIFETIME
from solabooks.sharing.views import REQUEST_ACCESS_PER_IP, REQUEST_ACCESS_PER_LINK
from tests.factories import make_document

from .conftest import link_path_in

pytestmark = pytest.mark.django_db

NEUTRAL = "If this link can be renewed, a new link has been emailed to the address on file."


@pytest.fixture
def request_access(customer_client, django_capture_on_commit_callbacks):
    """POST Request access on a link path, delivering whatever it queued."""

    def _post(path: str, data: dict | None = None, client: Client | None = None):
        with django_capture_on_commit_callbacks(execute=True):
            return (client or customer_client).post(path, {"op": "request_access", **(data or {})})

    return _post


def after_expiry(path_link: SecureLink, seconds: int = 1):
    return time_machine.travel(path_link.expires_at + datetime.timedelta(seconds=seconds))


def test_request_access_emails_a_fresh_24_hour_link_to_the_address_on_file(
    sent_invoice, request_access, customer_client
):
    invoice, path = sent_invoice
    old = SecureLink.objects.get(document=invoice)
    sent_before = len(mail.outbox)
    with after_expiry(old):
        response = request_access(path)
        assert response.status_code == 200
        assert NEUTRAL in response.content.decode()
        assert len(mail.outbox) == sent_before + 1
        message = mail.outbox[-1]
        assert message.to == ["jane@bakery.test"]
        assert message.subject.startswith("A new link to invoice")
        fresh_path = link_path_in(message)
        assert fresh_path != path
        fresh = SecureLink.objects.exclude(pk=old.pk).get(document=invoice)
        assert fresh.created_at == fresh.expires_at - LINK_LIFETIME
        assert customer_client.get(fresh_path).status_code == 200
        assert customer_client.get(path).status_code == 410  # the old one stays expired
    requested = Activity.objects.get(document=invoice, verb=Verb.ACCESS_REQUESTED)
    assert requested.details == {
        "link_id": old.pk,
        "outcome": "renewed",
        "new_link_id": fresh.pk,
        "sent_to": "jane@bakery.test",
    }
    assert requested.ip == "203.0.113.7"
    assert requested.user_agent == "Mozilla/5.0 (Customer)"


def test_the_fresh_link_expires_24_hours_after_it_is_issued(sent_invoice, request_access):
    invoice, path = sent_invoice
    old = SecureLink.objects.get(document=invoice)
    later = old.expires_at + datetime.timedelta(days=3)
    with time_machine.travel(later, tick=False):
        request_access(path)
        fresh = SecureLink.objects.exclude(pk=old.pk).get(document=invoice)
        fresh_path = link_path_in(mail.outbox[-1])
    assert fresh.created_at == later
    assert fresh.expires_at == later + LINK_LIFETIME
    client = Client()
    with time_machine.travel(later + LINK_LIFETIME - datetime.timedelta(minutes=1)):
        assert client.get(fresh_path).status_code == 200
    with time_machine.travel(later + LINK_LIFETIME + datetime.timedelta(seconds=1)):
        assert client.get(fresh_path).status_code == 410


def test_an_address_posted_with_the_request_is_ignored(sent_invoice, request_access):
    invoice, path = sent_invoice
    old = SecureLink.objects.get(document=invoice)
    with after_expiry(old):
        response = request_access(path, {"email": "attacker@evil.test", "to": "attacker@evil.test"})
    assert NEUTRAL in response.content.decode()
    assert [m.to for m in mail.outbox] == [["jane@bakery.test"], ["jane@bakery.test"]]
    assert all("attacker" not in str(m.message()) for m in mail.outbox)


def test_the_fresh_link_goes_to_the_customers_current_address(
    sent_invoice, request_access, customer
):
    invoice, path = sent_invoice
    customer.email = "accounts@bakery.test"
    customer.save()
    with after_expiry(SecureLink.objects.get(document=invoice)):
        request_access(path)
    assert mail.outbox[-1].to == ["accounts@bakery.test"]


def test_an_active_link_gets_the_same_answer_and_no_email(sent_invoice, request_access):
    invoice, path = sent_invoice
    response = request_access(path)
    assert response.status_code == 200
    assert NEUTRAL in response.content.decode()
    assert len(mail.outbox) == 1  # only the original send
    requested = Activity.objects.get(document=invoice, verb=Verb.ACCESS_REQUESTED)
    assert requested.details["outcome"] == "active"


def test_a_revoked_link_gets_the_same_answer_and_no_email(sent_invoice, request_access):
    invoice, path = sent_invoice
    SecureLink.objects.update(revoked_at=timezone.now(), revoked_reason="revoked")
    with after_expiry(SecureLink.objects.get(document=invoice)):
        response = request_access(path)
    assert response.status_code == 200
    assert NEUTRAL in response.content.decode()
    assert len(mail.outbox) == 1
    assert SecureLink.objects.count() == 1
    requested = Activity.objects.get(document=invoice, verb=Verb.ACCESS_REQUESTED)
    assert requested.details["outcome"] == "invalid"


def test_a_reassigned_documents_old_link_is_not_renewed(
    sent_invoice, request_access, other_customer, staff_actor
):
    from solabooks.documents.services import reassign_document

    invoice, path = sent_invoice
    old = SecureLink.objects.get(document=invoice)
    reassign_document(document=invoice, new_customer=other_customer, actor=staff_actor)
    with after_expiry(old):
        response = request_access(path)
    assert NEUTRAL in response.content.decode()
    assert len(mail.outbox) == 1
    assert "bob@garage.test" not in [m.to[0] for m in mail.outbox]


def test_a_deleted_documents_link_is_not_renewed(sent_invoice, request_access):
    invoice, path = sent_invoice
    old = SecureLink.objects.get(document=invoice)
    invoice.delete()
    with after_expiry(old):
        response = request_access(path)
    assert response.status_code == 200
    assert NEUTRAL in response.content.decode()
    assert len(mail.outbox) == 1


def test_an_unknown_token_is_the_ordinary_404(request_access, db):
    response = request_access("/finance/i/" + "A" * 43)
    assert response.status_code == 404
    assert len(mail.outbox) == 0


def test_request_access_floods_are_limited_per_link(sent_invoice, request_access):
    invoice, path = sent_invoice
    old = SecureLink.objects.get(document=invoice)
    limit = REQUEST_ACCESS_PER_LINK.max_hits
    with after_expiry(old):
        answers = [request_access(path) for _ in range(limit + 5)]
        # A different client address does not reset a link's count.
        other = Client(REMOTE_ADDR="198.51.100.99")
        answers.append(request_access(path, client=other))
    assert [a.status_code for a in answers] == [200] * limit + [429] * 6
    assert all(NEUTRAL in a.content.decode() for a in answers)
    assert len(mail.outbox) == 1 + limit
    assert Activity.objects.filter(verb=Verb.ACCESS_REQUESTED).count() == limit


def test_request_access_floods_are_limited_per_client_address(customer, send, request_access):
    limit = REQUEST_ACCESS_PER_IP.max_hits
    paths = []
    for _ in range(limit + 2):
        _, path = send(make_document(customer=customer))
        paths.append(path)
    sent = len(mail.outbox)
    newest = SecureLink.objects.order_by("-expires_at").first()
    with after_expiry(newest):
        answers = [request_access(path) for path in paths]
    assert [a.status_code for a in answers] == [200] * limit + [429] * 2
    assert len(mail.outbox) == sent + limit


def test_request_access_needs_csrf_and_a_post(sent_invoice):
    invoice, path = sent_invoice
    browser = Client(enforce_csrf_checks=True)
    with after_expiry(SecureLink.objects.get(document=invoice)):
        assert browser.post(path, {"op": "request_access"}).status_code == 403
        # A GET (a mail scanner) only shows the expired page; it requests nothing.
        assert browser.get(f"{path}?op=request_access").status_code == 410
        page = browser.get(path).content.decode()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        ok = browser.post(path, {"op": "request_access", "csrfmiddlewaretoken": csrf})
    assert ok.status_code == 200
    assert SecureLink.objects.filter(document=invoice).count() == 2
