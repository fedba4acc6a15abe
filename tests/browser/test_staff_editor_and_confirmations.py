"""The staff side of issue 15 in a real browser: the invoice editor's live totals (which
must be the numbers the server saves, to the minor unit), adding and removing rows, the
editor without JavaScript, Download PDF and Print on the document page, and the dialogs
destructive buttons open first (keyboard: Escape cancels and focus goes back)."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from solabooks.activity.services import Actor
from solabooks.documents.models import Document
from solabooks.documents.services import LineInput
from solabooks.portal.models import PortalAccess
from solabooks.portal.services import enable_portal_access
from solabooks.tenancy.models import Membership
from tests.factories import CustomerFactory, OrganizationFactory, make_document

from .support import assert_accessible, make_staff_member, sign_in_staff

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}}
WINDOWS = {"1280": DESKTOP, "390": PHONE}


@pytest.fixture
def business(transactional_db):
    organization = OrganizationFactory(name="Northwind Studio", time_zone="UTC")
    owner = make_staff_member(organization, email="olivia@northwind.test")
    return organization, owner


def staff_page(new_context, live_server, owner, *, label: str, **options) -> Page:
    page = new_context(label, **options).new_page()
    sign_in_staff(page, live_server.url, owner)
    return page


def fill_line(page: Page, index: int, description: str, quantity: str, price: str, rate: str):
    row = page.locator("#line-formset tbody tr[data-line-row]").nth(index)
    row.get_by_label("Description").fill(description)
    row.get_by_label("Quantity").fill(quantity)
    row.get_by_label("Unit price").fill(price)
    row.get_by_label("Tax %").fill(rate)
    return row


def shown_totals(page: Page) -> tuple[str, str, str]:
    return tuple(
        page.locator(f"[data-total='{name}']").inner_text() for name in ("subtotal", "tax", "total")
    )


def printed(amount: Decimal, places: int) -> str:
    return f"{amount:,.{places}f}"


# (currency, minor unit, lines typed, line amounts, subtotal, tax, total). The USD lines
# put two 20% lines whose own taxes round up (2.006 each) in one group: 4.01, not 4.02.
CASES = {
    "USD mixed tax": (
        "USD",
        2,
        [("Design", "1", "10.03", "20"), ("Review", "0.5", "20.06", "20"),
         ("Books", "2", "12.345", "5.5")],
        ["10.03", "10.03", "24.69"],
        "44.75", "5.37", "50.12",
    ),
    "JPY no decimals": (
        "JPY",
        0,
        [("Design", "3", "333.5", "10"), ("Tea", "1", "99", "8"), ("Stamps", "2", "0.25", "10")],
        ["1,001", "99", "1"],
        "1,101", "108", "1,209",
    ),
}  # fmt: skip


@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("case", CASES)
def test_totals_update_while_typing_and_match_what_the_server_saves(
    business, live_server, new_context, screenshot, case, window
):
    organization, owner = business
    currency, places, lines, amounts, subtotal, tax, total = CASES[case]
    customer = CustomerFactory(organization=organization, name="Jane's Bakery", currency=currency)
    page = staff_page(new_context, live_server, owner, label="editor", **WINDOWS[window])
    page.goto(
        f"{live_server.url}{reverse('document-create', args=['invoice'])}?customer={customer.pk}"
    )
    first = page.locator("#line-formset tbody tr[data-line-row]").first
    expect(first.get_by_label("Quantity")).to_have_value("1")  # one unit unless told
    for index, line in enumerate(lines):
        if index >= page.locator("#line-formset tbody tr[data-line-row]").count():
            page.get_by_role("button", name="Add line").click()
        row = fill_line(page, index, *line)
        expect(row.locator("[data-line-amount]")).to_have_text(amounts[index])
    assert shown_totals(page) == (subtotal, tax, total)
    expect(page.locator("[data-total-currency]")).to_have_text(currency)

    # A row added by mistake counts at once, and leaves without a reload.
    page.get_by_role("button", name="Add line").click()
    mistake = fill_line(page, len(lines), "Mistake", "5", "100", "0")
    assert shown_totals(page)[0] != subtotal
    screenshot(page, f"editor-{currency}-{window}")
    mistake.get_by_role("button", name="Remove line").click()
    expect(mistake).to_be_hidden()
    assert shown_totals(page) == (subtotal, tax, total)
    assert_accessible(page)

    page.get_by_role("button", name="Create invoice").click()
    expect(page.get_by_role("heading", name="Invoice INV-0001")).to_be_visible()
    document = Document.objects.for_org(organization).get()
    assert [line.description for line in document.lines.all()] == [line[0] for line in lines]
    saved = [printed(line.line_subtotal, places) for line in document.lines.all()]
    assert saved == amounts
    assert (
        printed(document.subtotal, places),
        printed(document.tax_total, places),
        printed(document.total, places),
    ) == (subtotal, tax, total)

    # The edit page shows the same totals, from the server and after the script ran.
    page.goto(f"{live_server.url}{reverse('document-edit', args=[document.pk])}")
    assert shown_totals(page) == (subtotal, tax, total)


def test_the_editor_works_without_javascript(business, live_server, new_context, screenshot):
    organization, owner = business
    customer = CustomerFactory(organization=organization, name="Jane's Bakery", currency="USD")
    page = staff_page(new_context, live_server, owner, label="no-js", java_script_enabled=False)
    page.goto(
        f"{live_server.url}{reverse('document-create', args=['invoice'])}?customer={customer.pk}"
    )
    rows = page.locator("#line-formset tbody tr[data-line-row]")
    assert rows.count() == 3  # blank rows to fill; Add line needs the script
    expect(page.get_by_role("button", name="Add line")).to_be_hidden()
    fill_line(page, 0, "Design", "1", "10.03", "20")
    fill_line(page, 1, "Review", "0.5", "20.06", "20")
    page.get_by_role("button", name="Create invoice").click()
    expect(page.get_by_role("heading", name="Invoice INV-0001")).to_be_visible()
    document = Document.objects.for_org(organization).get()
    assert (document.subtotal, document.tax_total) == (Decimal("20.06"), Decimal("4.01"))

    # Editing: the server shows the totals; ticking Remove takes a line out on save.
    page.goto(f"{live_server.url}{reverse('document-edit', args=[document.pk])}")
    assert shown_totals(page) == ("20.06", "4.01", "24.07")
    rows.nth(1).get_by_label("Remove").check()
    screenshot(page, "editor-no-js")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".messages")).to_contain_text("INV-0001 saved.")
    document.refresh_from_db()
    assert [line.description for line in document.lines.all()] == ["Design"]
    assert document.total == Decimal("12.04")


@pytest.mark.parametrize("window", WINDOWS)
def test_the_document_page_downloads_and_prints_the_customers_pdf(
    business, live_server, new_context, screenshot, window
):
    organization, owner = business
    customer = CustomerFactory(organization=organization, name="Jane's Bakery")
    invoice = make_document(customer=customer, state="sent")
    page = staff_page(new_context, live_server, owner, label="pdf", **WINDOWS[window])
    page.goto(f"{live_server.url}{reverse('document-detail', args=[invoice.pk])}")
    expect(page.get_by_role("link", name="Preview as customer")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    downloaded = Path(download.value.path()).read_bytes()
    assert download.value.suggested_filename == f"{invoice.number}.pdf"
    printing = page.get_by_role("link", name="Print (opens the PDF in a new tab)")
    assert printing.get_attribute("target") == "_blank"
    answer = page.request.get(live_server.url + printing.get_attribute("href"))
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"].startswith("inline;")
    assert answer.body() == downloaded  # the same cached file the customer gets
    screenshot(page, f"document-page-{window}")


def open_dialog_by_keyboard(page: Page, name: str):
    button = page.get_by_role("button", name=name, exact=True)
    button.focus()
    page.keyboard.press("Enter")
    return button


@pytest.mark.parametrize("window", WINDOWS)
def test_void_asks_in_a_dialog_that_escape_cancels(
    business, live_server, new_context, screenshot, window
):
    organization, owner = business
    customer = CustomerFactory(organization=organization, name="Jane's Bakery")
    invoice = make_document(customer=customer, state="sent")
    page = staff_page(new_context, live_server, owner, label="void", **WINDOWS[window])
    page.on("dialog", lambda d: pytest.fail(f"a browser confirm() appeared: {d.message}"))
    page.goto(f"{live_server.url}{reverse('document-detail', args=[invoice.pk])}")

    void = open_dialog_by_keyboard(page, "Void")
    dialog = page.get_by_role("dialog", name=f"Void invoice {invoice.number}?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Credit note CN-0001 will be issued to Jane's Bakery")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    screenshot(page, f"void-dialog-{window}")
    assert_accessible(page)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(void).to_be_focused()
    invoice.refresh_from_db()
    assert invoice.state == "sent"

    open_dialog_by_keyboard(page, "Void")
    dialog.get_by_role("button", name="Cancel").press("Enter")
    expect(dialog).to_be_hidden()
    expect(void).to_be_focused()

    open_dialog_by_keyboard(page, "Void")
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Void invoice")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text(
        f"{invoice.number} is now void. Credit note CN-0001 cancels it."
    )
    invoice.refresh_from_db()
    assert invoice.state == "void"


def test_without_javascript_destructive_buttons_ask_on_a_page(
    business, live_server, new_context, screenshot
):
    organization, owner = business
    customer = CustomerFactory(organization=organization, name="Jane's Bakery")
    invoice = make_document(customer=customer, state="sent")
    page = staff_page(new_context, live_server, owner, label="no-js", java_script_enabled=False)
    detail = f"{live_server.url}{reverse('document-detail', args=[invoice.pk])}"
    page.goto(detail)
    page.get_by_role("button", name="Void", exact=True).click()
    expect(page.get_by_role("heading", name=f"Void invoice {invoice.number}?")).to_be_visible()
    expect(page.locator(".confirm-page")).to_contain_text("Credit note CN-0001 will be issued")
    screenshot(page, "void-confirm-page")
    page.get_by_role("link", name="Cancel").click()
    expect(page).to_have_url(detail)
    invoice.refresh_from_db()
    assert invoice.state == "sent"
    page.get_by_role("button", name="Void", exact=True).click()
    page.get_by_role("button", name="Void invoice").click()
    expect(page.locator(".messages")).to_contain_text(f"{invoice.number} is now void.")

    # Disable portal access, and removing a staff member, ask the same way.
    enable_portal_access(customer=customer, confirmed_email=customer.email, actor=Actor.system())
    page.goto(f"{live_server.url}{reverse('customer-portal-access', args=[customer.pk])}")
    page.get_by_role("button", name="Disable", exact=True).click()
    expect(
        page.get_by_role("heading", name=f"Disable portal access for {customer.name}?")
    ).to_be_visible()
    page.get_by_role("button", name="Disable access").click()
    expect(page.locator(".messages")).to_contain_text(f"Portal access for {customer.name} is off.")
    assert PortalAccess.objects.for_customer(customer).get().state == "disabled"

    colleague = make_staff_member(organization, email="sam@northwind.test", role="manager")
    page.goto(f"{live_server.url}{reverse('member-list')}")
    page.get_by_role("row", name=colleague.email).get_by_role("button", name="Remove").click()
    expect(page.get_by_role("heading", name=f"Remove {colleague.email} from")).to_be_visible()
    page.get_by_role("button", name="Remove member").click()
    expect(page.locator(".messages")).to_contain_text(f"{colleague.email} removed")
    assert not Membership.objects.filter(user=colleague).exists()


def test_disable_portal_access_asks_in_a_dialog(business, live_server, new_context, screenshot):
    organization, owner = business
    customer = CustomerFactory(organization=organization, name="Jane's Bakery")
    enable_portal_access(customer=customer, confirmed_email=customer.email, actor=Actor.system())
    page = staff_page(new_context, live_server, owner, label="disable", **PHONE)
    page.goto(f"{live_server.url}{reverse('customer-portal-access', args=[customer.pk])}")
    disable = open_dialog_by_keyboard(page, "Disable")
    dialog = page.get_by_role("dialog", name=f"Disable portal access for {customer.name}?")
    expect(dialog).to_contain_text("their open sessions end on their next request")
    screenshot(page, "disable-dialog-390")
    assert_accessible(page)
    page.keyboard.press("Escape")
    expect(disable).to_be_focused()
    assert PortalAccess.objects.for_customer(customer).get().state != "disabled"
    open_dialog_by_keyboard(page, "Disable")
    dialog.get_by_role("button", name="Disable access").click()
    expect(page.locator(".messages")).to_contain_text(f"Portal access for {customer.name} is off.")


def test_reassign_and_revoke_ask_first_too(business, live_server, new_context):
    organization, owner = business
    customer = CustomerFactory(organization=organization, name="Jane's Bakery")
    other = CustomerFactory(organization=organization, name="Bob's Garage")
    invoice = make_document(
        customer=customer, lines=[LineInput("Design", Decimal("1"), Decimal("10"))]
    )
    page = staff_page(new_context, live_server, owner, label="reassign")
    page.goto(f"{live_server.url}{reverse('document-detail', args=[invoice.pk])}")
    page.get_by_text("Re-assign", exact=True).first.click()
    page.get_by_label("New customer").select_option(label=other.name)
    page.locator("form[action$='/reassign/'] button").click()
    dialog = page.get_by_role("dialog", name=f"Re-assign {invoice.number}?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Re-assign").click()
    expect(page.locator(".messages")).to_contain_text(f"now belongs to {other.name}")
