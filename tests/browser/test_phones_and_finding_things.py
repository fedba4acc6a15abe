"""Phones and finding things (issue 15, items 4 and 9), in Chromium.

At 390x844 every top-level staff page and every portal page fits the window (no sideways
scrolling, list tables included), the navigation is folded behind Menu and every item is
reachable through it, with JavaScript and without. At 1280 px the navigation is shown as
it is, Menu is hidden, and the current page is marked (aria-current, a visible style).
List tables keep number, customer, state and balance on a phone. axe-core finds nothing
serious on these pages at either width. The header's search finds a customer and a
document.
"""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from solabooks.activity.services import Actor
from solabooks.documents.payments import record_payment
from solabooks.documents.services import transition_document
from solabooks.portal.accounts import complete_setup
from solabooks.portal.services import enable_portal_access
from tests.factories import (
    CustomerFactory,
    OrganizationFactory,
    make_document,
    make_project_with_time,
)

from .support import axe_violations, make_staff_member, need_axe, sign_in_staff
from .test_every_customer_can_act import SETUP_PATH, sideways_overflow

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PORTAL = "/finance/customer-portal/"
PASSWORD = "violet-canyon-teapot-42"

STAFF_NAV = [
    "Dashboard",
    "Customers",
    "Invoices",
    "Quotes",
    "Sales orders",
    "Receipts",
    "Credit notes",
    "Payments",
    "Projects",
    "Settings",
    "Your account",
]
PORTAL_NAV = ["Dashboard", "Invoices", "Payments", "Quotes", "Orders", "Projects", "Settings"]


@pytest.fixture
def business(transactional_db, live_server, mailbox) -> dict:
    """A business with long names and a row of every kind, and a portal account."""
    organization = OrganizationFactory(
        name="Northwind Studio & Partners (Scandinavia)", time_zone="UTC"
    )
    staff = make_staff_member(organization, email="olivia@northwind.test")
    customer = CustomerFactory(
        organization=organization,
        name="Jane's Bakery and Patisserie Internationale",
        email="jane@bakery.test",
        currency="USD",
    )
    CustomerFactory(organization=organization, name="Bob's Garage", email="bob@garage.test")
    actor = Actor.system("set-up")
    invoice = make_document(customer=customer, state="sent")
    partly = make_document(customer=customer)
    transition_document(document=partly, action="mark_sent", actor=actor)
    record_payment(
        organization=organization,
        customer=customer,
        actor=actor,
        date=datetime.date(2026, 11, 20),
        amount=Decimal("100.00"),
        method="bank_transfer",
        reference="REF-2026-11-20-000123456789",
        allocations=[(partly, Decimal("100.00"))],
        issue_receipt=True,
    )
    make_document(customer=customer, kind="quote")
    make_document(customer=customer, kind="sales_order")
    make_document(customer=customer, kind="credit_note")
    made = make_project_with_time(customer=customer)
    made["project"].portal_visible = True
    made["project"].save(update_fields=["portal_visible"])
    enable_portal_access(customer=customer, confirmed_email=customer.email, actor=actor)
    setup_email = mailbox.expect_email(to=customer.email, subject_contains="Set up")
    setup_link = mailbox.link_in(setup_email, SETUP_PATH)
    complete_setup(raw_token=setup_link.rsplit("/", 1)[-1], password=PASSWORD, actor=actor)
    base = live_server.url + "/finance/"
    staff_pages = {
        "dashboard": base,
        "customers": base + "customers/",
        "customer": base + f"customers/{customer.pk}/",
        "invoices": base + "documents/invoice/",
        "invoice": base + f"document/{invoice.pk}/",
        "quotes": base + "documents/quote/",
        "sales orders": base + "documents/sales_order/",
        "receipts": base + "documents/receipt/",
        "credit notes": base + "documents/credit_note/",
        "payments": base + "payments/",
        "projects": base + "projects/",
        "settings": base + "settings/",
        "your account": base + "account/",
        "search": base + "search/?q=bakery",
    }
    portal = live_server.url + PORTAL
    portal_pages = {
        "dashboard": portal,
        "invoices": portal + "invoices/",
        "payments": portal + "payments/",
        "quotes": portal + "quotes/",
        "orders": portal + "orders/",
        "projects": portal + "projects/",
        "settings": portal + "settings/",
        "invoice": portal + f"documents/{invoice.pk}/",
    }
    return {
        "staff": staff,
        "invoice": invoice,
        "customer": customer,
        "staff_pages": staff_pages,
        "portal_pages": portal_pages,
    }


def portal_sign_in(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}{PORTAL}login")
    page.get_by_label("Email").fill("jane@bakery.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def folded_menu_reaches(page: Page, nav_name: str, items: list[str]) -> None:
    """Menu is shown, the items are not; after Menu every item is visible and inside the
    window; Menu again folds them."""
    menu = page.locator("summary.navmenu-button")
    expect(menu).to_be_visible()
    nav = page.get_by_role("navigation", name=nav_name, include_hidden=True)
    expect(nav).to_be_hidden()
    menu.click()
    for item in items:
        link = page.locator(".navmenu").get_by_role("link", name=item, exact=True)
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 391, (item, box)
    menu.click()
    expect(nav).to_be_hidden()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_staff_pages_on_a_phone(business, live_server, new_context, screenshot, javascript):
    page = new_context("staff-phone", java_script_enabled=javascript, **PHONE).new_page()
    sign_in_staff(page, live_server.url, business["staff"])
    problems = {}
    for name, url in business["staff_pages"].items():
        response = page.goto(url)
        assert response.status == 200, (name, response.status)
        if javascript:
            screenshot(page, "phone-" + name.replace(" ", "-"))
        overflow = sideways_overflow(page)
        wide_tables = page.evaluate(
            """() => [...document.querySelectorAll('table.list')]
                 .filter(t => t.scrollWidth > t.clientWidth + 1 || t.getBoundingClientRect().right > innerWidth + 1)
                 .map(t => t.querySelector('th') ? t.querySelector('th').textContent.trim() : '?')"""
        )
        if overflow or wide_tables:
            problems[name] = (overflow, wide_tables)
        folded_menu_reaches(page, "Main", STAFF_NAV)
    assert not problems, problems
    # The menu takes people where they want to go.
    page.goto(business["staff_pages"]["dashboard"])
    page.locator("summary.navmenu-button").click()
    if javascript:
        screenshot(page, "phone-menu-open")
    page.locator(".navmenu").get_by_role("link", name="Payments", exact=True).click()
    expect(page.get_by_role("heading", name="Payments", level=1)).to_be_visible()


def test_portal_pages_on_a_phone(business, live_server, new_context, screenshot):
    for javascript in (True, False):
        page = new_context("portal-phone", java_script_enabled=javascript, **PHONE).new_page()
        portal_sign_in(page, live_server.url)
        problems = {}
        for name, url in business["portal_pages"].items():
            response = page.goto(url)
            assert response.status == 200, (name, response.status)
            if javascript:
                screenshot(page, "portal-phone-" + name)
            if overflow := sideways_overflow(page):
                problems[name] = overflow
            folded_menu_reaches(page, "Customer portal", PORTAL_NAV)
        assert not problems, (javascript, problems)
        if javascript:
            page.locator("summary.navmenu-button").click()
            screenshot(page, "portal-phone-menu-open")


def visible_headers(page: Page) -> list[str]:
    return page.evaluate(
        """() => [...document.querySelectorAll('table.list th')]
             .filter(th => th.getBoundingClientRect().width > 0)
             .map(th => th.textContent.replace(/[▲▼]/g, '').trim())"""
    )


def test_list_tables_keep_number_customer_state_and_balance_on_a_phone(
    business, live_server, new_context
):
    page = new_context("lists-phone", **PHONE).new_page()
    sign_in_staff(page, live_server.url, business["staff"])
    urls = business["staff_pages"]
    page.goto(urls["invoices"])
    assert visible_headers(page) == ["Number", "Customer", "Balance", "State"]
    expect(page.get_by_role("cell", name=business["invoice"].number)).to_be_visible()
    page.goto(urls["quotes"])
    assert visible_headers(page) == ["Number", "Customer", "Total", "State"]
    page.goto(urls["customers"])
    assert visible_headers(page) == ["Name", "Balance"]
    page.goto(urls["payments"])
    assert visible_headers(page) == ["Date", "Customer", "Amount"]
    # The payment list used to scroll sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_wide_screens_show_the_navigation_and_mark_the_current_page(
    business, live_server, new_context, screenshot
):
    page = new_context("staff-desktop", **DESKTOP).new_page()
    sign_in_staff(page, live_server.url, business["staff"])
    page.goto(business["staff_pages"]["invoices"])
    expect(page.locator("summary.navmenu-button")).to_be_hidden()
    nav = page.get_by_role("navigation", name="Main")
    for item in STAFF_NAV[:9]:
        expect(nav.get_by_role("link", name=item, exact=True)).to_be_visible()
    current = nav.get_by_role("link", name="Invoices", exact=True)
    expect(current).to_have_attribute("aria-current", "page")
    other = nav.get_by_role("link", name="Quotes", exact=True)
    style = "el => [getComputedStyle(el).fontWeight, getComputedStyle(el).textDecorationLine, getComputedStyle(el).color]"
    assert current.evaluate(style) != other.evaluate(style)  # seen, not only announced
    screenshot(page, "desktop-invoices")
    for name in ("customers", "payments", "search", "dashboard"):
        page.goto(business["staff_pages"][name])
        screenshot(page, "desktop-" + name)
    # Sorting: a column header link orders the list and says so.
    page.goto(business["staff_pages"]["invoices"])
    page.get_by_role("link", name="Balance").click()
    expect(page.locator("th[aria-sort=descending]")).to_have_text("Balance ▼")
    portal = new_context("portal-desktop", **DESKTOP).new_page()
    portal_sign_in(portal, live_server.url)
    portal.goto(business["portal_pages"]["invoices"])
    expect(portal.locator("summary.navmenu-button")).to_be_hidden()
    portal_nav = portal.get_by_role("navigation", name="Customer portal")
    expect(portal_nav.get_by_role("link", name="Invoices")).to_have_attribute(
        "aria-current", "page"
    )
    screenshot(portal, "desktop-portal-invoices")
    portal.goto(business["portal_pages"]["dashboard"])
    screenshot(portal, "desktop-portal-dashboard")


def test_the_header_search_finds_customers_and_documents(business, live_server, new_context):
    page = new_context("search", **PHONE).new_page()
    sign_in_staff(page, live_server.url, business["staff"])
    page.get_by_role("searchbox", name="Search customers and documents").fill("patisserie")
    page.get_by_role("searchbox", name="Search customers and documents").press("Enter")
    expect(page.get_by_role("heading", name="Search", level=1)).to_be_visible()
    results = page.locator(".search-results")
    expect(results.get_by_role("link", name=business["customer"].name)).to_be_visible()
    expect(results.get_by_role("link", name=business["invoice"].number)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.parametrize("window", [PHONE, DESKTOP], ids=["390", "1280"])
def test_no_serious_accessibility_violations(business, live_server, new_context, window):
    need_axe()
    staff = new_context("axe-staff", bypass_csp=True, **window).new_page()
    sign_in_staff(staff, live_server.url, business["staff"])
    portal = new_context("axe-portal", bypass_csp=True, **window).new_page()
    portal_sign_in(portal, live_server.url)
    found = {}
    pages = [(staff, "staff " + n, u) for n, u in business["staff_pages"].items()]
    pages += [(portal, "portal " + n, u) for n, u in business["portal_pages"].items()]
    for page, name, url in pages:
        page.goto(url)
        if window is PHONE:
            page.locator("summary.navmenu-button").click()  # the open menu too
        if violations := axe_violations(page):
            found[name] = violations
    assert not found, found
