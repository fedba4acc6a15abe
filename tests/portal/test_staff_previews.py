"""Portal pages opened in a browser that also holds a staff session of the same business
are the staff member's preview (issue 14, item 5): recorded as PREVIEWED, the document stays
un-viewed, the page says so, and decisions are refused. A staff member of another business
is any customer; the page caches never mix the two pages."""

import pytest

from solabooks.activity.models import Activity, ActorType, Verb
from tests.conftest import signed_in
from tests.factories import make_document

from .conftest import DASHBOARD, customer_browser, sign_in

pytestmark = pytest.mark.django_db

BANNER = "You are previewing what the customer sees"
BASE = "/finance/customer-portal"


def doc_url(document, suffix: str = "") -> str:
    return f"{BASE}/documents/{document.pk}/{suffix}"


def viewed(document) -> bool:
    document.refresh_from_db()
    return document.viewed_at is not None


@pytest.fixture
def staff_portal(set_up, customer, owner):
    """The owner's browser, signed in as staff and to Jane's Bakery's portal account."""
    client = signed_in(owner)
    return set_up(customer, client=client)


@pytest.fixture
def invoice(customer):
    return make_document(customer=customer, kind="invoice", state="sent")


def test_a_staff_browser_previews_a_portal_document(staff_portal, invoice, owner):
    page = staff_portal.get(doc_url(invoice))
    assert page.status_code == 200
    assert BANNER in page.content.decode()
    assert not viewed(invoice)
    row = Activity.objects.get(document=invoice, verb=Verb.PREVIEWED)
    assert row.actor_type == ActorType.STAFF and row.actor_user_id == owner.pk
    assert not Activity.objects.filter(document=invoice, verb=Verb.VIEWED).exists()


def test_a_staff_browsers_pdf_is_a_preview(staff_portal, invoice):
    assert staff_portal.get(doc_url(invoice, "pdf/")).status_code == 200
    assert not Activity.objects.filter(document=invoice, verb=Verb.PDF_DOWNLOADED).exists()
    assert Activity.objects.filter(document=invoice, verb=Verb.PREVIEWED).count() == 1


def test_the_customers_own_browser_views(portal, invoice):
    page = portal.get(doc_url(invoice)).content.decode()
    assert BANNER not in page
    assert viewed(invoice)
    assert not Activity.objects.filter(document=invoice, verb=Verb.PREVIEWED).exists()


def test_staff_of_another_business_is_any_customer(set_up, customer, other_owner, invoice):
    browser = set_up(customer, client=signed_in(other_owner))
    page = browser.get(doc_url(invoice)).content.decode()
    assert BANNER not in page
    assert viewed(invoice)
    row = Activity.objects.get(document=invoice, verb=Verb.VIEWED)
    assert row.actor_type == ActorType.PORTAL


def test_the_dashboard_cache_never_mixes_staff_and_customer_pages(staff_portal, customer):
    customer_side = customer_browser(ip="203.0.113.8")
    assert sign_in(customer_side, customer.email).status_code == 302
    for _ in range(2):  # rendered, then from memory
        assert BANNER in staff_portal.get(DASHBOARD).content.decode()
        assert BANNER not in customer_side.get(DASHBOARD).content.decode()
    for url in (f"{BASE}/invoices/", f"{BASE}/quotes/"):
        assert BANNER not in customer_side.get(url).content.decode()
        assert BANNER in staff_portal.get(url).content.decode()


def test_the_customer_never_sees_a_staff_preview_in_their_activity(staff_portal, invoice, customer):
    staff_portal.get(doc_url(invoice))
    customer_side = customer_browser(ip="203.0.113.8")
    sign_in(customer_side, customer.email)
    page = customer_side.get(DASHBOARD).content.decode()
    assert "Previewed" not in page


def test_a_staff_browser_cannot_decide_a_quote_in_the_portal(staff_portal, customer):
    quote = make_document(customer=customer, kind="quote", state="sent")
    response = staff_portal.post(
        doc_url(quote, "decision/"),
        {
            "op": "accept",
            "accept-signer_name": "Jane Baker",
            "accept-version": quote.content_version,
        },
        follow=True,
    )
    assert "Staff cannot decide for the customer here" in response.content.decode()
    quote.refresh_from_db()
    assert quote.state == "sent"
    assert not Activity.objects.filter(document=quote, verb=Verb.QUOTE_ACCEPTED).exists()


def test_another_businesses_staff_decides_as_the_customer(set_up, customer, other_owner):
    browser = set_up(customer, client=signed_in(other_owner))
    quote = make_document(customer=customer, kind="quote", state="sent")
    browser.post(
        doc_url(quote, "decision/"),
        {
            "op": "accept",
            "accept-signer_name": "Jane Baker",
            "accept-version": quote.content_version,
        },
    )
    quote.refresh_from_db()
    assert quote.state == "accepted"
