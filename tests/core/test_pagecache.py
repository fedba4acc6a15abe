"""core.pagecache: pages rendered once for everyone, then given each request's nonce and
CSRF token; flashed messages never go into a shared page."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib import messages
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse

from solabooks.activity.services import Actor
from solabooks.core import pagecache
from solabooks.core.pagecache import (
    CSRF_PLACEHOLDER,
    NONCE_PLACEHOLDER,
    RenderedPageCache,
    clear_all_page_caches,
    has_pending_messages,
    personalize,
    personalize_pieces,
    render_shareable,
    split_shareable,
)
from solabooks.sharing.services import issue_link
from tests.factories import make_document

REPO = Path(__file__).resolve().parents[2]
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
NONCE = re.compile(r'<style nonce="([^"]*)">')
PAGE = (
    '<style nonce="{{ request.csp_nonce }}">b{}</style>'
    "{% for message in messages %}<p class=message>{{ message }}</p>{% endfor %}"
    '<form method="post">{% csrf_token %}<button>{{ label }}</button></form>'
    '<form method="post">{% csrf_token %}</form>'
)


def ok(request) -> HttpResponse:
    return HttpResponse("ok")


# --- RenderedPageCache -----------------------------------------------------------------


class Renders:
    def __init__(self):
        self.calls = []

    def __call__(self, key):
        def render():
            self.calls.append(key)
            return f"<p>{key}</p>"

        return render


def test_get_or_render_renders_once_per_key():
    cache, renders = RenderedPageCache(max_entries=8), Renders()
    for _ in range(3):
        assert cache.get_or_render("a", renders("a")) == "<p>a</p>"
        assert cache.get_or_render(("b", 2), renders(("b", 2))) == "<p>('b', 2)</p>"
    assert renders.calls == ["a", ("b", 2)]
    assert len(cache) == 2
    # A render that is not called on a hit: the cached page wins.
    assert cache.get_or_render("a", lambda: "<p>other</p>") == "<p>a</p>"


def test_the_least_recently_used_page_goes_first():
    cache, renders = RenderedPageCache(max_entries=3), Renders()
    for key in "abc":
        cache.get_or_render(key, renders(key))
    cache.get_or_render("a", renders("a"))  # a is now the most recent; b the least
    cache.get_or_render("d", renders("d"))  # evicts b
    assert len(cache) == 3
    assert renders.calls == ["a", "b", "c", "d"]
    for key in "acd":  # all three still cached; a is now the least recently used
        cache.get_or_render(key, renders(key))
    assert renders.calls == ["a", "b", "c", "d"]
    cache.get_or_render("b", renders("b"))  # rendered again, evicting a
    for key in "cdb":
        cache.get_or_render(key, renders(key))
    assert renders.calls == ["a", "b", "c", "d", "b"]
    cache.get_or_render("a", renders("a"))  # evicted, so rendered again (evicting c)
    assert renders.calls == ["a", "b", "c", "d", "b", "a"]
    assert len(cache) == 3


@pytest.mark.parametrize("bound", [1, 2, 5])
def test_the_cache_never_holds_more_than_its_bound(bound):
    cache, renders = RenderedPageCache(max_entries=bound), Renders()
    for key in range(20):
        cache.get_or_render(key, renders(key))
        assert len(cache) == min(key + 1, bound)
    before = len(renders.calls)
    for key in range(20 - bound, 20):  # the newest `bound` are kept
        cache.get_or_render(key, renders(key))
    assert len(renders.calls) == before
    cache.get_or_render(0, renders(0))
    assert len(renders.calls) == before + 1


def test_clearing_empties_every_cache():
    first, second, renders = RenderedPageCache(), RenderedPageCache(), Renders()
    first.get_or_render("a", renders("a"))
    second.get_or_render("a", renders("a"))
    clear_all_page_caches()
    assert len(first) == len(second) == 0
    first.get_or_render("a", renders("a"))
    assert renders.calls == ["a", "a", "a"]


# --- placeholders ----------------------------------------------------------------------


def test_placeholders_are_random_per_process():
    code = (
        "from solabooks.core.pagecache import NONCE_PLACEHOLDER as n, CSRF_PLACEHOLDER as c;"
        "print(n, c)"
    )
    env = {"DJANGO_SETTINGS_MODULE": "solabooks.settings", "SOLABOOKS_TESTING": "1"}
    runs = [
        subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {code}"],
            cwd=REPO,
            env={"PATH": "/usr/bin:/bin", "HOME": str(REPO), **env},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.split()
        for _ in range(2)
    ]
    assert runs[0][0] != runs[1][0] and runs[0][1] != runs[1][1]
    assert NONCE_PLACEHOLDER not in runs[0] + runs[1]
    assert CSRF_PLACEHOLDER not in runs[0] + runs[1]
    for nonce, csrf in [*runs, (NONCE_PLACEHOLDER, CSRF_PLACEHOLDER)]:
        # Long enough not to be guessed, and plain text no template escaping changes.
        assert re.fullmatch(r"nonce[0-9a-f]{24}", nonce)
        assert re.fullmatch(r"csrf[0-9a-f]{32}", csrf)


# --- render_shareable / personalize ----------------------------------------------------


@pytest.fixture
def page_template(settings):
    """A page with a nonce, two CSRF forms and the flashed messages, from memory."""
    templates = [{**engine} for engine in django_settings.TEMPLATES]
    templates[0] = {
        **templates[0],
        "DIRS": [],
        "APP_DIRS": False,
        "OPTIONS": {
            **templates[0]["OPTIONS"],
            "loaders": [("django.template.loaders.locmem.Loader", {"page.html": PAGE})],
        },
    }
    settings.TEMPLATES = templates
    return "page.html"


def browser_get(cookies=None, nonce="n0nce-of-this-request"):
    """A GET as it reaches a view: through the CSRF, session and message middleware."""
    request = RequestFactory().get("/page")
    request.COOKIES.update(cookies or {})
    request.csp_nonce = nonce
    CsrfViewMiddleware(ok).process_request(request)
    SessionMiddleware(ok).process_request(request)
    MessageMiddleware(ok).process_request(request)
    return request


def respond(request, html: str) -> HttpResponse:
    response = HttpResponse(html)
    response = MessageMiddleware(ok).process_response(request, response)
    response = SessionMiddleware(ok).process_response(request, response)
    return CsrfViewMiddleware(ok).process_response(request, response)


def cookies_of(response) -> dict:
    return {name: morsel.value for name, morsel in response.cookies.items() if morsel.value}


def with_flashed_message(text: str):
    """The request after one that flashed `text` (the message waits in a cookie)."""
    flashing = browser_get()
    messages.success(flashing, text)
    response = respond(flashing, "redirect")
    return browser_get(cookies=cookies_of(response))


def csrf_accepts(token: str, cookies: dict) -> bool:
    post = RequestFactory().post("/page", {"csrfmiddlewaretoken": token})
    post.COOKIES.update(cookies)
    middleware = CsrfViewMiddleware(ok)
    middleware.process_request(post)
    refused = middleware.process_view(post, ok, (), {})
    assert refused is None or refused.status_code == 403
    return refused is None


@pytest.mark.django_db
def test_a_shareable_page_has_placeholders_not_the_requests_own(page_template):
    request = with_flashed_message("Saved: only for you")
    own_nonce = request.csp_nonce
    html = render_shareable(request, page_template, {"label": "Pay now"})

    assert NONCE.findall(html) == [NONCE_PLACEHOLDER]
    assert TOKEN.findall(html) == [CSRF_PLACEHOLDER, CSRF_PLACEHOLDER]
    assert own_nonce not in html
    assert "Pay now" in html
    # Flashed messages are left out, and left waiting for this request's own page.
    assert "Saved: only for you" not in html and "class=message" not in html
    assert has_pending_messages(request)
    assert request.csp_nonce == own_nonce
    # No CSRF secret was made or touched for the shared page.
    assert "CSRF_COOKIE_NEEDS_UPDATE" not in request.META

    # The same template rendered for the request alone has them all (so the above can fail).
    normal = render_to_string(page_template, {"label": "Pay now"}, request=request)
    assert NONCE.findall(normal) == [own_nonce]
    assert "Saved: only for you" in normal
    assert CSRF_PLACEHOLDER not in normal


@pytest.mark.django_db
def test_each_request_gets_its_own_nonce_and_a_csrf_token_that_works(page_template):
    cache = RenderedPageCache()
    first, second = browser_get(nonce="first-n0nce"), browser_get(nonce="second-n0nce")
    shared = {
        request: cache.get_or_render(
            "page", lambda r=request: render_shareable(r, page_template, {})
        )
        for request in (first, second)
    }
    assert shared[first] is shared[second]  # rendered once, for the first request

    pages, cookies = {}, {}
    for request in (first, second):
        pages[request] = personalize(shared[request], request)
        cookies[request] = cookies_of(respond(request, pages[request]))
        assert django_settings.CSRF_COOKIE_NAME in cookies[request]

    for request, other in ((first, second), (second, first)):
        page = pages[request]
        assert NONCE.findall(page) == [request.csp_nonce]
        assert other.csp_nonce not in page
        assert NONCE_PLACEHOLDER not in page and CSRF_PLACEHOLDER not in page
        tokens = TOKEN.findall(page)
        assert len(tokens) == 2 and len(set(tokens)) == 1
        # The token is this browser's: accepted with its own cookie, refused with another's.
        assert csrf_accepts(tokens[0], cookies[request])
        assert not csrf_accepts(tokens[0], cookies[other])
    assert TOKEN.findall(pages[first]) != TOKEN.findall(pages[second])

    # The placeholder itself is no token.
    assert not csrf_accepts(CSRF_PLACEHOLDER, cookies[first])


@pytest.mark.django_db
def test_a_returning_browser_keeps_its_csrf_cookie(page_template):
    first = browser_get()
    shared = render_shareable(first, page_template, {})
    cookie = cookies_of(respond(first, personalize(shared, first)))

    again = browser_get(cookies=cookie, nonce="later-n0nce")
    page = personalize(shared, again)
    assert NONCE.findall(page) == ["later-n0nce"]
    (token, _) = TOKEN.findall(page)
    assert csrf_accepts(token, cookie)


@pytest.mark.django_db
def test_a_page_without_a_form_sets_no_csrf_cookie(settings):
    request = browser_get()
    html = personalize(f'<style nonce="{NONCE_PLACEHOLDER}"></style><p>Hello</p>', request)
    assert html == f'<style nonce="{request.csp_nonce}"></style><p>Hello</p>'
    response = respond(request, html)
    assert settings.CSRF_COOKIE_NAME not in response.cookies


@pytest.mark.django_db
def test_a_page_cut_into_pieces_personalizes_as_the_whole_page_does(page_template):
    request = browser_get(nonce="piece-n0nce")
    html = render_shareable(request, page_template, {"label": "Zahlen · 10 €"})
    pieces = split_shareable(html)
    assert all(isinstance(piece, bytes) for piece in pieces[::2])  # the text, encoded once

    page = personalize_pieces(pieces, request).decode()
    assert NONCE.findall(page) == ["piece-n0nce"]
    assert NONCE_PLACEHOLDER not in page and CSRF_PLACEHOLDER not in page
    tokens = TOKEN.findall(page)
    assert len(tokens) == 2 and len(set(tokens)) == 1
    assert csrf_accepts(tokens[0], cookies_of(respond(request, page)))
    # Apart from the (masked, so each time different) token, what personalize() gives.
    whole = personalize(html, request)
    assert TOKEN.sub("token", page) == TOKEN.sub("token", whole)
    assert "Zahlen · 10 €" in page


@pytest.mark.django_db
def test_pieces_without_a_form_set_no_csrf_cookie(settings):
    request = browser_get()
    pieces = split_shareable(f'<style nonce="{NONCE_PLACEHOLDER}"></style><p>Hi</p>')
    page = personalize_pieces(pieces, request)
    assert page == f'<style nonce="{request.csp_nonce}"></style><p>Hi</p>'.encode()
    assert settings.CSRF_COOKIE_NAME not in respond(request, page).cookies


@pytest.mark.django_db
def test_has_pending_messages_only_with_a_flashed_message_waiting():
    assert not has_pending_messages(RequestFactory().get("/"))  # no message middleware
    assert not has_pending_messages(browser_get())

    waiting = with_flashed_message("Payment recorded")
    assert has_pending_messages(waiting)
    shown = [str(message) for message in messages.get_messages(waiting)]
    assert shown == ["Payment recorded"]
    # Shown once: the next request has none waiting.
    after = browser_get(cookies=cookies_of(respond(waiting, "page")))
    assert not has_pending_messages(after)


# --- a real shared page: a quote behind its secure link -------------------------------


@pytest.mark.django_db
def test_two_browsers_share_a_link_page_and_each_can_post_its_form(customer):
    quote = make_document(customer=customer, kind="quote", state="sent")
    issued = issue_link(document=quote, actor=Actor.system())
    path = reverse("link-quote", args=[issued.raw_token])
    browsers = [Client(enforce_csrf_checks=True) for _ in range(2)]
    rendered = []
    real_render = pagecache.render_to_string

    def counting_render(*args, **kwargs):
        rendered.append(args[0])
        return real_render(*args, **kwargs)

    pages = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pagecache, "render_to_string", counting_render)
        for browser in browsers:
            response = browser.get(path)
            assert response.status_code == 200
            page = response.content.decode()
            csp_nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])[1]
            assert NONCE.findall(page) == [csp_nonce]
            assert NONCE_PLACEHOLDER not in page and CSRF_PLACEHOLDER not in page
            pages.append((page, csp_nonce))
    assert len(rendered) == 1  # the second browser got the first one's rendering
    assert pages[0][1] != pages[1][1]
    assert pages[0][1] not in pages[1][0]

    token = TOKEN.search(pages[1][0])[1]
    assert token not in pages[0][0]
    response = browsers[1].post(
        path,
        {
            "op": "decline",
            "decline-version": quote.content_version,
            "decline-reason": "",
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.state == "declined"
