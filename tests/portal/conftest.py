"""Shared set-up for the portal tests.

Portal emails reach a test the way they reach a customer: a service queues the email, the
outbox delivers it on commit (django_capture_on_commit_callbacks(execute=True)) through
Django's locmem backend, and the setup / reset link is read out of mail.outbox.
"""

import re
from collections.abc import Callable

import pytest
from django.core import mail
from django.test import Client

from solabooks.activity.services import Actor
from solabooks.portal.services import enable_portal_access

PORTAL_PASSWORD = "quiet-harbour-lantern-97"
NEW_PASSWORD = "amber-falcon-orchard-31"
LOGIN = "/finance/customer-portal/login"
DASHBOARD = "/finance/customer-portal/"
TOKEN_LINK = re.compile(
    r"https?://[^\s\"'<>]+?(/finance/customer-portal/(setup|reset)/([A-Za-z0-9_\-]+))"
)


def portal_link_in(message, purpose: str | None = None) -> str:
    """The /finance/customer-portal/setup|reset/<token> path in an email's text part."""
    found = TOKEN_LINK.search(message.body)
    assert found, f"no portal link in the email: {message.body!r}"
    if purpose is not None:
        assert found.group(2) == purpose, found.group(1)
    return found.group(1)


def html_part(message) -> str:
    return next(body for body, kind in message.alternatives if kind == "text/html")


def customer_browser(ip: str = "203.0.113.7") -> Client:
    """A customer's browser: its own cookies, a user agent, a client address."""
    return Client(HTTP_USER_AGENT="Mozilla/5.0 (Customer)", REMOTE_ADDR=ip)


def sign_in(client: Client, email: str, password: str = PORTAL_PASSWORD, **extra):
    return client.post(LOGIN, {"email": email, "password": password}, **extra)


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def staff_actor(owner) -> Actor:
    return Actor(type="staff", user=owner, label=owner.email)


@pytest.fixture
def deliver(django_capture_on_commit_callbacks) -> Callable:
    """deliver(fn, **kwargs) -> (result, [emails sent]): runs fn, then the outbox."""

    def _deliver(fn, **kwargs):
        before = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            result = fn(**kwargs)
        return result, mail.outbox[before:]

    return _deliver


@pytest.fixture
def invite(deliver, staff_actor) -> Callable:
    """invite(customer, actor=None) -> the setup link path emailed to the customer."""

    def _invite(customer, actor: Actor | None = None) -> str:
        _, sent = deliver(
            enable_portal_access,
            customer=customer,
            confirmed_email=customer.email,
            actor=actor or staff_actor,
        )
        assert len(sent) == 1 and sent[0].to == [customer.email]
        return portal_link_in(sent[0], "setup")

    return _invite


@pytest.fixture
def set_up(invite, django_capture_on_commit_callbacks) -> Callable:
    """set_up(customer, password) -> a browser signed in to that customer's portal."""

    def _set_up(customer, password: str = PORTAL_PASSWORD, client: Client | None = None):
        client = client or customer_browser()
        path = invite(customer)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(path, {"new_password1": password, "new_password2": password})
        assert response.status_code == 302, response.content.decode()[:2000]
        assert response["Location"] == DASHBOARD
        return client

    return _set_up


@pytest.fixture
def portal(set_up, customer) -> Client:
    """Jane's Bakery, signed in to Acme Ltd's portal."""
    return set_up(customer)
