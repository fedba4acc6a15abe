"""Issue 15, item 10: a staff member who forgot their password gets a new one by email, in
Chromium, at desktop and phone width; the old password stops working, the link works once,
and the answer never says whether an email has an account."""

import pytest
from playwright.sync_api import expect

from tests.factories import TEST_PASSWORD, OrganizationFactory

from .support import assert_accessible, make_staff_member

pytestmark = pytest.mark.browser

NEW_PASSWORD = "violet-harbour-lantern-42"


@pytest.mark.parametrize("width,height", [(1280, 900), (390, 844)])
def test_a_staff_member_resets_a_forgotten_password(
    transactional_db, live_server, mailbox, new_context, screenshot, width, height
):
    organization = OrganizationFactory(name="Sunrise Studio")
    staff = make_staff_member(organization, email="olivia@sunrise.test")
    page = new_context("staff", viewport={"width": width, "height": height}).new_page()

    page.goto(f"{live_server.url}/finance/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    assert_accessible(page)
    screenshot(page, f"forgot-{width}")
    page.get_by_label("Email").fill(staff.email)
    page.get_by_role("button", name="Email me a link").click()
    answer = page.locator("main").inner_text()
    # The same answer for an address without an account.
    other = new_context("stranger").new_page()
    other.goto(f"{live_server.url}/finance/password/forgot/")
    other.get_by_label("Email").fill("nobody@sunrise.test")
    other.get_by_role("button", name="Email me a link").click()
    assert other.locator("main").inner_text() == answer

    received = mailbox.expect_email(to=staff.email)
    link = mailbox.link_in(received, r"/finance/password/reset/[A-Za-z0-9_-]+")
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    assert_accessible(page)
    screenshot(page, f"choose-{width}")
    page.locator("input[name=new_password1]").fill(NEW_PASSWORD)
    page.locator("input[name=new_password2]").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save password").click()
    expect(page.get_by_text("Your password was changed.")).to_be_visible()

    # The link worked once.
    again = new_context("replay").new_page()
    response = again.goto(link)
    assert response is not None and response.status == 410

    # The old password no longer signs in; the new one does.
    fresh = new_context("fresh").new_page()
    fresh.goto(f"{live_server.url}/finance/login/")
    fresh.get_by_label("Email").fill(staff.email)
    fresh.get_by_label("Password").fill(TEST_PASSWORD)
    fresh.get_by_role("button", name="Sign in").click()
    expect(fresh.get_by_role("heading", name="Sign in to Solabooks")).to_be_visible()
    fresh.get_by_label("Password").fill(NEW_PASSWORD)
    fresh.get_by_role("button", name="Sign in").click()
    expect(fresh.get_by_role("navigation", name="Main", include_hidden=True)).to_be_attached()
