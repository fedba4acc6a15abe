"""Every customer can act, whatever their browser: without JavaScript, at 320 px wide and at
200% zoom, by keyboard, and with nothing axe-core calls serious or critical.

The customer's side only: the secure link (a document's, a project share, a time approval),
the pages a dead link shows, and the portal. Staff pages are not in scope here.

Zoom: a 1280 px window at 200% lays pages out in 640 CSS pixels, each drawn with two device
pixels; WCAG 2.2's reflow criterion (1.4.10) asks for no sideways scrolling at 320 CSS
pixels, which is the same window at 400%. Both are tested.
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from solabooks.activity.services import Actor
from solabooks.documents.acceptance import set_quote_terms
from solabooks.documents.models import AcceptanceRecord
from solabooks.documents.payments import record_payment
from solabooks.portal.accounts import complete_setup
from solabooks.portal.services import enable_portal_access
from solabooks.projects import emails as project_emails
from solabooks.sharing import emails as sharing_emails
from solabooks.sharing.models import LinkPurpose, SecureLink
from solabooks.sharing.services import issue_link, mint_link, send_document
from tests.factories import (
    CustomerFactory,
    OrganizationFactory,
    make_document,
    make_project_with_time,
)

from .support import axe_violations, need_axe, pdf_text

pytestmark = pytest.mark.browser

LINK_PATH = r"/finance/(?:i|q)/[A-Za-z0-9_\-]+"
SETUP_PATH = r"/finance/customer-portal/setup/[A-Za-z0-9_\-]+"
PORTAL = "/finance/customer-portal/"
PASSWORD = "violet-canyon-teapot-42"
NEW_PASSWORD = "amber-falcon-orchard-31"

PHONE = {"viewport": {"width": 320, "height": 640}}
ZOOM_200 = {"viewport": {"width": 640, "height": 450}, "device_scale_factor": 2}


def business_and_customer(name: str = "Northwind Studio"):
    organization = OrganizationFactory(
        name=name, reply_to_email="billing@northwind.test", time_zone="UTC"
    )
    customer = CustomerFactory(
        organization=organization,
        name="Jane's Bakery",
        email="jane@bakery.test",
        currency="USD",
    )
    return organization, customer


def staff() -> Actor:
    return Actor.system("Olivia at Northwind")


def emailed_link(mailbox, document) -> str:
    """Send the document as staff do; the link as the customer reads it in the email."""
    send_document(document=document, actor=staff())
    email = mailbox.expect_email(to=document.customer.email)
    return mailbox.link_in(email, LINK_PATH)


# --- Without JavaScript -------------------------------------------------------------------


def test_the_customer_journey_works_with_javascript_off(
    transactional_db, live_server, mailbox, new_context, screenshot
):
    organization, customer = business_and_customer()
    first_quote = make_document(customer=customer, kind="quote")
    second_quote = make_document(customer=customer, kind="quote")
    invoice = make_document(customer=customer, kind="invoice")
    # More sent invoices than one page of the portal's list holds.
    for _ in range(26):
        make_document(customer=customer, kind="invoice", state="sent")
    page = new_context("no-js", java_script_enabled=False).new_page()

    # The link page, and its PDF.
    page.goto(emailed_link(mailbox, first_quote))
    expect(page.get_by_role("heading", name="Your decision")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    assert first_quote.number in pdf_text(download.value.path())

    # Accept, with the signer's name.
    page.get_by_label("Your full name").fill("Jane Baker")
    page.get_by_role("button", name="Accept").click()
    expect(page.locator(".messages")).to_contain_text(
        f"You have accepted quote {first_quote.number}"
    )
    screenshot(page, "accepted")
    first_quote.refresh_from_db()
    assert first_quote.state == "accepted"
    # The confirmation, with the accepted quote and the certificate attached.
    confirmation = mailbox.expect_email(to=customer.email, subject_contains="You accepted")
    attached = [part.get_filename() for part in confirmation.message.iter_attachments()]
    assert attached == [
        f"{first_quote.number}-v1-accepted.pdf",
        f"{first_quote.number}-v1-acceptance-certificate.pdf",
    ]

    # Decline another, with a reason.
    page.goto(emailed_link(mailbox, second_quote))
    page.get_by_label("Reason (optional)").fill("Over our budget this year")
    page.get_by_role("button", name="Decline").click()
    expect(page.locator(".messages")).to_contain_text(
        f"You have declined quote {second_quote.number}"
    )
    second_quote.refresh_from_db()
    assert second_quote.state == "declined"

    # An expired link: request access, and a new link arrives.
    invoice_link = emailed_link(mailbox, invoice)
    SecureLink.objects.filter(document=invoice).update(
        created_at=timezone.now() - datetime.timedelta(days=2),
        expires_at=timezone.now() - datetime.timedelta(days=1),
    )
    page.goto(invoice_link)
    expect(page.get_by_role("heading", name="This link has expired")).to_be_visible()
    page.get_by_role("button", name="Request access").click()
    expect(page.get_by_role("main")).to_contain_text("a new link has been emailed")
    fresh = mailbox.link_in(mailbox.expect_email(to=customer.email), LINK_PATH)

    # Set up an account from the fresh link; the set-up email; choose a password.
    page.goto(fresh)
    page.get_by_role("button", name="Set up an account").click()
    expect(page.locator(".messages")).to_contain_text("we have emailed instructions")
    setup = mailbox.link_in(mailbox.expect_email(to=customer.email), SETUP_PATH)
    page.goto(setup)
    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the new password").fill(PASSWORD)
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("navigation", name="Customer portal")).to_be_visible()

    # Sign out, sign in again.
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Email").fill(customer.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # Attached, not visible: on a phone the portal's navigation is folded behind Menu.
    expect(
        page.get_by_role("navigation", name="Customer portal", include_hidden=True)
    ).to_be_attached()

    # The invoice list: the filter is a plain form (with scripts the select submits itself;
    # here nothing happens until Filter is pressed), and paging is plain links.
    page.get_by_role("navigation", name="Customer portal").get_by_role(
        "link", name="Invoices"
    ).click()
    page.get_by_label("Status").select_option(label="Due")  # the customer's word for sent
    assert "status=" not in page.url
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("Page 1 of 2")).to_be_visible()
    assert "status=sent" in page.url
    page.get_by_role("link", name="Next").click()
    expect(page.get_by_text("Page 2 of 2")).to_be_visible()
    assert "status=sent" in page.url and "page=2" in page.url
    screenshot(page, "invoice-list-page-2")

    # Change the password.
    page.get_by_role("navigation", name="Customer portal").get_by_role(
        "link", name="Settings"
    ).click()
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".messages")).to_contain_text("Your password was changed")


def test_time_approval_works_with_javascript_off(
    transactional_db, live_server, settings, new_context
):
    settings.BASE_URL = live_server.url
    _, customer = business_and_customer()
    made = make_project_with_time(customer=customer)
    issued = mint_link(
        organization=customer.organization,
        customer=customer,
        purpose=LinkPurpose.TIME_APPROVAL,
        project=made["project"],
        approval_request=made["approval_request"],
        actor=staff(),
    )
    page = new_context("no-js", java_script_enabled=False).new_page()
    page.goto(project_emails.link_url(link=issued.link, raw_token=issued.raw_token))
    row = page.locator("table.approval-items tbody tr").first
    row.get_by_label("Reject", exact=True).check()
    row.get_by_label("Comment (needed to reject)").fill("Not agreed")
    page.get_by_role("button", name="Send my decisions").click()
    expect(page.locator(".messages")).to_contain_text("rejected 1 entry")
    made["waiting"].refresh_from_db()
    assert made["waiting"].state == "rejected"


# --- Small screens, zoom, keyboard, axe-core -------------------------------------------------


@pytest.fixture
def customer_pages(transactional_db, live_server, mailbox) -> dict[str, str]:
    """name -> URL of every kind of page a customer sees, for a customer whose names and
    numbers are long enough to push a careless layout sideways."""
    organization, customer = business_and_customer("Northwind Studio & Partners (Scandinavia)")
    customer.name = "Jane's Bakery and Patisserie Internationale"
    customer.save()
    quote = make_document(customer=customer, kind="quote")
    invoice = make_document(customer=customer, kind="invoice", state="sent")
    record_payment(
        organization=organization,
        customer=customer,
        actor=staff(),
        date=datetime.date(2026, 11, 20),
        amount=Decimal("100.00"),
        method="bank_transfer",
        reference="REF-2026-11-20-000123",
        allocations=[(invoice, Decimal("100.00"))],
    )
    quote_link = emailed_link(mailbox, quote)
    expired = issue_link(document=invoice, actor=staff())
    SecureLink.objects.filter(pk=expired.link.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=2),
        expires_at=timezone.now() - datetime.timedelta(days=1),
    )
    made = make_project_with_time(customer=customer)
    made["project"].portal_visible = True  # also in the portal (a staff setting)
    made["project"].save(update_fields=["portal_visible"])
    share = mint_link(
        organization=organization,
        customer=customer,
        purpose=LinkPurpose.PROJECT_SHARE,
        project=made["project"],
        actor=staff(),
    )
    approval = mint_link(
        organization=organization,
        customer=customer,
        purpose=LinkPurpose.TIME_APPROVAL,
        project=made["project"],
        approval_request=made["approval_request"],
        actor=staff(),
    )
    enable_portal_access(customer=customer, confirmed_email=customer.email, actor=staff())
    setup_email = mailbox.expect_email(to=customer.email, subject_contains="Set up")
    setup_link = mailbox.link_in(setup_email, SETUP_PATH)
    complete_setup(raw_token=setup_link.rsplit("/", 1)[-1], password=PASSWORD, actor=staff())
    base = live_server.url
    payment = customer.payments.get()
    return {
        "quote link": quote_link,
        "expired link": sharing_emails.link_url(document=invoice, raw_token=expired.raw_token),
        "unknown link": f"{base}/finance/i/not-a-real-token-at-all-0000000000000000",
        "project link": project_emails.link_url(link=share.link, raw_token=share.raw_token),
        "approval link": project_emails.link_url(link=approval.link, raw_token=approval.raw_token),
        "portal sign-in": f"{base}{PORTAL}login",
        "forgot password": f"{base}{PORTAL}forgot-password/",
        "dashboard": f"{base}{PORTAL}",
        "invoices": f"{base}{PORTAL}invoices/",
        "invoice": f"{base}{PORTAL}documents/{invoice.pk}/",
        "quote": f"{base}{PORTAL}documents/{quote.pk}/",
        "payments": f"{base}{PORTAL}payments/",
        "payment": f"{base}{PORTAL}payments/{payment.pk}/",
        "projects": f"{base}{PORTAL}projects/",
        "project": f"{base}{PORTAL}projects/{made['project'].pk}/",
        "approval": f"{base}{PORTAL}approvals/{made['approval_request'].pk}/",
        "settings": f"{base}{PORTAL}settings/",
    }


SIGNED_OUT = {
    "quote link",
    "expired link",
    "unknown link",
    "project link",
    "approval link",
    "portal sign-in",
    "forgot password",
}


def sign_in(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}{PORTAL}login")
    page.get_by_label("Email").fill("jane@bakery.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # Attached, not visible: on a phone the portal's navigation is folded behind Menu.
    expect(
        page.get_by_role("navigation", name="Customer portal", include_hidden=True)
    ).to_be_attached()


def sideways_overflow(page: Page) -> list[str]:
    """What a person would have to scroll sideways for: the page itself when its document is
    wider than the window, and any link, button or field outside the window (say, in a strip
    of navigation that scrolls on its own). A data table may scroll inside the page (WCAG
    allows it), so what is inside a table does not count."""
    return page.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          const outside = [];
          for (const el of document.body.querySelectorAll('a, button, input, select, textarea')) {
            const box = el.getBoundingClientRect();
            if (box.width === 0 || el.closest('table')) continue;
            if (box.left < -1 || box.right > width + 1) {
              outside.push('outside the window: ' + el.tagName.toLowerCase() + ' "'
                           + (el.textContent || el.name || '').trim().slice(0, 30) + '"');
            }
          }
          if (outside.length) return outside.slice(0, 8);
          if (document.documentElement.scrollWidth <= width) return [];
          const out = [];
          for (const el of document.body.querySelectorAll('*')) {
            const box = el.getBoundingClientRect();
            if (box.right > width + 1 && box.width > 0) {
              out.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
                       + ' right=' + Math.round(box.right));
            }
          }
          return out.length ? out.slice(0, 8) : ['document ' + document.documentElement.scrollWidth];
        }"""
    )


@pytest.mark.parametrize("window", ["320px", "200% zoom"])
def test_customer_pages_reflow_without_sideways_scrolling(
    customer_pages, live_server, new_context, screenshot, window
):
    options = PHONE if window == "320px" else ZOOM_200
    signed_out = new_context("reflow-out", **options).new_page()
    signed_in = new_context("reflow-in", **options).new_page()
    sign_in(signed_in, live_server.url)
    problems = {}
    for name, url in customer_pages.items():
        page = signed_out if name in SIGNED_OUT else signed_in
        response = page.goto(url)
        expected = {"unknown link": 404, "expired link": 410}.get(name, 200)
        assert response.status == expected, (name, response.status)
        screenshot(page, name.replace(" ", "-"))
        overflow = sideways_overflow(page)
        if overflow:
            problems[name] = overflow
    assert not problems, problems


def test_a_business_with_terms_needs_the_box_ticked_without_javascript(
    transactional_db, live_server, mailbox, new_context
):
    organization, customer = business_and_customer()
    set_quote_terms(organization=organization, text="A deposit of 20% is due.", actor=staff())
    quote = make_document(customer=customer, kind="quote")
    page = new_context("no-js-terms", java_script_enabled=False).new_page()
    page.goto(emailed_link(mailbox, quote))
    expect(page.get_by_text("A deposit of 20% is due.")).to_be_visible()
    page.get_by_label("Your full name").fill("Jane Baker")
    # The box is required (the server refuses Accept without it: test_acceptance_record).
    page.get_by_label("I agree to the terms").check()
    page.get_by_role("button", name="Accept").click()
    expect(page.locator(".messages")).to_contain_text(f"You have accepted quote {quote.number}")
    record = AcceptanceRecord.objects.get(document=quote)
    assert record.terms_version == 1 and record.signer_name == "Jane Baker"


def test_accept_and_decline_are_reachable_by_keyboard_in_order(customer_pages, new_context):
    page = new_context("keyboard", **PHONE).new_page()
    page.goto(customer_pages["quote link"])
    page.get_by_role("link", name="Download PDF").focus()
    order = []
    for _ in range(4):
        page.keyboard.press("Tab")
        order.append(
            page.evaluate(
                "() => { const el = document.activeElement;"
                " return (el.labels && el.labels[0] ? el.labels[0].textContent : el.textContent).trim(); }"
            )
        )
    assert order == ["Your full name", "Accept", "Reason (optional)", "Decline"], order
    # The focused button is on screen and inside the 320 px window.
    box = page.get_by_role("button", name="Decline").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 320


def test_customer_pages_have_no_serious_accessibility_violations(
    customer_pages, live_server, new_context
):
    need_axe()
    # axe-core is injected as a script, which the pages' own CSP rightly refuses.
    signed_out = new_context("axe-out", bypass_csp=True, **PHONE).new_page()
    signed_in = new_context("axe-in", bypass_csp=True, **PHONE).new_page()
    sign_in(signed_in, live_server.url)
    found = {}
    for name, url in customer_pages.items():
        page = signed_out if name in SIGNED_OUT else signed_in
        page.goto(url)
        violations = axe_violations(page)
        if violations:
            found[name] = violations
    assert not found, found


# --- Names in any script ------------------------------------------------------------------


def test_right_to_left_names_read_right_to_left_on_a_phone(
    transactional_db, live_server, mailbox, new_context, screenshot
):
    organization = OrganizationFactory(name="مخبز الياسمين", time_zone="UTC")
    customer = CustomerFactory(
        organization=organization, name="מאפיית השקד 🍰", email="shaked@bakery.test"
    )
    quote = make_document(customer=customer, kind="quote", notes="北京烘焙坊 · 谢谢")
    page = new_context("rtl", **PHONE).new_page()
    page.goto(emailed_link(mailbox, quote))
    screenshot(page, "rtl-names")
    assert sideways_overflow(page) == []
    name = page.locator(".sheet-parties .strong")
    expect(name).to_have_text("מאפיית השקד 🍰")
    # Set right to left: the text's own box ends at the right edge of its block.
    edges = name.evaluate(
        """el => { const range = document.createRange(); range.selectNodeContents(el);
                   return [getComputedStyle(el).direction, range.getBoundingClientRect().right,
                           el.getBoundingClientRect().right]; }"""
    )
    assert edges[0] == "rtl" and abs(edges[1] - edges[2]) < 2, edges
    assert page.locator(".business-name").evaluate("el => getComputedStyle(el).direction") == "rtl"
    expect(page.locator(".sheet-notes")).to_contain_text("北京烘焙坊 · 谢谢")
