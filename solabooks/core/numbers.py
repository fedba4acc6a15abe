"""Numbers people and API clients type: one grammar for every form field and API field
whose value becomes a Decimal (quantities, prices, tax rates, payment amounts…).

Python's Decimal(), and so Django's and DRF's DecimalField, also reads "1_000", any
Unicode decimal digit ("١٢" and "１２" are 12), exponents ("1e3"), "NaN" and "Infinity".
A number on an invoice is written with ASCII digits and at most one decimal point; that is
all this accepts:

    [-] digits [. [digits]]    or    [-] . digits

- "12", "12.50", "0.5", "-3.25"; also ".5" (HTML's own number grammar allows it) and
  "12." (a point with nothing after it): each has one reading, so neither is refused.
- One optional leading minus. Whether a field takes negative values is that field's own
  rule, with its own message ("The quantity must be greater than zero."), as before.
- "-0" reads as 0: it would print as "-0.00".
- Not: "+12", "--1", "1,000", "1 000", "1_000", "1e3", "NaN", "Infinity", any non-ASCII
  digit or minus sign, two points, "", ".", "-".
- At most MAX_LENGTH characters: leading zeros count no digits, so a field's max_digits
  alone would let a megabyte of them through. The field's digit limits apply after.
- Surrounding whitespace is the caller's: forms strip it (as Django strips every field;
  browsers' number inputs never send any), the API takes the JSON string as its schema
  pattern (`plain_number_pattern`) documents it.

Used by `solabooks.core.forms.DecimalField` and `solabooks.api.fields.PlainDecimalField`.
"""

import re
from decimal import Decimal

# [0-9], never \d: in Python's re, \d matches every Unicode decimal digit.
PLAIN_NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
MAX_LENGTH = 100
NOT_A_NUMBER = "Enter a number using the digits 0-9 and at most one decimal point, such as 1250.50."
TOO_LONG = f"Enter a number of at most {MAX_LENGTH} characters."


class InvalidNumber(ValueError):
    """The text is not a plain number; the message says what to type."""


def parse_plain_decimal(text: object) -> Decimal:
    """The Decimal `text` writes, exactly (no rounding), or InvalidNumber."""
    if not isinstance(text, str):
        raise InvalidNumber(NOT_A_NUMBER)
    if len(text) > MAX_LENGTH:
        raise InvalidNumber(TOO_LONG)
    if not PLAIN_NUMBER.fullmatch(text):
        raise InvalidNumber(NOT_A_NUMBER)
    value = Decimal(text)  # exact: a string converts without the context's precision
    return abs(value) if value.is_zero() else value


def plain_text(value) -> str:
    """A Decimal in the grammar above, in its shortest spelling: 150.000 -> "150",
    0.500 -> "0.5", never "1E+2". 300.00 in memory and 300.000 from the database are the
    same amount, so records and fingerprints spell them one way."""
    return format(Decimal(value).normalize(), "f")


def plain_number_pattern(*, max_digits: int, decimal_places: int, negative: bool = True) -> str:
    """The grammar as an OpenAPI (ECMA-262) pattern, with a field's digit limits: at most
    `max_digits - decimal_places` digits before the point (after any leading zeros) and
    `decimal_places` after it, as DRF's and Django's digit checks count them."""
    whole = max_digits - decimal_places
    sign = "-?" if negative else ""
    # Digits before the point: leading zeros, then up to `whole` more (none when whole is 0).
    integer = rf"0*[0-9]{{1,{whole}}}" if whole else "0+"
    if not decimal_places:
        return rf"^{sign}{integer}\.?$"
    fraction = rf"[0-9]{{0,{decimal_places}}}"
    return rf"^{sign}(?:{integer}(?:\.{fraction})?|\.[0-9]{{1,{decimal_places}}})$"
