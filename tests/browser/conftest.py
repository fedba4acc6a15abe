"""End-to-end browser tests: Debian's Chromium driven by Playwright against `live_server`.

What is real here: the browser, the HTTP server (pytest-django's live server thread), the
database, the outbox and an SMTP server on loopback (tests/smtp_server.py). Emails are
delivered by the ImmediateBackend task right after the request's transaction commits, so a
link reaches the SMTP server before the page that sent it has finished loading.

One Chromium per module; each test gets fresh browser contexts (one per person: the staff
member and the customer never share cookies).

Screenshots of each main step go to $SOLABOOKS_SCREENSHOT_DIR/<test name>/ when that is
set, else to the test's tmp_path.
"""

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.smtp_server import Received, SMTPTestServer, smtp_server, stopped_smtp_server  # noqa: F401

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Generous for a cold WeasyPrint import on the first PDF; every wait is on a selector or
# text, so a fast run never waits this long.
TIMEOUT_MS = 15_000
MAIL_TIMEOUT_S = 10.0

expect.set_options(timeout=TIMEOUT_MS)


# --- The browser ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed")
    # Playwright's sync API keeps an asyncio loop on this thread; Django's ORM would then
    # refuse the test's own (synchronous) queries. Only for this module, then restored.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_context(browser: Browser):
    """new_context(label, **options) -> a fresh browser context (own cookies), closed after
    the test; options go to Playwright (java_script_enabled, viewport, device_scale_factor…)."""
    contexts: list[BrowserContext] = []

    def make(label: str, **options) -> BrowserContext:
        settings = {
            "viewport": {"width": 1280, "height": 900},
            "accept_downloads": True,
            "user_agent": f"Mozilla/5.0 (X11; Linux x86_64) SolabooksBrowserTest/{label}",
            **options,
        }
        context = browser.new_context(**settings)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


class Screenshots:
    def __init__(self, directory: Path):
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.count = 0
        self.taken: list[Path] = []

    def __call__(self, page: Page, name: str) -> Path:
        self.count += 1
        path = self.directory / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        return path


@pytest.fixture
def screenshot(request, tmp_path) -> Screenshots:
    root = os.environ.get("SOLABOOKS_SCREENSHOT_DIR")
    directory = Path(root) / request.node.name if root else tmp_path / "screenshots"
    return Screenshots(directory)


# --- Email through a real SMTP server ---------------------------------------------------


class Mailbox:
    """What reached the SMTP server, read in order of arrival."""

    def __init__(self, server: SMTPTestServer, base_url: str):
        self.server = server
        self.base_url = base_url
        self._taken: set[int] = set()

    def expect_email(self, *, to: str, subject_contains: str = "") -> Received:
        """Wait for the next not yet read message to `to` (whose subject contains the text)."""
        deadline = time.monotonic() + MAIL_TIMEOUT_S
        while True:
            for index, received in enumerate(self.server.messages):
                if index in self._taken or to not in received.rcpt_tos:
                    continue
                if subject_contains and subject_contains not in str(received.message["Subject"]):
                    continue
                self._taken.add(index)
                return received
            if time.monotonic() > deadline:
                arrived = [(r.rcpt_tos, str(r.message["Subject"])) for r in self.server.messages]
                raise AssertionError(
                    f"No email to {to} ({subject_contains!r}) within {MAIL_TIMEOUT_S}s; "
                    f"arrived: {arrived}"
                )
            time.sleep(0.02)  # polling the SMTP server's inbox, not waiting for the app

    def link_in(self, received: Received, path_pattern: str) -> str:
        """The absolute link to the live server whose path matches `path_pattern`, found in
        the text part and the same in the HTML part."""
        pattern = re.compile(re.escape(self.base_url) + path_pattern)
        text_link = pattern.search(received.part("text/plain"))
        assert text_link, f"no {path_pattern} link in:\n{received.part('text/plain')}"
        html_link = pattern.search(received.part("text/html"))
        assert html_link and html_link.group(0) == text_link.group(0), "HTML link differs"
        return text_link.group(0)


@pytest.fixture
def mailbox(settings, live_server, smtp_server) -> Mailbox:  # noqa: F811 (fixture)
    """Emails go out through SMTP on loopback; their links point at the live server."""
    settings.BASE_URL = live_server.url
    settings.DEFAULT_FROM_EMAIL = "no-reply@solabooks.test"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    return Mailbox(smtp_server, live_server.url)
