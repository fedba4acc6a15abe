"""A document's lines and the totals they add up to.

Tax is computed the way EN 16931 (the European e-invoice standard) does it: lines are
grouped by tax category and rate, and each group's tax is its taxable amount times the
rate, rounded once to the currency's minor unit. The document's tax is the sum of the
groups. Rounding each line's tax separately and adding them up drifts by a cent per few
lines; the group sum is what the printed VAT breakdown and the e-invoice both show, so the
PDF and its structured data always agree to the cent.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from solabooks.core.errors import DomainError
from solabooks.core.money import ZERO, round_money

from .models import Document, DocumentLine, TaxCategory, UnitCode

MAX_LINES = 200
MAX_DESCRIPTION = 500  # DocumentLine.description max_length
MAX_EXEMPTION_REASON = 200  # DocumentLine.tax_exemption_reason max_length
# The money columns are DecimalField(max_digits=18, decimal_places=3): anything at or above
# 10**15 would overflow them (a database error, i.e. a 500), so it is refused as a user error.
MAX_AMOUNT = Decimal(10) ** 15

# The words an e-invoice needs for categories without VAT when staff gave none (BT-120).
DEFAULT_EXEMPTION_REASONS = {
    TaxCategory.REVERSE_CHARGE: "Reverse charge",
    TaxCategory.NOT_SUBJECT: "Not subject to VAT",
}


@dataclass(frozen=True)
class LineInput:
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal = ZERO
    # "" picks the usual one: standard rate when the line has a rate, zero rated when not.
    tax_category: str = ""
    tax_exemption_reason: str = ""
    unit_code: str = UnitCode.ONE


@dataclass(frozen=True)
class TaxGroup:
    """One row of the VAT breakdown: lines of one category and rate."""

    category: str
    rate: Decimal
    taxable_amount: Decimal
    tax: Decimal
    exemption_reason: str

    @property
    def category_label(self) -> str:
        return TaxCategory(self.category).label


def category_for(line: LineInput) -> str:
    if line.tax_category:
        return line.tax_category
    return TaxCategory.STANDARD if line.tax_rate > 0 else TaxCategory.ZERO


def _check_line(position: int, line: LineInput) -> None:
    where = f"Line {position + 1}: "
    description = line.description.strip()
    if not description:
        raise DomainError("Every line needs a description.")
    if len(description) > MAX_DESCRIPTION:
        raise DomainError(f"A line description can be at most {MAX_DESCRIPTION} characters.")
    if not all(Decimal(v).is_finite() for v in (line.quantity, line.unit_price, line.tax_rate)):
        raise DomainError("Quantities, prices and tax rates must be numbers.")
    if line.quantity <= 0:
        raise DomainError("Quantities must be greater than zero.")
    if line.unit_price < 0:
        raise DomainError("Unit prices cannot be negative.")
    if not (ZERO <= line.tax_rate <= 100):
        raise DomainError("Tax rates are percentages from 0 to 100.")
    if line.unit_code not in UnitCode.values:
        raise DomainError(f"{where}choose a unit from the list.")
    category = category_for(line)
    if category not in TaxCategory.values:
        raise DomainError(f"{where}choose a tax category from the list.")
    if category == TaxCategory.STANDARD and line.tax_rate <= 0:
        raise DomainError(f"{where}a standard-rated line needs a tax rate above 0%.")
    if category != TaxCategory.STANDARD and line.tax_rate != 0:
        label = TaxCategory(category).label.lower()
        raise DomainError(f"{where}a {label} line is taxed at 0%; set the rate to 0.")
    reason = line.tax_exemption_reason.strip()
    if len(reason) > MAX_EXEMPTION_REASON:
        raise DomainError(
            f"{where}the exemption reason can be at most {MAX_EXEMPTION_REASON} characters."
        )
    if category == TaxCategory.EXEMPT and not reason:
        raise DomainError(f"{where}an exempt line needs the reason it is exempt.")
    if category in (TaxCategory.STANDARD, TaxCategory.ZERO) and reason:
        raise DomainError(
            f"{where}only exempt, reverse-charge or out-of-scope lines have a reason."
        )


def tax_breakdown(lines: Iterable, currency: str) -> list[TaxGroup]:
    """The VAT breakdown of lines (DocumentLines or anything with the same attributes), in
    the order the groups first appear. One group per category and rate; exempt lines of one
    document share one reason (write_lines makes sure), the others take their category's
    standard words when staff gave none."""
    bases: dict[tuple[str, Decimal], Decimal] = {}
    reasons: dict[tuple[str, Decimal], str] = {}
    for line in lines:
        key = (line.tax_category, Decimal(line.tax_rate).normalize())
        bases[key] = bases.get(key, ZERO) + line.line_subtotal
        reasons.setdefault(key, line.tax_exemption_reason.strip())
    groups = []
    for (category, rate), base in bases.items():
        reason = reasons[(category, rate)] or DEFAULT_EXEMPTION_REASONS.get(category, "")
        tax = round_money(base * rate / 100, currency)
        groups.append(TaxGroup(category, rate, base, tax, reason))
    return groups


def write_lines(document: Document, lines: list[LineInput]) -> None:
    """Replace the document's lines and set its subtotal, tax and total (not saved here)."""
    if not lines:
        raise DomainError("A document needs at least one line.")
    if len(lines) > MAX_LINES:
        raise DomainError(f"A document can have at most {MAX_LINES} lines.")
    currency = document.currency
    rows = []
    subtotal = ZERO
    exempt_reasons = set()
    for position, line in enumerate(lines):
        _check_line(position, line)
        category = category_for(line)
        reason = line.tax_exemption_reason.strip()
        if category == TaxCategory.EXEMPT:
            exempt_reasons.add(reason)
        line_subtotal = round_money(line.quantity * line.unit_price, currency)
        line_tax = round_money(line_subtotal * line.tax_rate / 100, currency)
        if line_subtotal + line_tax >= MAX_AMOUNT:
            raise DomainError(f"Line {position + 1}: the amount is too large.")
        subtotal += line_subtotal
        rows.append(
            DocumentLine(
                document=document,
                position=position,
                description=line.description.strip(),
                quantity=line.quantity,
                unit_price=line.unit_price,
                tax_rate=line.tax_rate,
                tax_category=category,
                tax_exemption_reason=reason,
                unit_code=line.unit_code,
                line_subtotal=line_subtotal,
                line_tax=line_tax,
            )
        )
    if len(exempt_reasons) > 1:
        # One exempt row in the VAT breakdown, with one reason (EN 16931 BR-E-10).
        raise DomainError("Exempt lines on one document share one exemption reason.")
    tax_total = sum((group.tax for group in tax_breakdown(rows, currency)), ZERO)
    if subtotal + tax_total >= MAX_AMOUNT:
        raise DomainError("The document total is too large.")
    DocumentLine.objects.filter(document=document).delete()
    DocumentLine.objects.bulk_create(rows)
    document.subtotal = subtotal
    document.tax_total = tax_total
    document.total = subtotal + tax_total
    if document.amount_paid > document.total:
        raise DomainError("The new total is below what has already been paid on this invoice.")


def line_inputs_of(document: Document) -> list[LineInput]:
    """The document's lines as input for another document (conversion, credit notes)."""
    return [
        LineInput(
            line.description,
            line.quantity,
            line.unit_price,
            line.tax_rate,
            line.tax_category,
            line.tax_exemption_reason,
            line.unit_code,
        )
        for line in document.lines.all()
    ]
