"""Issue 14 in a real browser: a customer's decision the business can rely on.

The whole story through the UI: the owner sets quote terms, sends a quote, the customer
accepts it (the terms box ticked, a typed name), the business is told by email once the
burst window has passed (the outbox sweep a deployment runs, `manage.py deliver_outbox`),
the customer gets the accepted PDF and the certificate, and staff download both and check
the accepted PDF with "verify a file". Then a staff preview, which is not a customer view.

Accessibility (axe-core, serious and critical) and screenshots at 1280 and 390 px of the
pages issue 14 added. Screenshots go where the `screenshot` fixture puts them
($SOLABOOKS_SCREENSHOT_DIR/<test>/ or the test's tmp_path).
"""

import datetime
import hashlib
import io
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from solabooks.documents.acceptance import TERMS_NOT_AGREED
from solabooks.documents.services import LineInput
from solabooks.tenancy.previews import STAFF_CANNOT_DECIDE
from tests.factories import CustomerFactory, OrganizationFactory, make_document

from .support import axe_violations, make_staff_member, need_axe, pdf_text, sign_in_staff

pytestmark = pytest.mark.browser

LINK_PATH = r"/finance/q/[A-Za-z0-9_\-]+"
SIGNER = "Jane Baker"
TERMS = "A deposit of 20% is due on acceptance.\nThe balance is due on delivery."
WIDE = {"width": 1280, "height": 800}
NARROW = {"width": 390, "height": 844}


def business():
    organization = OrganizationFactory(
        name="Sunrise Studio",
        brand_colour="#0f766e",
        reply_to_email="hello@sunrise.test",
        time_zone="UTC",
    )
    staff = make_staff_member(organization, email="olivia@sunrise.test")
    customer = CustomerFactory(
        organization=organization, name="Jane's Bakery", email="jane@bakery.test"
    )
    return organization, staff, customer


def a_quote(customer, **options):
    line = LineInput("Website redesign", Decimal("1"), Decimal("1200.00"), Decimal("10"))
    return make_document(customer=customer, kind="quote", lines=[line], **options)


def sideways_overflow(page: Page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


def at_both_widths(page: Page, screenshot, name: str, *, axe: bool = True) -> dict:
    """Screenshots at 1280x800 and 390x844, no sideways scrolling at 390, and axe-core's
    serious/critical violations at both widths ({} when none)."""
    found = {}
    for label, viewport in (("1280", WIDE), ("390", NARROW)):
        page.set_viewport_size(viewport)
        screenshot(page, f"{name}-{label}")
        if label == "390":
            assert sideways_overflow(page) <= 0, f"{name} scrolls sideways at 390 px"
        if axe:
            violations = axe_violations(page)
            if violations:
                found[f"{name} at {label}"] = violations
    page.set_viewport_size(WIDE)
    return found


def open_quote(page: Page, number: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Quotes").click()
    page.get_by_role("link", name=number, exact=True).click()
    expect(page.get_by_role("heading", name=f"Quote {number}")).to_be_visible()


def attachments(received) -> dict[str, bytes]:
    return {
        part.get_filename(): part.get_payload(decode=True)
        for part in received.message.iter_attachments()
    }


def download(page: Page, link_name: str) -> tuple[str, bytes, str]:
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).click()
    got = info.value
    assert got.failure() is None
    path = got.path()
    return got.suggested_filename, Path(path).read_bytes(), str(path)


# --- Accept with terms → the business is told → staff download and verify ---------------


def test_customer_accepts_with_terms_and_staff_verify_the_accepted_pdf(
    transactional_db, live_server, mailbox, new_context, screenshot
):
    need_axe()
    organization, staff, customer = business()
    quote = a_quote(customer)
    accessibility = {}

    staff_page = new_context("staff", bypass_csp=True, viewport=WIDE).new_page()
    customer_page = new_context("customer").new_page()
    sign_in_staff(staff_page, live_server.url, staff)

    # The owner sets quote terms: Settings > Quote terms.
    staff_page.locator("header .account").get_by_role("link", name="Settings").click()
    staff_page.get_by_role("navigation", name="Settings").get_by_role(
        "link", name="Quote terms"
    ).click()
    staff_page.get_by_label("Quote terms").fill(TERMS)
    staff_page.get_by_role("button", name="Save terms").click()
    expect(staff_page.locator(".messages")).to_contain_text("Quote terms saved (version 1).")
    expect(staff_page.locator("table.list tbody tr")).to_have_count(1)
    accessibility |= at_both_widths(staff_page, screenshot, "staff-quote-terms")

    # The notification settings the member can change (defaults: decisions on, views off).
    staff_page.get_by_role("link", name="Your account").click()
    staff_page.locator("main").get_by_role("link", name="Notifications").click()
    expect(staff_page.get_by_role("heading", name="Notifications", exact=True)).to_be_visible()
    # The member's own switches; an owner also sees the reply-to address's, the same three.
    for form in ("Emails to you", "Emails to the business's reply-to address"):
        section = staff_page.locator("main .card").filter(has_text=form)
        checkboxes = section.locator("input[type=checkbox]")
        expect(checkboxes).to_have_count(3)
        expect(checkboxes.nth(0)).to_be_checked()
        expect(checkboxes.nth(1)).not_to_be_checked()
    accessibility |= at_both_widths(staff_page, screenshot, "staff-notification-settings")

    # Staff send the quote; the email reaches the customer.
    open_quote(staff_page, quote.number)
    staff_page.locator(".document-head").get_by_role("button", name="Send to Customer").click()
    dialog = staff_page.get_by_role("dialog", name=f"Send quote {quote.number}")
    dialog.get_by_role("button", name="Send", exact=True).click()
    expect(staff_page.locator(".messages")).to_contain_text(f"Sent to {customer.email}.")
    email = mailbox.expect_email(to=customer.email, subject_contains=quote.number)
    link = mailbox.link_in(email, LINK_PATH)

    # The customer opens the link: the terms beside Accept.
    customer_page.goto(link)
    decision = customer_page.get_by_role("region", name="Your decision")
    expect(decision.get_by_role("heading", name="Terms", exact=True)).to_be_visible()
    expect(decision.locator(".terms-text")).to_contain_text("A deposit of 20% is due")
    expect(decision.locator(".terms-text")).to_contain_text("The balance is due on delivery.")
    agree = decision.get_by_label("I agree to the terms")
    expect(agree).not_to_be_checked()

    # Accept without ticking: the browser itself stops the form at the box...
    decision.get_by_label("Your full name").fill(SIGNER)
    decision.get_by_role("button", name="Accept").click()
    assert agree.evaluate("el => el.validity.valueMissing")
    assert agree.evaluate("el => el.validationMessage")
    expect(customer_page.locator(".messages")).to_have_count(0)
    # ...and a browser that does not check forms gets the server's answer: the box, named.
    decision.locator("form").first.evaluate("form => { form.noValidate = true; }")
    decision.get_by_role("button", name="Accept").click()
    decision = customer_page.get_by_role("region", name="Your decision")
    error = decision.locator(".errorlist")
    expect(error).to_be_visible()
    expect(error).to_have_text(TERMS_NOT_AGREED)
    screenshot(customer_page, "customer-terms-not-ticked")
    quote.refresh_from_db()
    assert quote.state == "sent", "accepted without the terms box ticked"

    # Ticked, with the typed name: accepted.
    expect(decision.get_by_label("Your full name")).to_have_value(SIGNER)
    decision.get_by_label("I agree to the terms").check()
    decision.get_by_role("button", name="Accept").click()
    expect(customer_page.locator(".messages")).to_contain_text(
        f"Thank you. You have accepted quote {quote.number}."
    )
    expect(decision).to_contain_text("This quote has been accepted.")
    screenshot(customer_page, "customer-accepted")

    # The customer's confirmation: the accepted quote and the certificate, attached.
    confirmation = mailbox.expect_email(to=customer.email, subject_contains="You accepted")
    attached = attachments(confirmation)
    accepted_name = f"{quote.number}-v1-accepted.pdf"
    certificate_name = f"{quote.number}-v1-acceptance-certificate.pdf"
    assert list(attached) == [accepted_name, certificate_name]
    assert all(data.startswith(b"%PDF") for data in attached.values())

    # The business is told once the burst window has passed, by the outbox sweep a
    # deployment runs (`deliver_outbox`): not before.
    assert not [m for m in mailbox.server.messages if staff.email in m.rcpt_tos], (
        "the business was emailed before the burst window passed"
    )
    later = timezone.now() + datetime.timedelta(minutes=6)
    with time_machine.travel(later, tick=True):
        call_command("deliver_outbox", stdout=io.StringIO())
    told = mailbox.expect_email(to=staff.email, subject_contains=quote.number)
    assert str(told.message["Subject"]) == f"Quote {quote.number} accepted by {SIGNER}"
    staff_link = mailbox.link_in(told, rf"/finance/document/{quote.pk}/")
    assert staff_link.endswith(f"/finance/document/{quote.pk}/")
    assert f"Quote {quote.number} was accepted by {SIGNER} ({customer.name})" in told.part(
        "text/plain"
    )
    assert link not in told.part("text/plain") and link not in told.part("text/html")
    reply_to_copy = mailbox.expect_email(to=organization.reply_to_email)
    assert str(reply_to_copy.message["Subject"]) == str(told.message["Subject"])
    business_emails = [
        m
        for m in mailbox.server.messages
        if set(m.rcpt_tos) & {staff.email, organization.reply_to_email}
    ]
    assert len(business_emails) == 2, [str(m.message["Subject"]) for m in business_emails]

    # Staff open the quote from the notification: the acceptance record.
    staff_page.goto(staff_link)
    record = staff_page.get_by_role("region", name="Acceptance record")
    expect(record).to_contain_text(SIGNER)
    expect(record).to_contain_text("Version 1, agreed")
    sha256 = hashlib.sha256(attached[accepted_name]).hexdigest()
    expect(record.locator("code.hash")).to_have_text(sha256)
    expect(staff_page.locator(".document-head .badge").first).to_have_text("Accepted")
    accessibility |= at_both_widths(staff_page, screenshot, "staff-quote-acceptance-record")

    # Downloads: byte for byte what the customer got.
    name, accepted_pdf, accepted_path = download(staff_page, "Download the accepted PDF")
    assert name == accepted_name
    assert accepted_pdf == attached[accepted_name]
    name, certificate_pdf, certificate_path = download(staff_page, "Download the certificate")
    assert name == certificate_name
    assert certificate_pdf == attached[certificate_name]
    certificate = pdf_text(certificate_path)
    for expected in (quote.number, SIGNER, sha256, organization.name, customer.name):
        assert expected in certificate.replace("\n", ""), expected

    # Verify a file: the accepted PDF matches, naming the quote and version...
    record.get_by_role("link", name="Verify a file").click()
    expect(staff_page.get_by_role("heading", name="Verify an accepted quote")).to_be_visible()
    accessibility |= at_both_widths(staff_page, screenshot, "staff-verify-form")
    staff_page.get_by_label("PDF file").set_input_files(accepted_path)
    staff_page.get_by_role("button", name="Verify").click()
    result = staff_page.locator("section.card[aria-live]")
    expect(result.get_by_role("heading", name="Match", exact=True)).to_be_visible()
    expect(result).to_contain_text(f"accepted version 1 of quote {quote.number}")
    expect(result).to_contain_text(f"by {SIGNER}")
    expect(result.locator("code")).to_have_text(sha256)
    accessibility |= at_both_widths(staff_page, screenshot, "staff-verify-match")

    # ...another PDF (the certificate) does not.
    staff_page.get_by_label("PDF file").set_input_files(certificate_path)
    staff_page.get_by_role("button", name="Verify").click()
    expect(result.get_by_role("heading", name="No match")).to_be_visible()
    expect(result).not_to_contain_text(quote.number)
    accessibility |= at_both_widths(staff_page, screenshot, "staff-verify-no-match")

    assert not accessibility, accessibility


# --- Staff previews are not customer views ----------------------------------------------


def test_preview_as_customer_is_not_a_customer_view(
    transactional_db, live_server, mailbox, new_context, screenshot
):
    need_axe()
    organization, staff, customer = business()
    quote = a_quote(customer, state="sent")
    page = new_context("staff", bypass_csp=True, viewport=WIDE).new_page()
    sign_in_staff(page, live_server.url, staff)

    open_quote(page, quote.number)
    expect(page.locator(".document-head .badge").filter(has_text="Viewed")).to_have_count(0)
    page.get_by_role("link", name="Preview as customer").click()
    banner = page.locator(".preview-banner")
    expect(banner).to_contain_text("You are previewing what the customer sees")
    expect(page.locator("article.document-sheet .sheet-number")).to_have_text(quote.number)
    accessibility = at_both_widths(page, screenshot, "staff-preview")

    # Staff cannot decide for the customer: Accept is refused, with the reason.
    decision = page.get_by_role("region", name="Your decision")
    decision.get_by_label("Your full name").fill("Olivia Owner")
    decision.get_by_role("button", name="Accept").click()
    expect(page.locator(".messages")).to_contain_text(STAFF_CANNOT_DECIDE)
    expect(banner).to_be_visible()
    screenshot(page, "staff-preview-refused")
    decision.get_by_role("button", name="Decline").click()
    expect(page.locator(".messages")).to_contain_text(STAFF_CANNOT_DECIDE)
    quote.refresh_from_db()
    assert quote.state == "sent" and quote.viewed_at is None

    # Back on the quote page (the banner's link): still sent, not viewed; the preview is in
    # Activity as such.
    banner.get_by_role("link", name=f"Back to quote {quote.number}").click()
    expect(page.get_by_role("heading", name=f"Quote {quote.number}")).to_be_visible()
    expect(page.locator(".document-head .badge").first).to_have_text("Sent")
    expect(page.locator(".document-head .badge").filter(has_text="Viewed")).to_have_count(0)
    activity = page.locator("section.activity-section li")
    expect(activity.filter(has_text="Previewed by")).not_to_have_count(0)
    expect(activity.filter(has_text="Viewed by customer")).to_have_count(0)

    # The customer's own link, opened in the staff member's browser: a preview too.
    page.locator(".document-head").get_by_role("button", name="Send to Customer").click()
    page.get_by_role("dialog", name=f"Send quote {quote.number}").get_by_role(
        "button", name="Send", exact=True
    ).click()
    email = mailbox.expect_email(to=customer.email, subject_contains=quote.number)
    link = mailbox.link_in(email, LINK_PATH)
    page.goto(link)
    expect(page.locator(".preview-banner")).to_be_visible()
    page.get_by_role("region", name="Your decision").get_by_role("button", name="Decline").click()
    expect(page.locator(".messages")).to_contain_text(STAFF_CANNOT_DECIDE)
    quote.refresh_from_db()
    assert quote.state == "sent" and quote.viewed_at is None

    # The customer (no staff session) opening the same link is the view.
    customer_page = new_context("customer").new_page()
    customer_page.goto(link)
    expect(customer_page.get_by_role("heading", name="Your decision")).to_be_visible()
    expect(customer_page.locator(".preview-banner")).to_have_count(0)
    page.goto(f"{live_server.url}/finance/document/{quote.pk}/")
    expect(page.locator(".document-head .badge").filter(has_text="Viewed")).to_have_count(1)

    assert not accessibility, accessibility
