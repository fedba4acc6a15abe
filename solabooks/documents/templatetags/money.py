from decimal import Decimal, InvalidOperation

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma

from solabooks.core.money import round_money

register = template.Library()


@register.filter
def money(value, currency: str = "USD") -> str:
    """A Decimal amount rounded to the currency's minor unit, with thousands separators."""
    if value in (None, ""):
        return ""
    try:
        amount = round_money(Decimal(value), currency)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    return intcomma(f"{amount:f}")
