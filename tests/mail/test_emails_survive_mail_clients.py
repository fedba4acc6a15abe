"""Customer emails that survive real mail clients.

Gmail and Outlook drop <style> blocks and much of CSS layout; many clients block images; a
plain-text reader sees only the text part. So: every email template is inline-styled table
layout with no class or <style>; every button has its URL spelled out beneath it; no image
is needed to understand the email; the text part puts each link alone on its line. The
rendered checks run on the emails the customer flows really send; the source checks cover
every email template on disk, so a new one cannot skip them.
"""

import datetime
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone

from solabooks.activity.services import Actor
from solabooks.portal.accounts import complete_setup, email_unlock_link, request_password_reset
from solabooks.portal.services import enable_portal_access
from solabooks.projects import approvals
from solabooks.sharing.models import SecureLink
from solabooks.sharing.services import request_link_access, send_document
from tests.factories import make_document, make_project_with_time

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2] / "solabooks"
EMAIL_TEMPLATES = sorted(
    path
    for path in ROOT.glob("*/templates/email/*.html")
    if path.name not in {"base.html", "_button.html"}
)
URL = re.compile(r"https?://\S+")
PASSWORD = "quiet-harbour-lantern-97"
SMTP_LINE_LIMIT = 998  # RFC 5322: longer lines are broken by relays, links with them


class Structure(HTMLParser):
    """What a mail client will see of an HTML part: tags, attributes, visible text."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self._hidden_depth = 0
        self._stack: list[bool] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag in {"br", "img", "meta", "hr", "input", "link"}:
            return
        hidden = "display:none" in (attributes.get("style") or "").replace(" ", "")
        self._stack.append(hidden)
        self._hidden_depth += hidden

    def handle_endtag(self, tag):
        if self._stack:
            self._hidden_depth -= self._stack.pop()

    def handle_data(self, data):
        if not self._hidden_depth and data.strip():
            self.text.append(data.strip())


def structure_of(html: str) -> Structure:
    parser = Structure()
    parser.feed(html)
    return parser


@pytest.fixture
def customer_emails(customer, owner, django_capture_on_commit_callbacks, settings):
    """Every customer email the link, portal and project flows send, as delivered."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    actor = Actor(type="staff", user=owner, label=owner.email)
    with django_capture_on_commit_callbacks(execute=True):
        invoice = make_document(customer=customer, kind="invoice")
        send_document(document=invoice, actor=actor)
    link = SecureLink.objects.get(document=invoice)
    SecureLink.objects.filter(pk=link.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=2),
        expires_at=timezone.now() - datetime.timedelta(days=1),
    )
    link.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        request_link_access(link=link, actor=Actor.system("customer"))
    with django_capture_on_commit_callbacks(execute=True):
        enable_portal_access(customer=customer, confirmed_email=customer.email, actor=actor)
    setup_link = URL.search(mail.outbox[-1].body).group(0)
    complete_setup(raw_token=setup_link.rsplit("/", 1)[-1], password=PASSWORD, actor=actor)
    with django_capture_on_commit_callbacks(execute=True):
        request_password_reset(email=customer.email, actor=Actor.system("customer"))
    with django_capture_on_commit_callbacks(execute=True):
        email_unlock_link(email=customer.email)
    with django_capture_on_commit_callbacks(execute=True):
        made = make_project_with_time(customer=customer, staff=owner)
        approvals.share_project(project=made["project"], actor=actor)
    sent = [message for message in mail.outbox if customer.email in message.to]
    subjects = " | ".join(message.subject for message in sent)
    # The document, a fresh link, portal set-up, reset and unlock, time approval, project.
    for expected in (
        "Invoice",
        "new link",
        "Set up",
        "password",
        "paused",
        "approve time",
        "Project Website",
    ):
        assert expected.lower() in subjects.lower(), (expected, subjects)
    return sent


def html_of(message) -> str:
    return next(body for body, kind in message.alternatives if kind == "text/html")


def test_the_html_part_is_inline_styled_table_layout(customer_emails):
    for message in customer_emails:
        html = html_of(message)
        tags = structure_of(html).tags
        names = {tag for tag, _ in tags}
        assert not names & {"style", "link", "script", "form", "iframe"}, message.subject
        assert not [attrs for _, attrs in tags if "class" in attrs], message.subject
        assert "table" in names and "div" not in {
            tag for tag, attrs in tags if "flex" in (attrs.get("style") or "")
        }
        layout = [attrs for tag, attrs in tags if tag == "table"]
        assert all(attrs.get("role") == "presentation" for attrs in layout), message.subject


def test_every_button_has_its_address_spelled_out_beneath_it(customer_emails):
    for message in customer_emails:
        parsed = structure_of(html_of(message))
        links = [attrs["href"] for tag, attrs in parsed.tags if tag == "a" and "href" in attrs]
        web_links = [href for href in links if href.startswith("http")]
        assert web_links, message.subject
        visible = " ".join(parsed.text)
        for href in web_links:
            assert href in visible, f"{href} is not readable in {message.subject!r}"


def test_nothing_needs_an_image(customer_emails):
    for message in customer_emails:
        parsed = structure_of(html_of(message))
        for tag, attrs in parsed.tags:
            if tag == "img":
                assert attrs.get("alt"), message.subject
        # Without images, the sender's name and the call to action are still there as text.
        visible = " ".join(parsed.text)
        assert message.from_email.split(" via ")[0].strip('"') in visible


def test_the_text_part_has_each_link_alone_on_its_line(customer_emails):
    for message in customer_emails:
        urls = URL.findall(message.body)
        assert urls, message.subject
        for line in message.body.splitlines():
            if URL.search(line):
                assert URL.fullmatch(line), f"{line!r} in {message.subject!r}"
                assert line[-1] not in ".,;:)]>'\"", line
        for part in (message.body, html_of(message)):
            assert max(len(line) for line in part.splitlines()) <= SMTP_LINE_LIMIT


def test_the_html_and_text_parts_carry_the_same_links(customer_emails):
    for message in customer_emails:
        in_text = set(URL.findall(message.body))
        in_html = {
            attrs["href"]
            for tag, attrs in structure_of(html_of(message)).tags
            if tag == "a" and attrs.get("href", "").startswith("http")
        }
        assert in_html <= in_text | {u.rstrip(".") for u in in_text}, message.subject


@pytest.mark.parametrize(
    "path", EMAIL_TEMPLATES, ids=lambda p: f"{p.parent.parent.parent.name}/{p.name}"
)
def test_every_email_template_extends_the_mail_layout_and_styles_inline(path):
    source = path.read_text()
    assert source.lstrip().startswith('{% extends "email/base.html" %}'), path
    assert "<style" not in source and "class=" not in source, path
    # Links to pages are buttons (with their spelled-out address) or spelled-out addresses.
    for anchor in re.findall(r"<a [^>]*>", source):
        assert "mailto:" in anchor or "style=" in anchor, anchor
    text_twin = path.with_suffix(".txt")
    assert text_twin.exists(), f"{path.name} has no plain-text part"
