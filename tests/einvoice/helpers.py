"""Shared set-up for the e-invoice tests: a business and a customer with everything
EN 16931 asks for, and readers for the XML the product writes."""

import re
from decimal import Decimal

from lxml import etree

from solabooks.core.money import CURRENCY_MINOR_UNITS
from tests.factories import CustomerFactory, OrganizationFactory

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
SUMMATION = (
    "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction"
    "/ram:ApplicableHeaderTradeSettlement/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
)
# The unit price (BT-146, NetPriceProductTradePrice/ChargeAmount) is the one "Amount"
# element the standard lets carry more decimals than the currency has.
UNIT_PRICE = "ChargeAmount"

READY_BUSINESS = {
    "legal_name": "Northwind Studio SARL",
    "vat_id": "FR40303265045",
    "registration_id": "RCS Paris 303 265 045",
    "country": "FR",
    "postcode": "75002",
    "city": "Paris",
    "address": "12 rue de la Paix\nBâtiment B",
}
READY_CUSTOMER = {
    "country": "DE",
    "postcode": "10115",
    "city": "Berlin",
    "billing_address": "Invalidenstraße 7",
    "vat_id": "DE136695976",
    "currency": "EUR",
}


def ready_business(**fields):
    """A business whose invoices can carry EN 16931 data (no IBAN unless given)."""
    return OrganizationFactory(**{**READY_BUSINESS, **fields})


def make_ready(organization, **fields):
    """Give an existing business (a fixture's) the e-invoice data, saved."""
    for name, value in {**READY_BUSINESS, **fields}.items():
        setattr(organization, name, value)
    organization.save()
    return organization


def ready_customer(organization, **fields):
    return CustomerFactory(organization=organization, **{**READY_CUSTOMER, **fields})


def parse(xml: bytes):
    return etree.fromstring(xml)


def local_name(element) -> str:
    return etree.QName(element).localname


def totals_in(xml: bytes) -> dict[str, str]:
    """The header totals (BG-22) as written: {"LineTotalAmount": "12.00", ...}."""
    (summation,) = parse(xml).xpath(SUMMATION, namespaces=NS)
    return {local_name(child): child.text for child in summation}


def minor_unit_pattern(currency: str) -> re.Pattern:
    """An amount with exactly the currency's minor unit: digits, then "." and that many
    digits (none at all for JPY); no sign, exponent, or anything else."""
    places = CURRENCY_MINOR_UNITS[currency]
    return re.compile(r"\d+" + (rf"\.\d{{{places}}}" if places else ""))


PLAIN_DECIMAL = re.compile(r"\d+(\.\d+)?")
PLAIN_NUMBERS = (UNIT_PRICE, "BilledQuantity", "RateApplicablePercent")


def amount_problems(xml: bytes, currency: str) -> list[str]:
    """Every amount element not written with exactly the currency's minor unit (at most 2
    decimals), and every unit price, quantity or rate not written as plain digits."""
    amount_text = minor_unit_pattern(currency)
    problems = []
    for element in parse(xml).iter():
        if not isinstance(element.tag, str) or element.text is None:
            continue
        name = local_name(element)
        text = element.text
        if name.endswith("Amount") and name != UNIT_PRICE:
            decimals = len(text.partition(".")[2])
            if not amount_text.fullmatch(text) or decimals > 2:
                problems.append(f"{name}: {text!r}")
        elif name in PLAIN_NUMBERS and not PLAIN_DECIMAL.fullmatch(text):
            problems.append(f"{name}: {text!r}")
    return problems


def money(value, currency: str) -> str:
    """The expected text of an amount, computed here rather than by the product."""
    places = CURRENCY_MINOR_UNITS[currency]
    return f"{Decimal(value):.{places}f}"
