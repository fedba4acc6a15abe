"""Projects and time, walked through in a real browser: staff log a week of time, request
the customer's approval; the customer, from the emailed link, approves some entries and
rejects one with a comment; staff invoice the approved time, and the invoice's lines add up
to the approved hours times their rates. Emails are read off a real SMTP server."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from solabooks.documents.models import Document
from solabooks.projects.models import EntryState, TimeEntry
from tests.factories import CustomerFactory, OrganizationFactory

from .support import make_staff_member, money, sign_in_staff

pytestmark = pytest.mark.browser

APPROVAL_PATH = r"/finance/t/[A-Za-z0-9_\-]+"
WEEK = [
    ("2026-11-02", "1:30", "Kick-off workshop", "120"),
    ("2026-11-03", "3.25", "Wireframes", ""),
    ("2026-11-04", "2", "Design review", ""),
    ("2026-11-05", "0:45", "Call about colours", "90"),
]


def test_log_time_approve_and_invoice_exactly_the_approved_time(
    transactional_db, live_server, mailbox, new_context, screenshot
):
    organization = OrganizationFactory(
        name="Acme Studio", reply_to_email="billing@acme.test", time_zone="UTC"
    )
    staff = make_staff_member(organization, email="olivia@acme.test")
    CustomerFactory(
        organization=organization, name="Jane's Bakery", email="jane@bakery.test", currency="USD"
    )
    staff_page = new_context("staff").new_page()
    sign_in_staff(staff_page, live_server.url, staff)

    # Staff: a project with a budget and a default rate of 100.
    staff_page.get_by_role("navigation", name="Main").get_by_role("link", name="Projects").click()
    staff_page.get_by_role("link", name="New project").click()
    staff_page.get_by_label("Customer", exact=True).select_option(label="Jane's Bakery (USD)")
    staff_page.get_by_label("Name", exact=True).fill("Website redesign")
    staff_page.get_by_label("Budget (hours)", exact=True).fill("10")
    staff_page.get_by_label("Default hourly rate", exact=True).fill("100")
    staff_page.get_by_role("button", name="Create project").click()
    expect(staff_page.get_by_role("heading", name="Website redesign")).to_be_visible()

    # A week of time in one submission (hours typed as 1:30 and as 3.25).
    rows = staff_page.locator("table.time-rows tbody tr")
    for index, (day, hours, description, rate) in enumerate(WEEK):
        row = rows.nth(index)
        row.get_by_label("Date").fill(day)
        row.get_by_label("Hours").fill(hours)
        row.get_by_label("Description").fill(description)
        if rate:
            row.get_by_label("Rate").fill(rate)
    screenshot(staff_page, "log-a-week")
    staff_page.get_by_role("button", name="Save time").click()
    expect(staff_page.locator(".messages")).to_contain_text("Logged 4 time entries.")
    assert TimeEntry.objects.count() == 4

    # Request the customer's approval of every pending billable entry (all ticked).
    staff_page.get_by_role("link", name="Request time approval").click()
    staff_page.get_by_role("button", name="Send for approval").click()
    expect(staff_page.locator(".messages")).to_contain_text("Sent 4 entries to jane@bakery.test")
    screenshot(staff_page, "request-sent")
    # Waiting entries are locked.
    entries_table = staff_page.get_by_role("region", name="Time entries")
    expect(entries_table.get_by_role("link", name="Edit")).to_have_count(0)
    expect(entries_table.get_by_text("Locked", exact=True)).to_have_count(4)

    # Customer: the emailed link, approve three, reject one with a comment.
    email = mailbox.expect_email(to="jane@bakery.test", subject_contains="approve time")
    link = mailbox.link_in(email, APPROVAL_PATH)
    customer_page = new_context("customer").new_page()
    customer_page.goto(link)
    expect(
        customer_page.get_by_role("heading", name="Time to approve: Website redesign")
    ).to_be_visible()
    screenshot(customer_page, "approval-page")
    table = customer_page.locator("table.approval-items tbody tr")
    for index in (0, 2, 3):
        table.nth(index).get_by_label("Approve", exact=True).check()
    rejected = table.nth(1)
    rejected.get_by_label("Reject", exact=True).check()
    rejected.get_by_label("Comment (needed to reject)").fill("We agreed on 2 hours for wireframes")
    customer_page.get_by_role("button", name="Send my decisions").click()
    expect(customer_page.locator(".messages")).to_contain_text(
        "You have approved 4.25 hours and rejected 1 entry"
    )
    screenshot(customer_page, "decided")

    # The business hears of it, with the comment.
    notice = mailbox.expect_email(to="billing@acme.test", subject_contains="approved 4.25 h")
    assert "We agreed on 2 hours for wireframes" in notice.part("text/plain")

    # Staff: the decision and comment on the project page; invoice the approved time.
    staff_page.reload()
    expect(entries_table.get_by_text("We agreed on 2 hours for wireframes")).to_be_visible()
    expect(staff_page.get_by_role("region", name="Activity")).to_contain_text("approved 4.25 h")
    project_url = staff_page.url
    staff_page.get_by_role("link", name="Invoice approved time").click()
    staff_page.get_by_label("One line per entry").check()
    staff_page.get_by_role("button", name="Create draft invoice").click()
    expect(staff_page.locator(".messages")).to_contain_text("created from the approved time")
    screenshot(staff_page, "invoice")

    invoice = Document.objects.get(kind="invoice")
    approved = [entry for entry in TimeEntry.objects.all() if entry.invoice_id == invoice.pk]
    assert {entry.state for entry in approved} == {EntryState.INVOICED}
    expected = sum((e.hours * e.rate for e in approved), Decimal("0"))
    assert expected == Decimal("1.5") * 120 + Decimal("2") * 100 + Decimal("0.75") * 90
    lines = list(invoice.lines.order_by("position"))
    assert sum((line.quantity for line in lines), Decimal("0")) == Decimal("4.25")
    assert invoice.subtotal == expected
    expect(staff_page.locator("body")).to_contain_text(money(expected))
    assert TimeEntry.objects.get(description="Wireframes").state == EntryState.REJECTED

    # On a phone (390 px) neither the project page nor the customer's page scrolls sideways.
    for page, url in ((staff_page, project_url), (customer_page, link)):
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(page, "phone")
