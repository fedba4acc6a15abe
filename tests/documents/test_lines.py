"""documents.lines: tax per category and rate (rounded once per group, as EN 16931 does),
and the rules a line's tax category, exemption reason and unit follow."""

from decimal import Decimal as D

import pytest

from solabooks.core.errors import DomainError
from solabooks.documents.lines import LineInput, tax_breakdown
from tests.factories import CustomerFactory, make_document

pytestmark = pytest.mark.django_db


def _invoice(*lines, currency="EUR"):
    customer = CustomerFactory(currency=currency)
    return make_document(customer=customer, currency=currency, lines=list(lines))


def test_tax_is_rounded_once_per_rate_not_per_line():
    # Each line: 0.33 net, 0.066 tax. Per line that rounds to 0.07 (0.21 in all); the
    # group's 0.99 × 20% = 0.198 rounds to 0.20, which is what the invoice must say.
    doc = _invoice(*[LineInput("Third", D("1"), D("0.333"), D("20")) for _ in range(3)])
    assert (doc.subtotal, doc.tax_total, doc.total) == (D("0.99"), D("0.20"), D("1.19"))
    assert sum(line.line_tax for line in doc.lines.all()) == D("0.21")


def test_breakdown_has_one_row_per_category_and_rate_and_adds_up_to_the_tax():
    doc = _invoice(
        LineInput("A", D("2"), D("10.05"), D("20")),
        LineInput("B", D("1"), D("99.99"), D("5.5")),
        LineInput("C", D("1"), D("7"), D("20")),
        LineInput("D", D("1"), D("4"), D("0")),
        LineInput("E", D("1"), D("50"), D("0"), "E", "Article 261 of the tax code"),
    )
    groups = tax_breakdown(doc.lines.all(), doc.currency)
    assert [(g.category, g.rate, g.taxable_amount, g.tax) for g in groups] == [
        ("S", D("20"), D("27.10"), D("5.42")),
        ("S", D("5.5"), D("99.99"), D("5.50")),
        ("Z", D("0"), D("4.00"), D("0.00")),
        ("E", D("0"), D("50.00"), D("0.00")),
    ]
    assert groups[3].exemption_reason == "Article 261 of the tax code"
    assert sum(g.tax for g in groups) == doc.tax_total == D("10.92")
    assert sum(g.taxable_amount for g in groups) == doc.subtotal


def test_jpy_tax_has_no_minor_unit():
    doc = _invoice(
        *[LineInput("Item", D("1"), D("333"), D("10")) for _ in range(3)], currency="JPY"
    )
    assert (doc.subtotal, doc.tax_total) == (D("999"), D("100"))


def test_category_defaults_from_the_rate_and_units_default_to_one():
    doc = _invoice(
        LineInput("Taxed", D("1"), D("10"), D("20")), LineInput("Untaxed", D("1"), D("5"))
    )
    assert [(ln.tax_category, ln.unit_code) for ln in doc.lines.all()] == [
        ("S", "C62"),
        ("Z", "C62"),
    ]


def test_reverse_charge_and_not_subject_take_their_standard_wording():
    doc = _invoice(LineInput("Service", D("1"), D("100"), D("0"), "AE"))
    [group] = tax_breakdown(doc.lines.all(), doc.currency)
    assert group.exemption_reason == "Reverse charge"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (LineInput("x", D("1"), D("1"), D("0"), "S"), "standard-rated line needs a tax rate"),
        (LineInput("x", D("1"), D("1"), D("20"), "Z"), "taxed at 0%"),
        (LineInput("x", D("1"), D("1"), D("7"), "AE"), "taxed at 0%"),
        (LineInput("x", D("1"), D("1"), D("0"), "E"), "needs the reason it is exempt"),
        (LineInput("x", D("1"), D("1"), D("0"), "E", " "), "needs the reason it is exempt"),
        (LineInput("x", D("1"), D("1"), D("20"), "S", "Because"), "only exempt"),
        (LineInput("x", D("1"), D("1"), D("0"), "XX"), "choose a tax category"),
        (LineInput("x", D("1"), D("1"), D("0"), "Z", "", "FOO"), "choose a unit"),
        (LineInput("x", D("1"), D("1"), D("0"), "E", "r" * 201), "at most 200 characters"),
    ],
)
def test_a_line_that_breaks_a_category_rule_is_refused_with_a_clear_message(line, message):
    with pytest.raises(DomainError, match=message):
        _invoice(line)


def test_exempt_lines_on_one_document_share_one_reason():
    with pytest.raises(DomainError, match="share one exemption reason"):
        _invoice(
            LineInput("a", D("1"), D("1"), D("0"), "E", "Medical care"),
            LineInput("b", D("1"), D("1"), D("0"), "E", "Education"),
        )
