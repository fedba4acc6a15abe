"""Overdue at a glance, in Chromium, at 1280 px and on a 390 × 844 phone: staff see
"Overdue · N days" in the invoice list (filtered and sorted by due date), on the dashboard
and the invoice page; the customer sees "Overdue", the amount due and the due date first on
the link page, and the overdue amount stands out on the portal dashboard. No serious
axe-core finding on any of these pages, no sideways scrolling on the phone."""

import datetime

import pytest
from playwright.sync_api import Page, expect

from solabooks.portal.accounts import complete_setup
from solabooks.portal.services import enable_portal_access
from tests.factories import make_document

from .support import axe_violations, make_staff_member, sign_in_staff
from .test_every_customer_can_act import (
    PASSWORD,
    SETUP_PATH,
    business_and_customer,
    emailed_link,
    sideways_overflow,
    sign_in,
    staff,
)

pytestmark = pytest.mark.browser

WINDOWS = {
    "1280": {"viewport": {"width": 1280, "height": 900}},
    "390": {"viewport": {"width": 390, "height": 844}},
}


@pytest.fixture
def overdue_world(transactional_db, live_server, mailbox):
    organization, customer = business_and_customer()
    today = organization.today()
    late = make_document(
        customer=customer,
        issue_date=today - datetime.timedelta(days=42),
        due_date=today - datetime.timedelta(days=12),
    )
    link = emailed_link(mailbox, late)
    make_document(
        customer=customer,
        issue_date=today - datetime.timedelta(days=2),
        due_date=today + datetime.timedelta(days=28),
        state="sent",
    )
    enable_portal_access(customer=customer, confirmed_email=customer.email, actor=staff())
    setup = mailbox.link_in(
        mailbox.expect_email(to=customer.email, subject_contains="Set up"), SETUP_PATH
    )
    complete_setup(raw_token=setup.rsplit("/", 1)[-1], password=PASSWORD, actor=staff())
    member = make_staff_member(organization, email="olivia@northwind.test")
    return {"organization": organization, "late": late, "link": link, "member": member}


def main_overflow(page: Page) -> list[str]:
    """What of the page's main content reaches past the window (the staff navigation on
    phones is another change's: only `main` is held here; tables may scroll inside)."""
    return page.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          const out = [];
          for (const el of document.querySelectorAll('main *')) {
            const box = el.getBoundingClientRect();
            if (box.width === 0 || el.closest('table')) continue;
            if (box.left < -1 || box.right > width + 1) {
              out.push(el.tagName.toLowerCase() + ' "' + (el.textContent || '').trim().slice(0, 30) + '"');
            }
          }
          return out.slice(0, 8);
        }"""
    )


def check_page(page: Page, window: str, screenshot, name: str, problems: dict) -> None:
    screenshot(page, f"{name}-{window}")
    if window == "390":
        # Customer pages whole; on staff pages only `main` (the staff navigation on phones
        # is another change's).
        overflow = main_overflow(page) if name.startswith("staff") else sideways_overflow(page)
        if overflow:
            problems[f"{name} overflow"] = overflow
    if violations := axe_violations(page):
        problems[f"{name} axe"] = violations


@pytest.mark.parametrize("window", list(WINDOWS))
def test_overdue_shows_everywhere_staff_and_customers_look(
    overdue_world, live_server, new_context, screenshot, window
):
    base, late = live_server.url, overdue_world["late"]
    problems: dict = {}
    staff_page = new_context(f"staff-{window}", bypass_csp=True, **WINDOWS[window]).new_page()
    sign_in_staff(staff_page, base, overdue_world["member"])

    # The dashboard lists the overdue invoice and links to all of them, soonest due first.
    staff_page.goto(f"{base}/finance/")
    overdue_section = staff_page.get_by_role("region", name="Overdue invoices")
    expect(overdue_section).to_contain_text(late.number)
    expect(overdue_section).to_contain_text("Overdue · 12 days")
    check_page(staff_page, window, screenshot, "staff-dashboard", problems)
    staff_page.get_by_role("link", name="All overdue invoices").click()

    # The list, filtered to overdue (the State filter's choice) and sorted by due date.
    expect(staff_page.get_by_label("State")).to_have_value("overdue")
    rows = staff_page.locator("table.list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Overdue · 12 days")
    check_page(staff_page, window, screenshot, "staff-invoices-overdue", problems)
    staff_page.get_by_label("State").select_option("")
    staff_page.get_by_role("button", name="Filter").click()
    rows = staff_page.locator("table.list tbody tr")
    expect(rows).to_have_count(2)
    # Still by due date (the sort stays): the overdue one first, then the one not yet due.
    expect(rows.nth(0)).to_contain_text("Overdue · 12 days")
    expect(rows.nth(1)).to_contain_text("Sent")
    check_page(staff_page, window, screenshot, "staff-invoices", problems)

    # The invoice page.
    staff_page.goto(f"{base}/finance/document/{late.pk}/")
    expect(staff_page.locator(".page-head .badge, h1 + .badge").first).to_have_text(
        "Overdue · 12 days"
    )
    check_page(staff_page, window, screenshot, "staff-invoice", problems)

    # The customer's link page: the amount due and the due date first, "Overdue", no "Sent".
    customer_page = new_context(f"link-{window}", bypass_csp=True, **WINDOWS[window]).new_page()
    customer_page.goto(overdue_world["link"])
    due = customer_page.get_by_role("region", name="Amount due")
    expect(due).to_contain_text("330.00 USD")
    expect(due).to_contain_text("Overdue · was due")
    expect(customer_page.locator(".document-sheet .badge")).to_have_text("Overdue")
    expect(customer_page.get_by_role("main")).not_to_contain_text("Sent")
    check_page(customer_page, window, screenshot, "customer-link", problems)

    # The portal: the overdue amount stands out and leads to the overdue invoices.
    portal = new_context(f"portal-{window}", bypass_csp=True, **WINDOWS[window]).new_page()
    sign_in(portal, base)
    overdue_amount = portal.locator(".overdue-amount")
    expect(overdue_amount).to_contain_text("330.00 USD overdue")
    check_page(portal, window, screenshot, "portal-dashboard", problems)
    overdue_amount.get_by_role("link").click()
    expect(portal.locator("table.list tbody tr")).to_have_count(1)
    expect(portal.locator("table.list tbody")).to_contain_text("Overdue")
    check_page(portal, window, screenshot, "portal-invoices-overdue", problems)

    assert not problems, problems
