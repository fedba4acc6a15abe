"""Customers on browsers without Fetch Metadata (Safari before 16.4, every iPhone kept on
iOS 15; Firefox before 90) can act on their links: token pages send
`Referrer-Policy: same-origin`, so the page's own POSTs carry a same-origin Referer (and,
where the browser sends one, Origin), which Django's CSRF check understands. Forged
requests stay refused."""

import datetime
import re

import pytest
import time_machine
from django.test import Client

from solabooks.documents.models import State
from solabooks.sharing.models import SecureLink

pytestmark = pytest.mark.django_db

HOST = "testserver"
SAFARI_15 = "Mozilla/5.0 (iPhone; CPU iPhone OS 15_8 like Mac OS X) AppleWebKit/605.1.15 Version/15.6 Mobile/15E148 Safari/604.1"


def safari(path: str) -> tuple[Client, str, dict]:
    """A Safari 15 on https opens the page (cookie and CSRF token from it). Returns the
    headers it sends when the page's form posts back: the Referer the page's own
    Referrer-Policy allows (none under no-referrer, with `Origin: null`), and no Sec-Fetch-*."""
    browser = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=SAFARI_15)
    page = browser.get(path, secure=True)
    assert page.status_code in (200, 410)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    if page["Referrer-Policy"] == "no-referrer":
        sent = {"HTTP_ORIGIN": "null"}
    else:
        sent = {"HTTP_REFERER": f"https://{HOST}{path}"}
    return browser, token, sent


def post_as_safari(path: str, data: dict, **headers):
    browser, token, sent = safari(path)
    return browser.post(
        path, {**data, "csrfmiddlewaretoken": token}, secure=True, **{**sent, **headers}
    )


@pytest.mark.parametrize("origin", [None, f"https://{HOST}"], ids=["no Origin", "same Origin"])
def test_safari_15_accepts_a_quote(sent_quote, origin):
    quote, path = sent_quote
    extra = {"HTTP_ORIGIN": origin} if origin else {}
    answer = post_as_safari(
        path,
        {
            "op": "accept",
            "accept-signer_name": "Jane Baker",
            "accept-version": quote.content_version,
        },
        **extra,
    )
    assert answer.status_code == 302
    quote.refresh_from_db()
    assert quote.state == State.ACCEPTED


def test_safari_15_declines_a_quote(sent_quote):
    quote, path = sent_quote
    answer = post_as_safari(
        path,
        {"op": "decline", "decline-reason": "Too dear", "decline-version": quote.content_version},
    )
    assert answer.status_code == 302
    quote.refresh_from_db()
    assert quote.state == State.DECLINED


def test_safari_15_requests_access_and_sets_up_an_account(sent_invoice, org):
    invoice, path = sent_invoice
    org.allow_portal_setup_from_link = True
    org.save()
    assert post_as_safari(path, {"op": "setup_account"}).status_code == 302
    link = SecureLink.objects.get(document=invoice)
    with time_machine.travel(link.expires_at + datetime.timedelta(seconds=1)):
        assert post_as_safari(path, {"op": "request_access"}).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ORIGIN": "https://evil.example"},
        {"HTTP_REFERER": "https://evil.example/page"},
        {"HTTP_ORIGIN": "null"},
        {"HTTP_ORIGIN": "null", "HTTP_SEC_FETCH_SITE": "same-origin"},
        {"HTTP_REFERER": ""},  # neither Origin nor Referer, no Fetch Metadata, over https
    ],
    ids=[
        "foreign Origin",
        "foreign Referer",
        "Origin null",
        "Origin null + fetch metadata",
        "neither",
    ],
)
def test_a_forged_post_is_refused(sent_quote, headers):
    quote, path = sent_quote
    browser, token, _ = safari(path)  # the forger's own headers instead
    data = {
        "op": "accept",
        "accept-signer_name": "Mallory",
        "accept-version": quote.content_version,
    }
    answer = browser.post(path, {**data, "csrfmiddlewaretoken": token}, secure=True, **headers)
    assert answer.status_code == 403
    assert answer["Referrer-Policy"] == "same-origin"
    quote.refresh_from_db()
    assert quote.state == State.SENT


def test_every_external_link_on_a_customer_page_carries_noreferrer(
    customer, org, send, customer_client
):
    """Notes and terms with addresses in them: no page link leaves for another origin
    without rel="noreferrer noopener" (today they are shown as text, not links)."""
    from tests.factories import make_document

    org.reply_to_email = "billing@acme.test"
    org.save()
    document = make_document(customer=customer, kind="quote")
    document.notes = "Terms at https://example.org/terms and www.example.org"
    document.terms = "See http://example.net/conditions."
    document.save()
    _, path = send(document)
    html = customer_client.get(path).content.decode()
    for anchor in re.findall(r"<a\b[^>]*>", html):
        href = re.search(r'href="([^"]*)"', anchor)
        if href and re.match(r"(https?:)?//", href[1]) and f"//{HOST}" not in href[1]:
            assert re.search(
                r'rel="[^"]*noreferrer[^"]*noopener|rel="[^"]*noopener[^"]*noreferrer', anchor
            ), anchor
