"""Issue 15, items 5 and 6, as a person sees them in Chromium at 1280 px and 390x844:
- one time zone: the customer's link page and the staff pages show the business's times
  with its abbreviation; the time-zone setting is grouped by region with a filter box;
- activity reads like a timeline: "Viewed by customer · Chrome on macOS · 3 times, last
  …", "Sent to …", the IP and user agent one click away; portal sign-ins stay off the
  dashboard.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from solabooks.activity.models import Activity, ActorType, Verb
from solabooks.activity.services import Actor
from solabooks.sharing.services import send_document
from tests.browser.support import assert_accessible, make_staff_member, sign_in_staff
from tests.browser.test_every_customer_can_act import LINK_PATH
from tests.factories import CustomerFactory, OrganizationFactory, make_document

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}}
CHROME_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
PACIFIC = re.compile(r"\d\d:\d\d P[SD]T")


def pacific_business():
    organization = OrganizationFactory(
        name="Harbour Design",
        reply_to_email="billing@harbour.test",
        time_zone="America/Los_Angeles",
    )
    customer = CustomerFactory(
        organization=organization, name="Ana's Florist", email="ana@florist.test", currency="USD"
    )
    return organization, customer


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width}px wide"


def test_times_and_the_activity_timeline(
    transactional_db, live_server, mailbox, new_context, screenshot
):
    organization, customer = pacific_business()
    owner = make_staff_member(organization, email="olivia@harbour.test")
    invoice = make_document(customer=customer, kind="invoice")
    send_document(document=invoice, actor=Actor(type="staff", user=owner, label=owner.email))
    link = mailbox.link_in(mailbox.expect_email(to=customer.email), LINK_PATH)
    # A few portal sign-ins: the customer's business, not the dashboard's.
    for _ in range(5):
        Activity.objects.create(
            organization=organization,
            customer=customer,
            verb=Verb.PORTAL_SIGNED_IN,
            actor_type=ActorType.PORTAL,
            actor_label=customer.email,
            user_agent=CHROME_MAC,
        )

    # The customer opens the link three times, from Chrome on a Mac; the expiry is in PST/PDT.
    customer_page = new_context("customer", user_agent=CHROME_MAC, **PHONE).new_page()
    customer_page.goto(link)
    customer_page.reload()
    expiry = customer_page.get_by_text("This secure link works until")
    expect(expiry).to_have_text(re.compile(r"works until \d+ \w+ \d{4}, \d\d:\d\d P[SD]T\."))
    no_sideways_scroll(customer_page)
    screenshot(customer_page, "link-page-390")
    wide = new_context("customer-wide", user_agent=CHROME_MAC, bypass_csp=True).new_page()
    wide.goto(link)
    expect(wide.get_by_text("This secure link works until")).to_have_text(PACIFIC)
    screenshot(wide, "link-page-1280")
    assert_accessible(wide)

    for label, options in (("1280", {}), ("390", PHONE)):
        page = new_context(f"staff-{label}", bypass_csp=True, **options).new_page()
        sign_in_staff(page, live_server.url, owner)
        page.goto(f"{live_server.url}/finance/document/{invoice.pk}/")
        activity = page.locator("ul.activity")
        viewed = activity.locator("li", has_text="Viewed by customer").first
        expect(viewed).to_contain_text(
            re.compile(r"Viewed by customer · Chrome on macOS · 3 times, last \d\d:\d\d P[SD]T")
        )
        expect(activity).to_contain_text(f"Sent to {customer.email}")
        expect(activity).not_to_contain_text("Sent to customer to")
        expect(activity).to_contain_text(PACIFIC)
        # The evidence is there, but folded away until asked for.
        raw = viewed.locator("code").first
        expect(raw).to_be_hidden()
        viewed.get_by_text("IP address and user agent (3)").click()
        expect(raw).to_be_visible()
        expect(raw).to_have_text(CHROME_MAC)
        no_sideways_scroll(page)
        screenshot(page, f"document-activity-{label}")
        assert_accessible(page)

        page.goto(f"{live_server.url}/finance/")
        dashboard = page.locator("ul.activity")
        expect(dashboard).to_contain_text("Viewed by customer")
        expect(dashboard).not_to_contain_text("Signed in to the customer portal")
        no_sideways_scroll(page)
        screenshot(page, f"dashboard-{label}")
        assert_accessible(page)

        page.goto(f"{live_server.url}/finance/customers/{customer.pk}/activity/")
        expect(page.locator("ul.activity")).to_contain_text(
            re.compile(r"Signed in to the customer portal · .+ · Chrome on macOS · 5 times")
        )
        no_sideways_scroll(page)
        screenshot(page, f"customer-activity-{label}")
        assert_accessible(page)

        page.goto(f"{live_server.url}/finance/customers/{customer.pk}/portal-access/")
        links = page.locator(".customer-links-panel")
        expect(links).to_contain_text(PACIFIC)
        expect(links).not_to_contain_text("UTC")


def test_the_time_zone_setting_is_grouped_and_filterable(
    transactional_db, live_server, new_context, screenshot
):
    organization, _ = pacific_business()
    owner = make_staff_member(organization, email="olivia@harbour.test")

    # Without JavaScript: one group per region, nothing else needed.
    plain = new_context("no-js", java_script_enabled=False).new_page()
    sign_in_staff(plain, live_server.url, owner)
    plain.goto(f"{live_server.url}/finance/settings/")
    zone = plain.locator("#id_time_zone")
    assert zone.input_value() == "America/Los_Angeles"
    groups = zone.locator("optgroup").evaluate_all("gs => gs.map(g => g.label)")
    assert {"Africa", "America", "Asia", "Europe", "Pacific"} <= set(groups)
    expect(plain.get_by_label("Filter time zones")).to_have_count(0)

    for label, options in (("1280", {}), ("390", PHONE)):
        page = new_context(f"settings-{label}", bypass_csp=True, **options).new_page()
        sign_in_staff(page, live_server.url, owner)
        page.goto(f"{live_server.url}/finance/settings/")
        zone = page.locator("#id_time_zone")
        expect(zone.locator("option:checked")).to_have_text(
            re.compile(r"Los Angeles \(UTC−0[78]:00, P[SD]T\)")
        )
        search = page.get_by_label("Filter time zones")
        search.fill("paris")
        assert zone.input_value() == "Europe/Paris"
        visible = zone.locator("option:not([hidden])").evaluate_all("os => os.map(o => o.value)")
        assert visible == ["Europe/Paris"]
        expect(page.locator(".zone-filter-status")).to_contain_text("1 matching zone")
        search.press("Enter")  # takes the match; does not submit the form
        expect(zone).to_be_focused()
        expect(page.locator(".messages")).to_have_count(0)
        no_sideways_scroll(page)
        screenshot(page, f"settings-zone-filter-{label}")
        assert_accessible(page)
        if label == "1280":
            page.get_by_role("button", name="Save settings").click()
            expect(page.locator(".messages")).to_contain_text("Settings saved.")
            organization.refresh_from_db()
            assert organization.time_zone == "Europe/Paris"
            search = page.get_by_label("Filter time zones")
            search.fill("los angeles")
            page.get_by_role("button", name="Save settings").click()
            expect(page.locator(".messages")).to_contain_text("Settings saved.")
            organization.refresh_from_db()
            assert organization.time_zone == "America/Los_Angeles"
