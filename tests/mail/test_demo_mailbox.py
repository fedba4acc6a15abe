import importlib
import time

import pytest
from django.core.mail import EmailMultiAlternatives
from django.test import Client
from django.urls import NoReverseMatch, clear_url_caches, reverse

import solabooks.urls
from solabooks.mail import mailbox
from tests.factories import make_document
from tests.mail.helpers import queue_link_email, secret_link


def _reload_urls():
    importlib.reload(solabooks.urls)
    clear_url_caches()


@pytest.fixture
def demo(settings):
    settings.SOLABOOKS_DEMO = True
    settings.EMAIL_BACKEND = "solabooks.mail.backends.MailboxBackend"
    _reload_urls()
    yield
    settings.SOLABOOKS_DEMO = False
    _reload_urls()


def send(subject: str, to: str = "jane@bakery.test", html: str | None = None) -> None:
    email = EmailMultiAlternatives(subject, f"Body of {subject}", "x@solabooks.test", [to])
    if html:
        email.attach_alternative(html, "text/html")
    assert email.send() == 1


def test_mailbox_backend_writes_one_eml_file_per_message(settings):
    settings.EMAIL_BACKEND = "solabooks.mail.backends.MailboxBackend"
    send("First")
    send("Second", html="<p>Hi</p>")
    files = sorted(settings.DEMO_MAILBOX_DIR.glob("*.eml"))
    assert len(files) == 2
    assert oct(files[0].stat().st_mode & 0o777) == "0o600"
    entries = mailbox.list_messages()
    assert [e.subject for e in entries] == ["Second", "First"]  # newest first
    assert entries[0].html.strip() == "<p>Hi</p>"
    assert entries[1].text.strip() == "Body of First"


def test_no_mailbox_pages_without_demo(settings, client):
    assert settings.SOLABOOKS_DEMO is False
    _reload_urls()
    with pytest.raises(NoReverseMatch):
        reverse("demo-mailbox")
    assert client.get("/finance/dev/mailbox/").status_code == 404


@pytest.mark.django_db
def test_list_and_message_pages_in_the_demo(demo, settings):
    send("Older")
    time.sleep(0.002)
    send(
        "Newer",
        to="bob@garage.test",
        html='<html><head></head><body><a href="https://x.test/">go</a></body></html>',
    )
    client = Client()
    response = client.get(reverse("demo-mailbox"))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.index("Newer") < body.index("Older")
    assert "bob@garage.test" in body
    assert response["Cache-Control"] == "no-store"

    newest = mailbox.list_messages()[0]
    page = client.get(reverse("demo-mailbox-message", args=[newest.id]))
    assert page.status_code == 200
    assert b"Body of Newer" in page.content
    assert f'src="{reverse("demo-mailbox-html", args=[newest.id])}"'.encode() in page.content

    html = client.get(reverse("demo-mailbox-html", args=[newest.id]))
    assert html.status_code == 200
    assert html["Content-Security-Policy"].startswith("sandbox ")
    assert "allow-scripts" not in html["Content-Security-Policy"]
    assert html["X-Frame-Options"] == "SAMEORIGIN"
    assert b'<head><base target="_blank">' in html.content


@pytest.mark.django_db
def test_a_sent_link_is_clickable_in_the_demo_mailbox(
    demo, customer, django_capture_on_commit_callbacks
):
    document = make_document(customer=customer)
    url = secret_link()
    with django_capture_on_commit_callbacks(execute=True):
        queue_link_email(document, secret_url=url)
    [entry] = mailbox.list_messages()
    page = Client().get(reverse("demo-mailbox-message", args=[entry.id]))
    assert f'<a href="{url}" target="_blank"'.encode() in page.content
    html = Client().get(reverse("demo-mailbox-html", args=[entry.id]))
    assert f'href="{url}"'.encode() in html.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    "bad_id", ["nope", "..", "20260101T000000000000-zzzzzzzz", "..%2F..%2Fetc"]
)
def test_unknown_or_malformed_ids_are_404(demo, bad_id):
    client = Client()
    assert client.get(f"/finance/dev/mailbox/{bad_id}/").status_code == 404
    assert client.get(f"/finance/dev/mailbox/{bad_id}/html/").status_code == 404


@pytest.mark.django_db
def test_views_refuse_even_if_routed_while_demo_is_off(demo, settings):
    send("Hello")
    settings.SOLABOOKS_DEMO = False  # routes still loaded, the views check again
    client = Client()
    assert client.get("/finance/dev/mailbox/").status_code == 404
    entry = mailbox.list_messages()[0]
    assert client.get(f"/finance/dev/mailbox/{entry.id}/").status_code == 404


@pytest.mark.django_db
def test_the_mailbox_shows_times_in_the_signed_in_business_zone(demo, owner_client, org):
    """Django writes the Date header as UTC "-0000", which parses naive: the mailbox reads
    it as UTC and shows it in the business's zone, as every page does (issue 15, item 5)."""
    org.time_zone = "Asia/Tokyo"
    org.save()
    send("Hello")
    (entry,) = mailbox.list_messages()
    assert entry.date.utcoffset() is not None
    page = owner_client.get(reverse("demo-mailbox")).content.decode()
    assert " JST</time>" in page
    assert " UTC</time>" not in page
    message = owner_client.get(reverse("demo-mailbox-message", args=[entry.id]))
    assert " JST</dd>" in message.content.decode()
