"""Headers, logs, the database, client addresses and account set-up on token pages."""

import datetime
import io
import ipaddress
import logging
import re

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

from solabooks.activity.models import Activity, Verb
from solabooks.portal import accounts as portal_accounts
from solabooks.sharing import views
from solabooks.sharing.models import SecureLink
from solabooks.sharing.views import ACCOUNT_SETUP_ANSWER, ACCOUNT_SETUP_PER_LINK
from tests.emails import without_acceptance_confirmations

from .conftest import link_path_in, token_of

pytestmark = pytest.mark.django_db


def assert_token_headers(response) -> None:
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["X-Frame-Options"] == "DENY"
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp
    if response["Content-Type"].startswith("text/html"):
        assert "script-src 'self'" in csp
    else:
        assert "default-src 'none'" in csp


def test_headers_on_every_kind_of_token_response(sent_invoice, sent_quote, customer_client):
    invoice, path = sent_invoice
    quote, quote_path = sent_quote
    responses = {
        "page": customer_client.get(path),
        "pdf": customer_client.get(f"{path}?format=pdf"),
        "quote": customer_client.get(quote_path),
        "decision": customer_client.post(quote_path, {"op": "decline", "decline-version": 1}),
        "bad form": customer_client.post(quote_path, {"op": "accept", "accept-version": 1}),
        "wrong method": customer_client.put(path),
        "unknown": customer_client.get("/finance/i/" + "x" * 43),
        "unknown pdf": customer_client.get("/finance/q/" + "x" * 43 + "?format=pdf"),
        "request access": customer_client.post(path, {"op": "request_access"}),
        "account": customer_client.post(path, {"op": "setup_account"}),
    }
    link = SecureLink.objects.get(document=invoice)
    with time_machine.travel(link.expires_at + datetime.timedelta(seconds=1)):
        responses["expired"] = customer_client.get(path)
    responses["csrf refused"] = Client(enforce_csrf_checks=True).post(quote_path, {"op": "accept"})
    SecureLink.objects.update(revoked_at=timezone.now())
    responses["invalid"] = customer_client.get(path)
    assert responses["pdf"]["Content-Type"] == "application/pdf"
    assert responses["unknown"].status_code == 404
    assert responses["csrf refused"].status_code == 403
    for name, response in responses.items():
        assert response.status_code < 500, name
        assert_token_headers(response)


def test_the_token_is_absent_from_every_table_after_send_view_and_renewal(
    sent_invoice, sent_quote, customer_client, django_capture_on_commit_callbacks
):
    """A dump of every table (models, sessions, cache, task queue, outbox) has no token."""
    invoice, path = sent_invoice
    _, quote_path = sent_quote
    tokens = [token_of(path), token_of(quote_path)]
    customer_client.get(path)
    customer_client.get(f"{path}?format=pdf")
    customer_client.post(
        quote_path, {"op": "accept", "accept-version": 1, "accept-signer_name": "J"}
    )
    link = SecureLink.objects.get(document=invoice)
    expired = time_machine.travel(link.expires_at + datetime.timedelta(seconds=1))
    with expired, django_capture_on_commit_callbacks(execute=True):
        customer_client.post(path, {"op": "request_access", "email": "x@evil.test"})
    # The last email to the customer with a link: the business's notification of the
    # accept (due by then) and the acceptance confirmation (no link) may go out after it.
    to_customer = [
        m for m in without_acceptance_confirmations(mail.outbox) if m.to == [invoice.customer.email]
    ]
    tokens.append(token_of(link_path_in(to_customer[-1])))
    dump = dump_database()
    assert len(dump) > 10_000  # the dump really holds the data
    for token in tokens:
        assert token not in dump
        assert token[:24] not in dump


def dump_database() -> str:
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            chunks.append(f"{table}: {cursor.fetchall()!r}")
    return "\n".join(chunks)


@pytest.fixture
def log_output():
    """What the configured log handlers write (the real LOGGING, with its filters)."""
    stream = io.StringIO()
    handlers = {
        handler
        for name in ("", "django", "django.request", "django.security.csrf")
        for handler in logging.getLogger(name).handlers
        if isinstance(handler, logging.StreamHandler)
    }
    previous = {handler: handler.setStream(stream) for handler in handlers}
    assert handlers
    yield stream
    for handler, old in previous.items():
        handler.setStream(old)


def test_a_token_url_that_404s_or_errors_logs_no_token(
    sent_invoice, caplog, log_output, monkeypatch
):
    _, path = sent_invoice
    token = token_of(path)
    caplog.set_level(logging.DEBUG)
    request_logger = logging.getLogger("django.request")
    request_logger.addHandler(caplog.handler)  # it does not propagate to the root logger
    try:
        client = Client(raise_request_exception=False)
        changed = token[:-1] + ("A" if token[-1] != "A" else "B")
        assert client.get(f"/finance/i/{changed}").status_code == 404
        assert client.get(f"/finance/q/{token}").status_code == 404

        def broken(*args, **kwargs):
            raise RuntimeError("the page broke")

        monkeypatch.setattr(views, "_document_page", broken)
        assert client.get(path).status_code == 500
        # And a CSRF refusal, which Django logs with the path.
        csrf_client = Client(enforce_csrf_checks=True)
        assert csrf_client.post(path, {"op": "request_access"}).status_code == 403
    finally:
        request_logger.removeHandler(caplog.handler)
    written = log_output.getvalue()
    assert "Internal Server Error" in written  # the error was logged...
    assert "[redacted]" in written  # ...with the token path redacted
    assert token not in written
    assert changed not in written
    assert token not in caplog.text
    assert changed not in caplog.text
    for record in caplog.records:
        assert token not in record.getMessage()


def test_a_forged_forwarded_for_from_an_untrusted_peer_is_ignored(sent_invoice, settings):
    _, path = sent_invoice
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
    Client(REMOTE_ADDR="203.0.113.50", HTTP_X_FORWARDED_FOR="1.2.3.4").get(path)
    viewed = Activity.objects.get(verb=Verb.VIEWED)
    assert viewed.ip == "203.0.113.50"


def test_a_trusted_proxys_forwarded_for_is_used(sent_invoice, settings):
    _, path = sent_invoice
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
    # The client forged a first hop; the proxy appended the address it really saw.
    Client(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.23").get(path)
    viewed = Activity.objects.get(verb=Verb.VIEWED)
    assert viewed.ip == "198.51.100.23"


def test_rate_limits_count_the_real_client_not_a_forged_header(sent_invoice, settings):
    """Rotating X-Forwarded-For from an untrusted peer does not dodge the per-IP limit."""
    _, path = sent_invoice
    settings.TRUSTED_PROXIES = []
    statuses = [
        Client(REMOTE_ADDR="203.0.113.60", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
        .post(path, {"op": "request_access"})
        .status_code
        for i in range(views.REQUEST_ACCESS_PER_IP.max_hits + 1)
    ]
    assert statuses[-1] == 429


# --- Set up an account ---------------------------------------------------------------------


@pytest.fixture
def portal_calls(monkeypatch) -> list:
    calls = []
    # The task looks the portal's entry point up when it runs, after the answer.
    monkeypatch.setattr(
        portal_accounts, "start_portal_setup_from_link", lambda **kwargs: calls.append(kwargs)
    )
    return calls


def test_set_up_an_account_starts_the_portal_flow_for_the_linked_customer(
    sent_invoice, customer_client, customer, portal_calls
):
    _, path = sent_invoice
    page = customer_client.get(path).content.decode()
    assert 'name="op" value="setup_account"' in page
    assert "Set up an account" in page
    response = customer_client.post(path, {"op": "setup_account", "email": "attacker@evil.test"})
    assert response.status_code == 302
    assert len(portal_calls) == 1
    assert portal_calls[0]["customer"] == customer
    assert portal_calls[0]["actor"].type == "link"
    assert ACCOUNT_SETUP_ANSWER in customer_client.get(path).content.decode()


def test_set_up_an_account_is_rate_limited(sent_invoice, customer_client, portal_calls):
    _, path = sent_invoice
    for _ in range(ACCOUNT_SETUP_PER_LINK.max_hits + 3):
        customer_client.post(path, {"op": "setup_account"})
    assert len(portal_calls) == ACCOUNT_SETUP_PER_LINK.max_hits


def test_no_account_button_where_the_business_does_not_allow_it(
    sent_invoice, customer_client, org, portal_calls
):
    _, path = sent_invoice
    org.allow_portal_setup_from_link = False
    org.save()
    page = customer_client.get(path).content.decode()
    assert "Set up an account" not in page
    response = customer_client.post(path, {"op": "setup_account"})
    assert response.status_code == 302
    assert portal_calls == []


def test_account_set_up_with_the_real_portal_app(
    sent_invoice, customer_client, django_capture_on_commit_callbacks
):
    """The real portal entry point runs without error and answers neutrally."""
    _, path = sent_invoice
    with django_capture_on_commit_callbacks(execute=True):
        response = customer_client.post(path, {"op": "setup_account"}, follow=True)
    assert response.status_code == 200
    assert ACCOUNT_SETUP_ANSWER in response.content.decode()


def test_account_set_up_needs_an_active_link_and_csrf(sent_invoice, portal_calls):
    invoice, path = sent_invoice
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(path, {"op": "setup_account"}).status_code == 403
    link = SecureLink.objects.get(document=invoice)
    with time_machine.travel(link.expires_at + datetime.timedelta(seconds=1)):
        assert Client().post(path, {"op": "setup_account"}).status_code == 410
    assert portal_calls == []


def test_no_inline_script_or_style_attribute_on_token_pages(sent_quote, customer_client):
    _, path = sent_quote
    page = customer_client.get(path).content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert " style=" not in page
    assert re.search(r"<style nonce=\"[^\"]+\">", page)
