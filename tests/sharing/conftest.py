"""Shared set-up for the secure-link tests.

Links reach a test the way they reach a customer: `send_document` queues the email, the
outbox delivers it on commit (django_capture_on_commit_callbacks(execute=True)) through
Django's locmem backend, and the token is read out of mail.outbox.
"""

import re
from collections.abc import Callable

import pytest
from django.core import mail
from django.test import Client

from solabooks.activity.services import Actor
from solabooks.sharing.services import send_document
from tests.factories import make_document

LINK_URL = re.compile(r"https?://[^\s\"'<>]+?(/finance/([iq])/([A-Za-z0-9_\-]+))")


def link_path_in(message) -> str:
    """The /finance/i|q/<token> path of the link in an email (text part)."""
    found = LINK_URL.search(message.body)
    assert found, f"no secure link in the email: {message.body!r}"
    return found.group(1)


def token_of(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    # pytest-django already swaps in locmem; say so, since every assertion relies on it.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def staff_actor(owner) -> Actor:
    return Actor(type="staff", user=owner, label=owner.email)


@pytest.fixture
def send(django_capture_on_commit_callbacks, staff_actor) -> Callable:
    """send(document, **kwargs) -> (SendResult, link path), the email delivered."""

    def _send(document, **kwargs):
        before = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            result = send_document(document=document, actor=staff_actor, **kwargs)
        assert len(mail.outbox) == before + 1
        return result, link_path_in(mail.outbox[-1])

    return _send


@pytest.fixture
def invoice(customer):
    return make_document(customer=customer, kind="invoice")


@pytest.fixture
def quote(customer):
    return make_document(customer=customer, kind="quote")


@pytest.fixture
def sent_invoice(invoice, send):
    """(invoice, link path) after a real send."""
    _, path = send(invoice)
    invoice.refresh_from_db()
    return invoice, path


@pytest.fixture
def sent_quote(quote, send):
    _, path = send(quote)
    quote.refresh_from_db()
    return quote, path


@pytest.fixture
def customer_client() -> Client:
    """A customer's browser: no staff session, a user agent, a client address."""
    return Client(HTTP_USER_AGENT="Mozilla/5.0 (Customer)", REMOTE_ADDR="203.0.113.7")
