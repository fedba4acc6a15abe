"""The totals the staff editor shows beside its lines (per line, subtotal, tax, total),
worked out from what the form holds, with the very functions `write_lines` saves with
(`round_money` per line, `tax_breakdown`: tax per category and rate, rounded once).

static/js/editor.js repeats the same arithmetic while staff type; this is what a page
shows without JavaScript and after every post, and the saved document is the truth.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace

from solabooks.core.money import ZERO, round_money
from solabooks.core.numbers import InvalidNumber, parse_plain_decimal

from .lines import MAX_AMOUNT, LineInput, category_for, tax_breakdown


@dataclass(frozen=True)
class EditorTotals:
    currency: str
    lines: list[Decimal | None] = field(default_factory=list)  # one per form; None: blank
    subtotal: Decimal = ZERO
    tax: Decimal = ZERO
    total: Decimal = ZERO


def _number(text: object) -> Decimal | None:
    try:
        return parse_plain_decimal(text)
    except InvalidNumber:
        return None


def _is_rate(rate: Decimal | None) -> bool:
    return rate is not None and 0 <= rate <= 100


def _is_deleted(form) -> bool:
    value = form["DELETE"].value() if "DELETE" in form.fields else False
    return value not in (False, None, "", "off", "false", "False")


def editor_totals(formset, currency: str) -> EditorTotals:
    """Each row's amount (quantity × price, rounded) and the document's totals, from the
    rows' current values (bound data or initial). Rows that are removed, whose quantity or
    price is not a number yet, whose rate is not 0-100 or whose amount is beyond what a
    document can hold (the save refuses those) count for nothing, as in the script."""
    amounts: list[Decimal | None] = []
    rows = []
    for form in formset.forms:
        quantity = _number(form["quantity"].value())
        price = _number(form["unit_price"].value())
        rate = _number(form["tax_rate"].value() or "0")
        if _is_deleted(form) or quantity is None or price is None or not _is_rate(rate):
            amounts.append(None)
            continue
        if abs(quantity * price) >= MAX_AMOUNT:  # refused on save; too big to round, too
            amounts.append(None)
            continue
        subtotal = round_money(quantity * price, currency)
        amounts.append(subtotal)
        line = LineInput("", quantity, price, rate, form["tax_category"].value() or "")
        rows.append(
            SimpleNamespace(
                tax_category=category_for(line),
                tax_rate=rate,
                line_subtotal=subtotal,
                tax_exemption_reason="",
            )
        )
    subtotal = sum((row.line_subtotal for row in rows), ZERO)
    tax = sum((group.tax for group in tax_breakdown(rows, currency)), ZERO)
    return EditorTotals(currency, amounts, subtotal, tax, subtotal + tax)
