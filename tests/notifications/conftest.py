"""Set-up for the business-notification tests: a quote really sent by a staff member (the
customer's link read out of the email, as in tests/sharing), and helpers to run the sweep
once the burst window has passed."""

import datetime
import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from solabooks.activity.services import Actor
from solabooks.notifications.services import send_due_notifications
from solabooks.sharing.services import send_document
from tests.emails import without_acceptance_confirmations
from tests.factories import make_document

LINK_URL = re.compile(r"https?://[^\s\"'<>]+?(/finance/([iq])/([A-Za-z0-9_\-]+))")
WINDOW = datetime.timedelta(minutes=5)


@pytest.fixture(autouse=True)
def _notification_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.NOTIFICATION_BURST_WINDOW = WINDOW
    settings.BASE_URL = "https://books.example.test"


@pytest.fixture
def staff_actor(owner) -> Actor:
    return Actor(type="staff", user=owner, label=owner.email)


@pytest.fixture
def send(django_capture_on_commit_callbacks, staff_actor):
    """send(document) -> the customer's link path; the email delivered, then cleared."""

    def _send(document, actor=None):
        with django_capture_on_commit_callbacks(execute=True):
            send_document(document=document, actor=actor or staff_actor)
        found = LINK_URL.search(mail.outbox[-1].body)
        assert found
        mail.outbox.clear()
        document.refresh_from_db()
        return found.group(1)

    return _send


@pytest.fixture
def quote(customer):
    return make_document(customer=customer, kind="quote")


@pytest.fixture
def invoice(customer):
    return make_document(customer=customer, kind="invoice")


@pytest.fixture
def customer_client() -> Client:
    return Client(HTTP_USER_AGENT="Mozilla/5.0 (Customer)", REMOTE_ADDR="203.0.113.7")


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """sweep(after=timedelta) -> the business notifications sent by the sweep run that long
    from now (the customer's acceptance confirmation, delivered after the same commit, is
    not one of them)."""

    def _sweep(after: datetime.timedelta = WINDOW + datetime.timedelta(seconds=1)):
        before = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            send_due_notifications(now=timezone.now() + after)
        return without_acceptance_confirmations(mail.outbox[before:])

    return _sweep


def accept(client: Client, path: str, version: int, name: str = "Ana Ruiz"):
    data = {"op": "accept", "accept-version": version, "accept-signer_name": name}
    return client.post(path, data)


def decline(client: Client, path: str, version: int, reason: str = ""):
    data = {"op": "decline", "decline-version": version, "decline-reason": reason}
    return client.post(path, data)
