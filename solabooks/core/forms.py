"""Form fields shared by every staff form: one place where odd input is refused."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from .numbers import InvalidNumber, parse_plain_decimal

# The largest id a BigAutoField holds. SQLite raises OverflowError (a 500) for a larger
# integer in a foreign-key lookup, so ids from input are bounded before any query.
MAX_ID = 2**63 - 1


class DecimalField(forms.DecimalField):
    """forms.DecimalField that reads only plain numbers (solabooks.core.numbers): ASCII
    digits, at most one decimal point, an optional leading minus; "-0" reads as 0.

    Django's own field reads whatever Decimal() does: "1_000", "١٢" (as 12), "1e3", and
    NaN / Infinity / sNaN, which it refuses only in validate(), after has_changed(): a
    formset compares the parsed value with the initial one, and comparing Decimal("sNaN")
    raises InvalidOperation, i.e. a 500. Surrounding ASCII whitespace is stripped, as Django
    strips every field. max_digits, decimal_places, min_value and max_value apply after.
    """

    def to_python(self, value) -> Decimal | None:
        if value in self.empty_values:
            return None
        text = value if isinstance(value, str) else str(value)
        try:
            return parse_plain_decimal(text.strip(" \t\n\r\f\v"))
        except InvalidNumber as error:
            raise ValidationError(str(error), code="invalid") from None


class IdField(forms.IntegerField):
    """A database id typed or posted by a user: a positive integer a BigAutoField can hold."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        kwargs.setdefault("widget", forms.HiddenInput)
        super().__init__(**kwargs)


def country_field(**kwargs) -> forms.ChoiceField:
    """An optional ISO 3166-1 country, chosen from django-countries' list by name."""
    from django_countries import countries

    kwargs.setdefault("required", False)
    return forms.TypedChoiceField(
        choices=lambda: [("", "—")] + list(countries),
        empty_value="",
        error_messages={"invalid_choice": "Choose a country from the list."},
        **kwargs,
    )


def identifier_field(*, max_length: int, **kwargs) -> forms.CharField:
    """An optional code (VAT identifier, IBAN, BIC): typed with any spacing, checked and
    compacted by solabooks.core.identifiers; no spelling help from the browser."""
    kwargs.setdefault("required", False)
    attrs = {"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"}
    return forms.CharField(max_length=max_length, widget=forms.TextInput(attrs=attrs), **kwargs)
