"""Rendered customer pages, shared by every request for the same data.

Rendering a branded document page through Django's templates costs milliseconds; the page
itself only changes when what it shows changes. A page is rendered once per key (a key is
built from everything the page shows: versions, states, amounts, the link's expiry) with
placeholders for the two things that differ per request, the CSP nonce and the CSRF token,
and `personalize()` fills them in for each response. Flashed messages are per request too,
so a request with messages waiting renders the page normally (`has_pending_messages`).

The cache lives in each app server process: a key names an exact version of a page, so
processes never disagree, and nothing is shared that could leak between businesses.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from django.contrib import messages
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string

# Random per process, so no text a business or customer typed can spell one.
NONCE_PLACEHOLDER = f"nonce{secrets.token_hex(12)}"
CSRF_PLACEHOLDER = f"csrf{secrets.token_hex(16)}"


_ALL_CACHES: list[RenderedPageCache] = []
T = TypeVar("T")


class RenderedPageCache:
    """A bounded least-recently-used map from a page's key to what was rendered for it
    (shareable HTML, or any other rendered answer)."""

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._pages: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        _ALL_CACHES.append(self)

    def get_or_render(self, key: Hashable, render: Callable[[], T]) -> T:
        with self._lock:
            value = self._pages.get(key)
            if value is not None:
                self._pages.move_to_end(key)
                return value
        value = render()
        with self._lock:
            self._pages[key] = value
            self._pages.move_to_end(key)
            while len(self._pages) > self.max_entries:
                self._pages.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()

    def __len__(self) -> int:
        return len(self._pages)


def clear_all_page_caches() -> None:
    """Empty every page cache of this process (tests: ids repeat once a test rolls back)."""
    for cache in _ALL_CACHES:
        cache.clear()


def render_shareable(request: HttpRequest, template_name: str, context: dict) -> str:
    """Render a page as every request for the same data may see it: placeholders for the
    nonce and the CSRF token, and no flashed messages."""
    own_nonce = getattr(request, "csp_nonce", "")
    request.csp_nonce = NONCE_PLACEHOLDER
    try:
        return render_to_string(
            template_name,
            {**context, "csrf_token": CSRF_PLACEHOLDER, "messages": ()},
            request=request,
        )
    finally:
        request.csp_nonce = own_nonce


def personalize(html: str, request: HttpRequest) -> str:
    """This request's nonce and CSRF token in a shareable page."""
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, get_token(request))
    return html.replace(NONCE_PLACEHOLDER, getattr(request, "csp_nonce", ""))


# A rendered page cut at its placeholders (see split_shareable).
ShareablePieces = tuple[bytes | str, ...]
_PLACEHOLDERS = re.compile(f"({NONCE_PLACEHOLDER}|{CSRF_PLACEHOLDER})")


def split_shareable(html: str) -> ShareablePieces:
    """A shareable page as UTF-8 bytes cut at its placeholders, once when it is rendered:
    the text as bytes, each placeholder as itself. `personalize_pieces()` then answers with
    one join, where `personalize()` searches and copies the whole page per placeholder and
    the response encodes it again (a tenth of a millisecond on a 200 kB page)."""
    return tuple(
        piece if piece in (NONCE_PLACEHOLDER, CSRF_PLACEHOLDER) else piece.encode()
        for piece in _PLACEHOLDERS.split(html)
        if piece
    )


def personalize_pieces(pieces: ShareablePieces, request: HttpRequest) -> bytes:
    """personalize() for a page from split_shareable(): this request's nonce and CSRF
    token in place, as the response's bytes."""
    nonce = getattr(request, "csp_nonce", "").encode()
    csrf = get_token(request).encode() if CSRF_PLACEHOLDER in pieces else b""
    return b"".join(
        piece if isinstance(piece, bytes) else (csrf if piece == CSRF_PLACEHOLDER else nonce)
        for piece in pieces
    )


def has_pending_messages(request: HttpRequest) -> bool:
    """Whether flashed messages wait for this request (the page must then be rendered for
    it alone, so they show once)."""
    # The storage (or [] without the message middleware); its length loads what waits
    # and counts it with anything flashed during this request, without marking it shown.
    return len(messages.get_messages(request)) > 0
