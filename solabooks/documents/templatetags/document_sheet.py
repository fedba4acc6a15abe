"""What the printed document (templates/documents/_document_body.html) needs besides the
rows themselves: units as people write them, the VAT breakdown, an IBAN in groups of four.
"""

from collections.abc import Iterable

from django import template

from solabooks.core.identifiers import iban_for_print
from solabooks.documents.lines import TaxGroup, tax_breakdown
from solabooks.documents.models import TaxCategory, UnitCode

register = template.Library()

# Printed after the quantity ("3 h"); a plain count (C62) prints no unit.
UNIT_SYMBOLS = {
    UnitCode.ONE: "",
    UnitCode.HOUR: "h",
    UnitCode.DAY: "d",
    UnitCode.MONTH: "mo",
    UnitCode.YEAR: "yr",
    UnitCode.KILOGRAM: "kg",
    UnitCode.METRE: "m",
    UnitCode.LITRE: "L",
    UnitCode.SQUARE_METRE: "m²",
    UnitCode.KILOMETRE: "km",
    UnitCode.PACKAGE: "pkg",
    UnitCode.SET: "set",
}


@register.filter
def unit_symbol(code: str) -> str:
    """ "h" for HUR; "" for C62 and anything unknown."""
    return UNIT_SYMBOLS.get(code, "")


@register.simple_tag
def vat_breakdown(lines: Iterable, currency: str) -> list[TaxGroup]:
    """The VAT breakdown to print under the totals: [] when the document has one standard
    rate only (the Tax total says it all), else every group of documents.lines.tax_breakdown,
    whose taxes add up to the document's tax by construction."""
    groups = tax_breakdown(lines, currency)
    if len(groups) == 1 and groups[0].category == TaxCategory.STANDARD:
        return []
    return groups


@register.filter
def iban_print(iban: str) -> str:
    return iban_for_print(iban)
