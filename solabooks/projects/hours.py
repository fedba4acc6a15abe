"""Hours as people type them: "1.5", "1.25", ".75", or a duration "1:30" (h:mm).

One grammar for the staff form and the API. The result is a Decimal in 0.01 steps,
0 < hours <= 24. A duration converts to hours rounded to the nearest hundredth (1:20 is
1.33 h), because time entries and invoice quantities are kept in hundredths of an hour.
"""

import re
from decimal import ROUND_HALF_UP, Decimal

from solabooks.core.numbers import InvalidNumber, parse_plain_decimal

from .models import MAX_HOURS

HUNDREDTH = Decimal("0.01")
DURATION = re.compile(r"([0-9]{1,2}):([0-9]{2})")
HOURS_HELP = "Hours such as 1.5 or 1:30, more than 0 and at most 24, in steps of 0.01."


class InvalidHours(ValueError):
    """Not hours; the message says what to type."""


def parse_hours(text: object) -> Decimal:
    if not isinstance(text, str):
        raise InvalidHours('Send hours as text, such as "1.5" or "1:30".')
    text = text.strip()
    duration = DURATION.fullmatch(text)
    if duration:
        whole, minutes = int(duration[1]), int(duration[2])
        if minutes > 59:
            raise InvalidHours("Minutes go from 00 to 59: write 1:30 for an hour and a half.")
        hours = (Decimal(whole) + Decimal(minutes) / 60).quantize(HUNDREDTH, ROUND_HALF_UP)
    elif ":" in text:
        raise InvalidHours("Write a duration as hours:minutes, such as 1:30.")
    else:
        try:
            hours = parse_plain_decimal(text)
        except InvalidNumber:
            raise InvalidHours(HOURS_HELP) from None
        if hours != hours.quantize(HUNDREDTH, ROUND_HALF_UP):
            raise InvalidHours("Hours go in steps of 0.01 (such as 1.25).")
    return check_hours(hours)


def check_hours(hours: Decimal) -> Decimal:
    if not hours.is_finite() or hours <= 0:
        raise InvalidHours("Hours must be more than 0.")
    if hours > MAX_HOURS:
        raise InvalidHours("A time entry is at most 24 hours (one day).")
    if hours != hours.quantize(HUNDREDTH, ROUND_HALF_UP):
        raise InvalidHours("Hours go in steps of 0.01 (such as 1.25).")
    return hours.quantize(HUNDREDTH)


def format_hours(hours: Decimal) -> str:
    """12.50 -> "12.50"; always two decimals, as on the invoice."""
    return f"{Decimal(hours).quantize(HUNDREDTH):f}"
