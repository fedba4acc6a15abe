"""The dashboard and the lists are rendered once per version of what they show
(portal/views/pages.py): every change a service makes shows on the next request, no other
customer's or business's page is ever served, and a cached page costs one query."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from solabooks.activity.services import Actor
from solabooks.core.pagecache import CSRF_PLACEHOLDER, NONCE_PLACEHOLDER
from solabooks.customers.services import update_customer
from solabooks.documents.models import Document
from solabooks.documents.payments import record_payment
from solabooks.documents.services import (
    LineInput,
    expire_overdue_quotes,
    reassign_document,
    transition_document,
    update_document,
)
from solabooks.portal.services import disable_portal_access
from solabooks.portal.views.pages import PAGES
from solabooks.tenancy.services import update_organization
from solabooks.tenancy.versions import bump_data_version
from tests.factories import make_document

from .conftest import DASHBOARD, LOGIN, customer_browser, sign_in

pytestmark = pytest.mark.django_db

BASE = "/finance/customer-portal"
INVOICES = f"{BASE}/invoices/"
QUOTES = f"{BASE}/quotes/"
SYSTEM = Actor.system()


def page(client, url: str = DASHBOARD, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def sent_invoice(customer, amount="100.00", **fields):
    invoice = make_document(
        customer=customer, lines=[LineInput("Work", Decimal("1"), Decimal(amount))], **fields
    )
    return transition_document(document=invoice, action="mark_sent", actor=SYSTEM)


def pay(invoice, amount):
    return record_payment(
        organization=invoice.organization,
        customer=invoice.customer,
        actor=SYSTEM,
        date=timezone.localdate(),
        amount=Decimal(amount),
        method="bank_transfer",
        allocations=[(invoice, Decimal(amount))],
    )


# --- A cached page costs one query and no rendering ------------------------------------


@pytest.mark.parametrize("url", [DASHBOARD, INVOICES, f"{INVOICES}?status=sent&page=2"])
def test_a_page_seen_before_costs_one_query(portal, customer, url):
    sent_invoice(customer)
    portal.get(url)  # shows the setup page's flashed message: rendered for this request
    portal.get(url)  # rendered for everyone
    with CaptureQueriesContext(connection) as queries:
        response = portal.get(url)
    assert response.status_code == 200
    # Besides loading the session (a cache read in production): the session check, which
    # also reads the newest Activity row about the customer.
    ours = [q["sql"] for q in queries if "django_session" not in q["sql"]]
    assert len(ours) == 1, ours


def test_each_response_gets_its_own_nonce_and_csrf_token(portal, customer):
    first, second = portal.get(DASHBOARD), portal.get(DASHBOARD)
    for response in (first, second):
        html = response.content.decode()
        assert NONCE_PLACEHOLDER not in html and CSRF_PLACEHOLDER not in html
        nonce = response["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
        assert f'<style nonce="{nonce}">' in html
    assert first["Content-Security-Policy"] != second["Content-Security-Policy"]
    # The Sign out form's token is a working one.
    token = second.content.decode().split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    portal.cookies.load({"csrftoken": second.cookies["csrftoken"].value})
    response = portal.post(f"{BASE}/logout/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert portal.get(DASHBOARD)["Location"] == LOGIN


def test_a_flashed_message_shows_once_on_a_cached_page(portal, customer):
    # Another browser signs in and views the dashboard first: the page is cached.
    other_browser = customer_browser("198.51.100.8")
    sign_in(other_browser, "jane@bakery.test")
    assert "Your account is set up." not in page(other_browser)
    # The setup page flashed a message for `portal`'s session: it shows there, once.
    assert "Your account is set up." in page(portal)
    assert "Your account is set up." not in page(portal)
    assert "Your account is set up." not in page(other_browser)


# --- Every change shows on the next request ----------------------------------------------


def test_a_payment_shows_at_once_on_the_dashboard_and_the_list(portal, customer):
    invoice = sent_invoice(customer, "250.00")
    assert "250.00 USD" in page(portal) and '"badge state-sent"' in page(portal, INVOICES)
    pay(invoice, "100.00")
    dashboard, invoices = page(portal), page(portal, INVOICES)
    assert "150.00 USD" in dashboard and "Payment of 100.00 USD received" in dashboard
    assert '"badge state-partially_paid"' in invoices and "150.00" in invoices
    pay(invoice, "150.00")
    assert "Nothing to pay" in page(portal)
    assert invoice.number in page(portal, INVOICES, status="paid")


def test_a_new_invoice_an_edit_and_a_void_show_at_once(portal, customer):
    first = sent_invoice(customer, "100.00")
    assert "100.00 USD" in page(portal)
    second = sent_invoice(customer, "40.00")
    assert "140.00 USD" in page(portal) and second.number in page(portal, INVOICES)
    update_document(
        document=second,
        actor=SYSTEM,
        lines=[LineInput("Work", Decimal("1"), Decimal("60.00"))],
        issue_date=second.issue_date,
        due_date=second.due_date,
    )
    assert "160.00 USD" in page(portal) and "60.00" in page(portal, INVOICES)
    transition_document(document=first, action="void", actor=SYSTEM)
    assert "60.00 USD" in page(portal) and '"badge state-void"' in page(portal, INVOICES)
    # A draft is never shown, made before or after the page was cached.
    draft = make_document(customer=customer)
    assert draft.number not in page(portal, INVOICES)


def test_a_document_reassigned_away_leaves_the_page_at_once(portal, customer, other_customer):
    invoice = sent_invoice(customer, "75.00")
    quote = transition_document(
        document=make_document(customer=customer, kind="quote"), action="mark_sent", actor=SYSTEM
    )
    assert invoice.number in page(portal, INVOICES) and "75.00 USD" in page(portal)
    assert quote.number in page(portal, QUOTES)
    # The REASSIGNED row is the new customer's: nothing about Jane changes but her pages.
    reassign_document(document=invoice, new_customer=other_customer, actor=SYSTEM)
    reassign_document(document=quote, new_customer=other_customer, actor=SYSTEM)
    assert invoice.number not in page(portal, INVOICES)
    assert quote.number not in page(portal, QUOTES)
    dashboard = page(portal)
    assert "Nothing to pay" in dashboard and invoice.number not in dashboard


def test_a_quote_decision_and_expiry_show_at_once(portal, customer):
    today = timezone.localdate()
    decided, lapsing = (
        transition_document(
            document=make_document(customer=customer, kind="quote", **dates),
            action="mark_sent",
            actor=SYSTEM,
        )
        for dates in (
            {},
            {
                "issue_date": today - datetime.timedelta(days=40),
                "valid_until": today - datetime.timedelta(days=1),
            },
        )
    )
    assert page(portal, QUOTES).count('"badge state-sent"') == 2
    response = portal.post(
        f"{BASE}/documents/{decided.pk}/decision/",
        {
            "op": "accept",
            "accept-signer_name": "Jane Baker",
            "accept-version": decided.content_version,
        },
    )
    assert response.status_code == 302
    assert '"badge state-accepted"' in page(portal, QUOTES)
    assert expire_overdue_quotes() == 1
    quotes = page(portal, QUOTES)
    assert '"badge state-expired"' in quotes and '"badge state-sent"' not in quotes
    assert lapsing.number in page(portal, QUOTES, status="expired")


def test_the_customers_and_the_business_details_show_at_once(
    portal, customer, org, owner, django_capture_on_commit_callbacks
):
    """As soon as the change commits (the data version moves on commit; a test's own
    transaction never commits, so the callbacks are run here as a commit would)."""
    assert "Jane&#x27;s Bakery" in page(portal)
    with django_capture_on_commit_callbacks(execute=True):
        update_customer(
            customer=customer,
            actor=SYSTEM,
            name="Jane's Bakehouse",
            email=customer.email,
            currency=customer.currency,
        )
    assert "Jane&#x27;s Bakehouse" in page(portal)
    staff = Actor(type="staff", user=owner, label=owner.email)
    with django_capture_on_commit_callbacks(execute=True):
        update_organization(
            organization=org, actor=staff, name="Acme Trading", brand_colour="#aa3300"
        )
    for url in (DASHBOARD, INVOICES):
        html = page(portal, url)
        assert "Acme Trading" in html and "#aa3300" in html and "Acme Ltd" not in html


def test_overdue_follows_the_businesss_date(portal, customer):
    today = timezone.localdate()
    sent_invoice(customer, "90.00", issue_date=today, due_date=today)
    assert "nothing overdue" in page(portal)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=1)):
        # A day later the old session has ended (30 idle minutes): sign in again.
        tomorrow = customer_browser()
        assert sign_in(tomorrow, "jane@bakery.test").status_code == 302
        assert "90.00 USD overdue" in page(tomorrow)


# --- Never someone else's page ------------------------------------------------------------


def test_customers_with_the_same_data_never_share_a_page(portal, set_up, customer, other_customer):
    for who in (customer, other_customer):
        sent_invoice(who, "120.00")
    bob = set_up(other_customer, client=customer_browser("198.51.100.9"))
    for url in (DASHBOARD, INVOICES):
        jane_page, bob_page = page(portal, url), page(bob, url)
        assert "Jane&#x27;s Bakery" in jane_page and "Bob&#x27;s Garage" not in jane_page
        assert "Bob&#x27;s Garage" in bob_page and "Jane&#x27;s Bakery" not in bob_page
        # Served again from the cache, each still gets their own.
        assert "Bob&#x27;s Garage" not in page(portal, url)
        assert "Jane&#x27;s Bakery" not in page(bob, url)
    assert len(PAGES) >= 4


def test_another_businesss_customer_never_gets_this_page(set_up, customer, foreign_customer):
    foreign_customer.name = "Jane's Bakery"  # the same name, and the same data below
    foreign_customer.save()
    sent_invoice(customer, "120.00")
    sent_invoice(foreign_customer, "120.00")
    jane = set_up(customer)
    elsewhere = set_up(foreign_customer, client=customer_browser("198.51.100.10"))
    for url in (DASHBOARD, INVOICES):
        assert "Acme Ltd" in page(jane, url) and "Rival Inc" not in page(jane, url)
        assert "Rival Inc" in page(elsewhere, url) and "Acme Ltd" not in page(elsewhere, url)


def test_disable_still_ends_a_session_whose_pages_are_cached(portal, customer, staff_actor):
    sent_invoice(customer)
    page(portal), page(portal, INVOICES)
    disable_portal_access(customer=customer, actor=staff_actor)
    for url in (DASHBOARD, INVOICES):
        response = portal.get(url)
        assert response.status_code == 302 and response["Location"] == LOGIN


def test_paging_and_filters_are_part_of_the_page(portal, customer):
    invoices = [sent_invoice(customer, "10.00") for _ in range(27)]
    pay(invoices[0], "10.00")
    first = page(portal, INVOICES)
    assert "Page 1 of 2" in first and invoices[-1].number in first
    second = page(portal, INVOICES, page=2)
    assert "Page 2 of 2" in second and invoices[1].number in second
    # Junk is page 1, numbers out of range the last page, as Paginator reads them.
    assert "Page 1 of 2" in page(portal, INVOICES, page="junk")
    for last in ("0", "-3", "99"):
        assert "Page 2 of 2" in page(portal, INVOICES, page=last)
    paid = page(portal, INVOICES, status="paid")
    assert invoices[0].number in paid and invoices[1].number not in paid


def test_a_moved_data_version_renders_the_page_anew(portal, customer):
    """The business's data version is part of every page's key: it moves after each commit,
    in commit order, which covers two concurrent changes whose Activity rows were numbered
    in the other order (tenancy/versions.py)."""
    invoice = sent_invoice(customer, "80.00")
    page(portal)
    page(portal)  # the kept page
    Document.objects.filter(pk=invoice.pk).update(total=Decimal("95.00"))  # no Activity row
    assert "80.00 USD" in page(portal)
    bump_data_version(organization_id=customer.organization_id)
    assert "95.00 USD" in page(portal)
