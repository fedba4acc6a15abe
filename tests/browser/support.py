"""Helpers for the browser tests: signing staff in, reading PDFs, printing amounts."""

import os
from decimal import Decimal
from pathlib import Path

import pytest
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


# --- Accessibility: axe-core (npm, pinned in tests/browser/axe; scripts/test installs it) ---

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"


def need_axe() -> None:
    """Skip without axe-core locally; in CI (CI=true) its absence is a failure."""
    if not AXE.exists():
        message = f"{AXE} is missing: scripts/test installs it (npm ci in tests/browser/axe)"
        if os.environ.get("CI") in ("true", "1"):
            pytest.fail(message)
        pytest.skip(message)


def axe_violations(page: Page) -> list[dict]:
    """Serious and critical axe-core violations of the page as it is now."""
    need_axe()
    # Evaluated through the DevTools protocol, which the page's CSP (no inline scripts)
    # does not govern, so the page under test keeps its real CSP.
    page.evaluate(AXE.read_text() + "\n;undefined")
    return page.evaluate(
        """async () => {
          const result = await axe.run(document, {resultTypes: ['violations']});
          return result.violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => ({id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }"""
    )


def assert_accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert not violations, violations
