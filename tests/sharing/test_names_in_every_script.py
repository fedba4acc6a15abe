"""A business named in Arabic and a customer named in Hebrew with an emoji: the link page and
the email show both names as written, each set right to left where it stands alone, and
isolated (<bdi>) where it sits inside an English sentence."""

import email
import email.policy

import pytest
from django.core import mail

from tests.factories import CustomerFactory, OrganizationFactory, make_document

pytestmark = pytest.mark.django_db

BUSINESS = "مخبز الياسمين"
CUSTOMER = "מאפיית השקד 🍰"


@pytest.fixture
def org(db):
    return OrganizationFactory(name=BUSINESS, reply_to_email="hello@yasmin.test")


@pytest.fixture
def customer(org):
    return CustomerFactory(organization=org, name=CUSTOMER, email="shaked@bakery.test")


def test_the_link_page_shows_both_names_right_to_left(customer, send, customer_client):
    quote = make_document(customer=customer, kind="quote", notes="شكراً لكم")
    _, path = send(quote)
    page = customer_client.get(path).content.decode()
    assert f'<span class="business-name" dir="rtl">{BUSINESS}</span>' in page
    assert f'<div class="strong" dir="rtl">{CUSTOMER}</div>' in page
    assert f'<div class="sheet-business-name" dir="rtl">{BUSINESS}</div>' in page
    assert '<div dir="rtl">شكراً لكم</div>' in page
    # Inside English sentences the name is isolated, so it keeps the sentence's punctuation.
    assert f"<bdi>{BUSINESS}</bdi>" in page
    # Left-to-right text stays left to right.
    assert 'dir="ltr">Consulting</td>' in page


def test_the_email_carries_both_names_intact_in_headers_and_both_parts(customer, send):
    quote = make_document(customer=customer, kind="quote")
    send(quote)
    sent = mail.outbox[-1]
    parsed = email.message_from_bytes(sent.message().as_bytes(), policy=email.policy.default)
    assert parsed["From"].addresses[0].display_name == f"{BUSINESS} via Solabooks"
    assert BUSINESS in parsed["Subject"]
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    assert BUSINESS in text and CUSTOMER in text
    assert 'dir="rtl" style="font-size:18px' in html and f">{BUSINESS}</div>" in html
    assert f"on behalf of <bdi>{BUSINESS}</bdi>." in html
