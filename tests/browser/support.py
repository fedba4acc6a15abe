"""Helpers for the browser tests: signing staff in, reading PDFs, printing amounts."""

from decimal import Decimal
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.factories import TEST_PASSWORD, MembershipFactory, UserFactory


def make_staff_member(organization, *, email: str, role: str = "owner"):
    user = UserFactory(email=email, full_name="Olivia Owner")
    MembershipFactory(user=user, organization=organization, role=role)
    return user


def sign_in_staff(page: Page, base_url: str, user) -> None:
    """The staff login page, as anyone signs in."""
    page.goto(f"{base_url}/finance/login/")
    expect(page.get_by_role("heading", name="Sign in to Solabooks")).to_be_visible()
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # Attached, not visible: on a phone the navigation is folded behind Menu.
    expect(page.get_by_role("navigation", name="Main", include_hidden=True)).to_be_attached()


def pdf_text(path: str | Path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def money(amount: Decimal) -> str:
    """How pages and PDFs print an amount in a two-decimal currency: 1,234.50."""
    return f"{amount.quantize(Decimal('0.01')):,.2f}"
