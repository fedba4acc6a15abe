"""One time zone (issue 15, item 5): every time a person reads (staff pages, the emails,
the customer's link page, the PDF) is the business's, with its abbreviation, never UTC
on one page and local time on the next."""

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from solabooks.pdf.services import pdf_fingerprint
from tests.factories import make_document

pytestmark = pytest.mark.django_db

# 22:30 UTC on a winter day is 14:30 in Los Angeles (PST); the link lives 24 hours.
SENT_AT = datetime.datetime(2026, 1, 15, 22, 30, tzinfo=datetime.UTC)
EXPIRES_LOCAL = "16 Jan 2026, 14:30 PST"
UTC_TIME = re.compile(r"\d\d:\d\d(:\d\d)? UTC")


@pytest.fixture
def pacific(org):
    org.time_zone = "America/Los_Angeles"
    org.save()
    return org


@pytest.fixture
def sent(pacific, customer, send):
    invoice = make_document(customer=customer, kind="invoice")
    with time_machine.travel(SENT_AT, tick=False):
        _, path = send(invoice)
    return invoice, path


def test_the_document_email_gives_the_expiry_in_the_business_zone(sent):
    message = mail.outbox[-1]
    html = next(body for body, kind in message.alternatives if kind == "text/html")
    for part in (message.body, html):
        assert EXPIRES_LOCAL in part
        assert not UTC_TIME.search(part)


def test_the_link_page_gives_the_expiry_in_the_business_zone(sent, customer_client):
    _, path = sent
    with time_machine.travel(SENT_AT + datetime.timedelta(minutes=5), tick=False):
        page = customer_client.get(path).content.decode()
    assert f"works until {EXPIRES_LOCAL}." in page
    assert not UTC_TIME.search(page)


def test_staff_pages_use_the_business_zone(sent, owner_client, customer):
    invoice, path = sent
    with time_machine.travel(SENT_AT + datetime.timedelta(minutes=5), tick=False):
        links = owner_client.get(f"/finance/customers/{customer.pk}/portal-access/")
        activity = owner_client.get(f"/finance/document/{invoice.pk}/activity/")
    links_page = links.content.decode()
    assert "15 Jan 2026, 14:30 PST" in links_page  # sent
    assert EXPIRES_LOCAL in links_page
    assert not UTC_TIME.search(links_page)
    assert "15 Jan 2026, 14:30 PST" in activity.content.decode()


def test_a_page_leaves_no_zone_behind(sent, owner_client, customer):
    owner_client.get(f"/finance/customers/{customer.pk}/portal-access/")
    assert timezone.get_current_timezone_name() == "UTC"


def test_the_pdf_cache_key_follows_the_zone(pacific, customer):
    invoice = make_document(customer=customer, kind="invoice")
    before = pdf_fingerprint(invoice)
    pacific.time_zone = "Europe/Paris"
    pacific.save()
    invoice.refresh_from_db()
    assert pdf_fingerprint(invoice) != before


def test_a_cached_link_page_follows_a_change_of_zone(
    sent, customer_client, owner, django_capture_on_commit_callbacks
):
    from solabooks.activity.services import Actor
    from solabooks.tenancy.services import update_organization

    invoice, path = sent
    with time_machine.travel(SENT_AT + datetime.timedelta(minutes=5), tick=False):
        assert "PST." in customer_client.get(path).content.decode()  # rendered and kept
        with django_capture_on_commit_callbacks(execute=True):
            update_organization(
                organization=invoice.organization,
                actor=Actor(type="staff", user=owner, label=owner.email),
                time_zone="Europe/Paris",
            )
        page = customer_client.get(path).content.decode()
    assert re.search(r"works until \d+ \w+ \d{4}, \d\d:\d\d CET\.", page)
