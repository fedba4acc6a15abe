"""The one grammar for numbers people and API clients type (solabooks/core/numbers.py).

Python's Decimal() reads "1_000", "١٢" (Arabic-Indic digits), "１２" (full-width), "1e3",
"NaN" and more; an amount on an invoice is ASCII digits with at most one decimal point.
"""

import re
from decimal import Decimal

import pytest

from solabooks.core.money import format_money, format_price
from solabooks.core.numbers import (
    MAX_LENGTH,
    InvalidNumber,
    parse_plain_decimal,
    plain_number_pattern,
)

ACCEPTED = {
    "12": Decimal("12"),
    "12.50": Decimal("12.50"),
    "0.5": Decimal("0.5"),
    "-3.25": Decimal("-3.25"),
    "0": Decimal("0"),
    "007": Decimal("7"),
    ".5": Decimal("0.5"),  # HTML's own number grammar allows it; nothing else to read
    "-.5": Decimal("-0.5"),
    "12.": Decimal("12"),  # a point with nothing after it: still twelve
    "1234567890.123": Decimal("1234567890.123"),
}

REFUSED = [
    "",
    " ",
    "1_000",  # Python's digit grouping
    "١٢",  # Arabic-Indic digits
    "۱۲",  # Persian digits
    "１２",  # full-width digits
    "१२",  # Devanagari digits
    "𝟏𝟐",  # mathematical bold digits
    "²",  # superscript two (isdigit() but not a decimal)
    "½",
    "1e3",
    "1E3",
    "-0e5",
    "NaN",
    "nan",
    "sNaN",
    "Infinity",
    "-Infinity",
    "inf",
    "1,000",
    "1,5",  # a decimal comma
    "1 000",
    "1'000",
    "+12",
    "--1",
    "-",
    "−12",  # U+2212 MINUS SIGN
    "12-",
    ".",
    "-.",
    "1.2.3",
    "12..5",
    "..5",
    "0x10",
    "1/2",
    " 12",  # whitespace is the caller's to strip (forms do, the API does not)
    "12 ",
    "12\n",
    "\u00a012",
    "\x00",
    "12\x003",
    "9" * (MAX_LENGTH + 1),
    "0" * MAX_LENGTH + "1",
]


@pytest.mark.parametrize(("text", "value"), ACCEPTED.items())
def test_plain_numbers_are_read_exactly(text, value):
    parsed = parse_plain_decimal(text)
    assert parsed == value and str(parsed) == str(value)


@pytest.mark.parametrize("text", ["-0", "-0.00", "-.0", "-0."])
def test_negative_zero_reads_as_zero(text):
    parsed = parse_plain_decimal(text)
    assert parsed.is_zero() and not parsed.is_signed()


@pytest.mark.parametrize("text", REFUSED)
def test_anything_else_is_refused(text):
    with pytest.raises(InvalidNumber):
        parse_plain_decimal(text)


@pytest.mark.parametrize("value", [12, 12.5, True, None, Decimal("12"), b"12", ["12"]])
def test_only_text_is_parsed(value):
    with pytest.raises(InvalidNumber):
        parse_plain_decimal(value)


def test_the_longest_accepted_text():
    assert parse_plain_decimal("9" * MAX_LENGTH) == Decimal("9" * MAX_LENGTH)


def test_the_error_says_what_to_type():
    with pytest.raises(InvalidNumber) as refused:
        parse_plain_decimal("1_000")
    assert "0-9" in str(refused.value) and "decimal point" in str(refused.value)


# The grammar written as an OpenAPI pattern ([0-9], never \d: \d matches every Unicode
# digit in Python's re), with a field's digit limits: it accepts exactly what the parser
# and the field's max_digits / decimal_places accept.
@pytest.mark.parametrize("negative", [True, False])
def test_the_schema_pattern_is_the_grammar(negative):
    pattern = re.compile(plain_number_pattern(max_digits=13, decimal_places=3, negative=negative))
    for text in ACCEPTED:
        assert bool(pattern.fullmatch(text)) == (negative or not text.startswith("-")), text
    for text in REFUSED:
        if len(text) <= MAX_LENGTH:
            assert not pattern.fullmatch(text), text
    for text in ["1234567890", "1234567890.123", "0001234567890.1", "0.001", "12.5"]:
        assert pattern.fullmatch(text), text
    for text in ["12345678901", "1.1234", "0.0001", "1.0000"]:
        assert not pattern.fullmatch(text), text


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        ("12", "USD", "12.00"),
        ("12.000", "USD", "12.00"),
        ("12.5", "EUR", "12.50"),
        ("12", "JPY", "12"),
        ("12.000", "JPY", "12"),
        ("12", "BHD", "12.000"),
        ("0.125", "KWD", "0.125"),
        ("-0.000", "USD", "0.00"),
        ("-3.25", "USD", "-3.25"),
        ("999999999999999.999", "BHD", "999999999999999.999"),
        ("100000000000000", "USD", "100000000000000.00"),
    ],
)
def test_money_is_written_in_the_currency_minor_unit(amount, currency, text):
    assert format_money(Decimal(amount), currency) == text


@pytest.mark.parametrize(
    ("price", "currency", "text"),
    [
        ("100.000", "USD", "100.00"),
        ("0.333", "USD", "0.333"),
        ("99.990", "USD", "99.99"),
        ("99.995", "USD", "99.995"),
        ("1500.000", "JPY", "1500"),
        ("0.500", "JPY", "0.5"),
        ("1.500", "BHD", "1.500"),
        ("0.000", "USD", "0.00"),
    ],
)
def test_a_price_keeps_its_own_decimals_beyond_the_minor_unit(price, currency, text):
    assert format_price(Decimal(price), currency) == text
