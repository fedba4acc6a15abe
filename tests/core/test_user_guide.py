"""docs/guide/: the user guides name what the product really shows. Every bold label is a
button, menu, tab or heading found in the product's templates or code, and every
/finance/ address resolves; a renamed button makes this fail until the guide follows."""

import re
from pathlib import Path

import pytest
from django.urls import Resolver404, resolve

ROOT = Path(__file__).resolve().parents[2]
GUIDES = sorted((ROOT / "docs" / "guide").glob("*.md"))
# Bold words that are emphasis, not something on a screen.
NOT_LABELS = {"owners", "managers", "accountants", "24 hours", "60 minutes", "credit note"}


def product_text() -> str:
    files = [*ROOT.glob("solabooks/**/*.html"), *ROOT.glob("solabooks/**/*.py")]
    # Templates escape "&" and may break a label over lines: compare on single spaces.
    text = "\n".join(path.read_text() for path in files).replace("&amp;", "&")
    return re.sub(r"\s+", " ", text)


def labels(guide: Path) -> set[str]:
    found = set()
    for bold in re.findall(r"\*\*(.+?)\*\*", guide.read_text()):
        for part in bold.split(" → "):
            part = part.strip().removesuffix("…").strip()
            if part and part not in NOT_LABELS:
                found.add(part)
    return found


def test_there_are_guides_for_staff_and_customers():
    assert {guide.name for guide in GUIDES} >= {"staff.md", "customers.md"}


@pytest.mark.parametrize("guide", GUIDES, ids=lambda guide: guide.name)
def test_every_bold_label_is_in_the_product(guide):
    text = product_text()
    missing = sorted(label for label in labels(guide) if label not in text)
    assert not missing, f"{guide.name} names what the product does not show: {missing}"


@pytest.mark.parametrize("guide", GUIDES, ids=lambda guide: guide.name)
def test_every_address_resolves(guide):
    for path in re.findall(r"`(/finance/[^`<\s]*)`", guide.read_text()):
        try:
            resolve(path)
        except Resolver404:
            pytest.fail(f"{guide.name}: {path} is not an address of the product")
