"""The user guide "Send a Document to a Customer", walked through in a real browser.

../shared/seed/send-document-to-customer.md tells two ways to share a document; each test
below follows one of them step by step, as the guide tells it, with a staff member and a
customer in separate browser contexts, and every email read off a real SMTP server.
"""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Page, expect

from solabooks.activity.services import Actor
from solabooks.documents.payments import record_payment
from solabooks.documents.services import LineInput
from solabooks.sharing.services import LINK_LIFETIME
from tests.factories import CustomerFactory, OrganizationFactory, make_document

from .support import make_staff_member, money, pdf_text, sign_in_staff

pytestmark = pytest.mark.browser

LINK_PATH = r"/finance/(?:i|q)/[A-Za-z0-9_\-]+"
SETUP_PATH = r"/finance/customer-portal/setup/[A-Za-z0-9_\-]+"
SIGNER = "Jane Baker"
FIRST_PASSWORD = "violet-canyon-teapot-42"
SECOND_PASSWORD = "amber-falcon-orchard-31"


def rgb(hex_colour: str) -> str:
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


# --- Staff steps shared by the invoice and the quote ------------------------------------


def open_document(page: Page, *, list_name: str, number: str, heading: str) -> None:
    """Step 1 — Open the document: from its list in the main navigation."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name=list_name).click()
    page.get_by_role("link", name=number, exact=True).click()
    expect(page.get_by_role("heading", name=f"{heading} {number}")).to_be_visible()


def send_to_customer(
    page: Page, *, title: str, email: str, message: str | None = None, shot=None
) -> None:
    """Step 2 — Click Send to Customer (top right); the dialog confirms the customer's
    email and lets staff edit the message; click Send."""
    button = page.locator(".document-head").get_by_role("button", name="Send to Customer")
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box and box["x"] > page.viewport_size["width"] / 2, (
        "Send to Customer is not on the right"
    )
    button.click()
    dialog = page.get_by_role("dialog", name=title)
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("To", exact=True)).to_have_value(email)
    message_box = dialog.get_by_label("Message", exact=True)
    expect(message_box).to_be_editable()
    if message is not None:
        message_box.fill(message)
    if shot:
        shot(page, "send-dialog")
    dialog.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator(".messages")).to_contain_text(
        f"Sent to {email}. The link expires in 24 hours."
    )
    expect(dialog).to_be_hidden()


def expect_branded_document(page: Page, *, organization, number: str, total: Decimal) -> None:
    """What the customer sees: the document, with the business's name and colour."""
    header = page.locator("header.customer-header")
    expect(header.locator(".business-name")).to_have_text(organization.name)
    expect(header).to_have_css("border-top-color", rgb(organization.brand_colour))
    sheet = page.locator("article.document-sheet")
    expect(sheet.locator(".sheet-business-name")).to_have_text(organization.name)
    expect(sheet.locator(".sheet-number")).to_have_text(number)
    expect(sheet.locator("tr.grand").first).to_contain_text(f"{money(total)} USD")


def download_pdf(page: Page) -> str:
    """Click Download PDF; the text of the PDF that arrives."""
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.failure() is None
    assert download.suggested_filename.endswith(".pdf"), download.suggested_filename
    return pdf_text(download.path())


# --- Option A — Send a secure link ------------------------------------------------------


def test_option_a_send_a_secure_link(
    transactional_db, live_server, mailbox, new_context, screenshot
):
    organization = OrganizationFactory(
        name="Sunrise Studio", brand_colour="#0f766e", reply_to_email="hello@sunrise.test"
    )
    staff = make_staff_member(organization, email="olivia@sunrise.test")
    customer = CustomerFactory(
        organization=organization, name="Jane's Bakery", email="jane@bakery.test"
    )
    # 2 x 150.00 + 10 % tax, and 1 x 1,200.00 + 10 % tax.
    invoice = make_document(
        customer=customer,
        kind="invoice",
        lines=[LineInput("Brand workshop", Decimal("2"), Decimal("150.00"), Decimal("10"))],
    )
    invoice_total = Decimal("2") * Decimal("150.00") * Decimal("1.10")
    quote = make_document(
        customer=customer,
        kind="quote",
        lines=[LineInput("Website redesign", Decimal("1"), Decimal("1200.00"), Decimal("10"))],
    )
    quote_total = Decimal("1") * Decimal("1200.00") * Decimal("1.10")

    staff_page = new_context("staff").new_page()
    customer_page = new_context("customer").new_page()
    sign_in_staff(staff_page, live_server.url, staff)

    # Step 1 — Open the invoice.
    open_document(staff_page, list_name="Invoices", number=invoice.number, heading="Invoice")
    screenshot(staff_page, "staff-invoice")

    # Step 2 — Send to Customer; the dialog shows jane@bakery.test; edit the message; Send.
    note = "Hi Jane, thanks for the workshop. Here is your invoice."
    send_to_customer(
        staff_page,
        title=f"Send invoice {invoice.number}",
        email=customer.email,
        message=note,
        shot=screenshot,
    )
    screenshot(staff_page, "staff-invoice-sent")

    # Behind the scenes: the email arrives, with the message as edited and a /finance/i/ link.
    email = mailbox.expect_email(to=customer.email, subject_contains=invoice.number)
    assert str(email.message["Subject"]) == f"Invoice {invoice.number} from Sunrise Studio"
    assert "Sunrise Studio via Solabooks" in str(email.message["From"])
    assert note in email.part("text/plain")
    invoice_link = mailbox.link_in(email, LINK_PATH)
    assert "/finance/i/" in invoice_link

    # What the customer sees: click → the document with the business's branding.
    customer_page.goto(invoice_link)
    expect_branded_document(
        customer_page, organization=organization, number=invoice.number, total=invoice_total
    )
    screenshot(customer_page, "customer-invoice-link")

    # Download PDF.
    text = download_pdf(customer_page)
    assert invoice.number in text
    assert money(invoice_total) in text

    # The same for a quote: open it, Send to Customer (default message), Send.
    open_document(staff_page, list_name="Quotes", number=quote.number, heading="Quote")
    send_to_customer(staff_page, title=f"Send quote {quote.number}", email=customer.email)
    email = mailbox.expect_email(to=customer.email, subject_contains=quote.number)
    quote_link = mailbox.link_in(email, LINK_PATH)
    assert "/finance/q/" in quote_link  # the guide's public quote link, /q/{token}

    customer_page.goto(quote_link)
    expect_branded_document(
        customer_page, organization=organization, number=quote.number, total=quote_total
    )
    text = download_pdf(customer_page)
    assert quote.number in text
    assert money(quote_total) in text

    # For quotes: Accept / Decline. Accept, signed with the customer's name.
    decision = customer_page.get_by_role("region", name="Your decision")
    expect(decision.get_by_role("button", name="Decline")).to_be_visible()
    decision.get_by_label("Your full name").fill(SIGNER)
    screenshot(customer_page, "customer-quote-before-accept")
    decision.get_by_role("button", name="Accept").click()
    expect(customer_page.locator(".messages")).to_contain_text(
        f"Thank you. You have accepted quote {quote.number}."
    )
    expect(decision).to_contain_text("This quote has been accepted.")
    expect(decision.get_by_role("button", name="Accept")).to_have_count(0)
    screenshot(customer_page, "customer-quote-accepted")

    # The staff document page: Accepted, and Activity shows who accepted it, from where.
    staff_page.reload()
    expect(staff_page.locator(".document-head .badge").first).to_have_text("Accepted")
    acceptance = staff_page.locator("section.activity-section li").filter(has_text="Quote accepted")
    expect(acceptance).to_have_count(1)
    expect(acceptance).to_contain_text(f"by {SIGNER}")
    expect(acceptance).to_contain_text("Customer via secure link")
    expect(
        staff_page.locator("section.activity-section li").filter(has_text="Viewed by customer")
    ).not_to_have_count(0)
    acceptance.scroll_into_view_if_needed()
    screenshot(staff_page, "staff-quote-activity")

    # If the link expires: more than 24 hours later (the whole process, live server too)...
    later = timezone.now() + LINK_LIFETIME + datetime.timedelta(minutes=5)
    with time_machine.travel(later, tick=True):
        response = customer_page.goto(quote_link)
        assert response is not None and response.status == 410
        expect(customer_page.get_by_role("heading", name="This link has expired")).to_be_visible()
        expect(customer_page.locator(".customer-header .business-name")).to_have_text(
            organization.name
        )
        screenshot(customer_page, "customer-link-expired")

        # ...the customer clicks Request access: a fresh 24-hour link goes to their email.
        customer_page.get_by_role("button", name="Request access").click()
        expect(customer_page.get_by_role("heading", name="Check your email")).to_be_visible()
        expect(customer_page.locator("main")).to_contain_text(
            "a new link has been emailed to the address on file"
        )
        screenshot(customer_page, "customer-access-requested")

        email = mailbox.expect_email(to=customer.email, subject_contains="A new link")
        fresh_link = mailbox.link_in(email, LINK_PATH)
        assert fresh_link != quote_link
        assert "/finance/q/" in fresh_link

        # The fresh link opens the document.
        response = customer_page.goto(fresh_link)
        assert response is not None and response.status == 200
        expect_branded_document(
            customer_page, organization=organization, number=quote.number, total=quote_total
        )
        expect(customer_page.get_by_role("region", name="Your decision")).to_contain_text(
            "This quote has been accepted."
        )
        screenshot(customer_page, "customer-fresh-link")


# --- Option B — Give the customer a portal account --------------------------------------


def test_option_b_give_the_customer_a_portal_account(
    transactional_db, live_server, mailbox, new_context, screenshot
):
    organization = OrganizationFactory(
        name="Northwind Traders", brand_colour="#7c3aed", reply_to_email="ar@northwind.test"
    )
    staff = make_staff_member(organization, email="olivia@northwind.test")
    customer = CustomerFactory(
        organization=organization, name="Harbour Cafe", email="accounts@harbourcafe.test"
    )
    system = Actor.system()
    today = timezone.localdate()

    def invoice(description, quantity, unit_price, tax_rate="0", state="sent"):
        line = LineInput(description, Decimal(quantity), Decimal(unit_price), Decimal(tax_rate))
        return make_document(customer=customer, kind="invoice", lines=[line], state=state)

    service = invoice("Espresso machine service", "2", "150.00", "10")  # 330.00, open
    beans = invoice("Coffee beans, monthly", "4", "250.00")  # 1,000.00, 400.00 paid
    frother = invoice("Milk frother", "1", "80.00")  # 80.00, paid in full
    draft = invoice("Next month's beans", "4", "250.00", state=None)  # a draft: never sent
    for paid_invoice, amount in ((beans, Decimal("400.00")), (frother, Decimal("80.00"))):
        record_payment(
            organization=organization,
            customer=customer,
            actor=system,
            date=today,
            amount=amount,
            method="bank_transfer",
            allocations=[(paid_invoice, amount)],
        )
    # The open balance: what is still due on sent and part-paid invoices.
    expected_open = (Decimal("2") * Decimal("150.00") * Decimal("1.10")) + (
        Decimal("4") * Decimal("250.00") - Decimal("400.00")
    )
    assert expected_open == Decimal("930.00")
    beans_due = Decimal("600.00")

    staff_page = new_context("staff").new_page()
    customer_page = new_context("customer").new_page()
    sign_in_staff(staff_page, live_server.url, staff)

    # Step 1 — Customers > [Customer] > Portal Access tab > Enable Portal Access, confirming
    # the email the setup link goes to.
    staff_page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    staff_page.get_by_role("link", name=customer.name, exact=True).click()
    expect(staff_page.get_by_role("heading", name=customer.name, exact=True)).to_be_visible()
    staff_page.get_by_role("navigation", name="Customer").get_by_role(
        "link", name="Portal Access"
    ).click()
    panel = staff_page.locator(".portal-access")
    expect(panel).to_contain_text("Not enabled")
    expect(panel).to_contain_text(customer.email)
    panel.get_by_label("Type the email to confirm it").fill(customer.email)
    screenshot(staff_page, "staff-portal-access-enable")
    panel.get_by_role("button", name="Enable Portal Access").click()
    expect(staff_page.locator(".messages")).to_contain_text(
        f"A 60-minute setup link was emailed to {customer.email}."
    )
    expect(panel.locator(".badge").first).to_have_text("Invited")
    screenshot(staff_page, "staff-portal-access-invited")

    # Step 2 — The customer gets an email with a 60-minute setup link.
    email = mailbox.expect_email(to=customer.email, subject_contains="customer portal account")
    assert str(email.message["Subject"]) == "Set up your Northwind Traders customer portal account"
    assert "60 minutes" in email.part("text/plain")
    setup_link = mailbox.link_in(email, SETUP_PATH)

    # They click, choose a password, and are signed in: the Dashboard.
    customer_page.goto(setup_link)
    expect(customer_page.get_by_role("heading", name="Set up your portal account")).to_be_visible()
    customer_page.get_by_label("New password", exact=True).fill(FIRST_PASSWORD)
    customer_page.get_by_label("Repeat the new password", exact=True).fill(FIRST_PASSWORD)
    screenshot(customer_page, "customer-setup")
    customer_page.get_by_role("button", name="Set password and sign in").click()
    portal_nav = customer_page.get_by_role("navigation", name="Customer portal")
    expect(customer_page.get_by_role("heading", name=f"Welcome, {customer.name}")).to_be_visible()
    expect(portal_nav.get_by_role("link", name="Dashboard")).to_have_attribute(
        "aria-current", "page"
    )
    expect(customer_page.locator(".messages")).to_contain_text("Your account is set up.")

    # Dashboard with the open balance: the two open invoices, less what was paid on them.
    balance = customer_page.locator(".balances .stat").filter(has_text="Open balance (USD)")
    expect(balance.locator(".value")).to_have_text(f"{money(expected_open)} USD")
    expect(balance).to_contain_text("2 open invoices")
    expect(customer_page.locator(".customer-header .business-name")).to_have_text(organization.name)
    screenshot(customer_page, "customer-dashboard")

    # Invoices: the full list scoped to their account (no draft), then one invoice.
    portal_nav.get_by_role("link", name="Invoices").click()
    expect(customer_page.get_by_role("heading", name="Invoices")).to_be_visible()
    rows = customer_page.locator("table.list tbody tr")
    expect(rows).to_have_count(3)
    for number in (service.number, beans.number, frother.number):
        expect(customer_page.get_by_role("link", name=number, exact=True)).to_be_visible()
    expect(customer_page.get_by_role("link", name=draft.number, exact=True)).to_have_count(0)
    screenshot(customer_page, "customer-invoices")

    customer_page.get_by_role("link", name=beans.number, exact=True).click()
    sheet = customer_page.locator("article.document-sheet")
    expect(sheet.locator(".sheet-number")).to_have_text(beans.number)
    expect(sheet.locator("tr.grand").filter(has_text="Balance due")).to_contain_text(
        f"{money(beans_due)} USD"
    )
    screenshot(customer_page, "customer-invoice")
    text = download_pdf(customer_page)
    assert beans.number in text
    assert money(beans_due) in text

    # Settings — change password.
    portal_nav.get_by_role("link", name="Settings").click()
    expect(customer_page.get_by_role("heading", name="Settings")).to_be_visible()
    customer_page.get_by_label("Current password", exact=True).fill(FIRST_PASSWORD)
    customer_page.get_by_label("New password", exact=True).fill(SECOND_PASSWORD)
    customer_page.get_by_label("Repeat the new password", exact=True).fill(SECOND_PASSWORD)
    customer_page.get_by_role("button", name="Change password").click()
    expect(customer_page.locator(".messages")).to_contain_text("Your password was changed.")
    screenshot(customer_page, "customer-password-changed")

    # From then on they sign in at /finance/customer-portal/login, with the new password.
    customer_page.get_by_role("button", name="Sign out").click()
    expect(customer_page).to_have_url(f"{live_server.url}/finance/customer-portal/login")
    customer_page.get_by_label("Email", exact=True).fill(customer.email)
    customer_page.get_by_label("Password", exact=True).fill(SECOND_PASSWORD)
    customer_page.get_by_role("button", name="Sign in").click()
    expect(customer_page.get_by_role("heading", name=f"Welcome, {customer.name}")).to_be_visible()

    # Disabling the account: Customers > [Customer] > Portal Access > Disable.
    staff_page.reload()
    expect(panel.locator(".badge").first).to_have_text("Active")
    # It asks first, in a dialog of the page that says what will happen.
    panel.get_by_role("button", name="Disable").click()
    dialog = staff_page.get_by_role("dialog", name=f"Disable portal access for {customer.name}?")
    expect(dialog).to_contain_text("their open sessions end on their next request")
    dialog.get_by_role("button", name="Disable access").click()
    expect(staff_page.locator(".messages")).to_contain_text(
        f"Portal access for {customer.name} is off. Open sessions end on their next request."
    )
    expect(panel.locator(".badge").first).to_have_text("Disabled")
    screenshot(staff_page, "staff-portal-access-disabled")

    # Existing sessions invalidate on next request: the customer's next click lands on the
    # login page, which says why.
    portal_nav.get_by_role("link", name="Invoices").click()
    expect(customer_page).to_have_url(f"{live_server.url}/finance/customer-portal/login")
    expect(
        customer_page.get_by_role("heading", name="Sign in to your customer portal")
    ).to_be_visible()
    expect(customer_page.locator(".messages")).to_contain_text(
        f"Your access to {organization.name} has been turned off. "
        f"Contact {organization.name} if you think this is a mistake."
    )
    screenshot(customer_page, "customer-signed-out-after-disable")
