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


# Where the postcode goes, by country (what each postal service asks for): after the city
# on one line in North America and Australia ("Denver, CO 80202"), on a line of its own
# after the city in the UK and Ireland; before the city everywhere else ("75002 Paris").
POSTCODE_AFTER_CITY = frozenset({"US", "CA", "AU", "NZ"})
POSTCODE_OWN_LINE = frozenset({"GB", "IE"})


@register.simple_tag
def postal_lines(party, street: str) -> list[str]:
    """A business's or customer's postal address as printed lines: the street lines, the
    city and postcode as the country writes them, then the country's name."""
    lines = [line.strip() for line in (street or "").splitlines() if line.strip()]
    postcode, city = party.postcode.strip(), party.city.strip()
    country = str(party.country or "")
    if country in POSTCODE_OWN_LINE:
        lines += [part for part in (city, postcode) if part]
    elif country in POSTCODE_AFTER_CITY:
        lines += [" ".join(part for part in (city, postcode) if part)] if city or postcode else []
    elif city or postcode:
        lines.append(" ".join(part for part in (postcode, city) if part))
    if country:
        lines.append(party.country.name)
    return lines
