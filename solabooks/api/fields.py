"""The API's number fields: what a client may send, and how amounts are written back.

In: `PlainDecimalField` takes a JSON string in the one grammar the staff forms use too
(solabooks.core.numbers): ASCII digits, at most one decimal point, an optional leading
minus. Not a JSON number (a float such as 0.1 or 1e3 has already lost the digits the client
wrote), not "1_000", "١٢", "1e3" or "NaN", which DRF's DecimalField would read.

Out: `MoneyField` writes an amount with exactly its currency's minor unit, read from the
object's own currency ("12.00" USD, "12" JPY, "12.000" BHD); `PriceField` a unit price
with at least that many decimals, more when the price has them. Both are in the OpenAPI
schema as decimal strings with a pattern.
"""

from decimal import Decimal
from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers
from rest_framework.fields import get_attribute

from solabooks.core.money import format_money, format_price
from solabooks.core.numbers import (
    MAX_LENGTH,
    InvalidNumber,
    parse_plain_decimal,
    plain_number_pattern,
)

MONEY_HELP = (
    "A decimal string in the currency's minor unit: 1250.00 for USD, 1250 for JPY, "
    "1250.000 for BHD."
)
PRICE_HELP = (
    "A decimal string with at least the currency's minor unit, and up to 3 decimals when "
    "the price has them: 99.50 or 0.333 for USD."
)


class PlainDecimalField(serializers.DecimalField):
    """A number sent as a JSON string of the plain-number grammar; then DRF's digit checks
    (max_digits, decimal_places) and min/max validators, as for its DecimalField."""

    default_error_messages = {
        "not_a_string": 'Send this number as a JSON string, such as "1250.50".',
    }

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        # DRF's DecimalField reads "" (or spaces) as null when null is allowed; the schema
        # says a number string or null, so a blank string is refused like any non-number.
        return serializers.Field.validate_empty_values(self, data)

    def to_internal_value(self, data: Any) -> Decimal:
        if not isinstance(data, str):
            self.fail("not_a_string")
        try:
            value = parse_plain_decimal(data)
        except InvalidNumber as error:
            raise serializers.ValidationError(str(error), code="invalid") from None
        return self.quantize(self.validate_precision(value))


class MoneyField(serializers.Field):
    """An amount (output only) written in the minor unit of the currency at `currency`, a
    dotted path from the same object ("currency", "document.currency")."""

    format = staticmethod(format_money)
    help = MONEY_HELP

    def __init__(self, *, currency: str = "currency", **kwargs: Any) -> None:
        self.currency_attrs = currency.split(".")
        kwargs.setdefault("help_text", self.help)
        super().__init__(read_only=True, **kwargs)

    def get_attribute(self, instance: Any) -> tuple[Decimal, str] | None:
        amount = super().get_attribute(instance)
        if amount is None:
            return None
        return amount, get_attribute(instance, self.currency_attrs)

    def to_representation(self, value: tuple[Decimal, str]) -> str:
        amount, currency = value
        return self.format(amount, currency)


class PriceField(MoneyField):
    """A unit price (output only): never rounded, but no fewer decimals than the minor unit."""

    format = staticmethod(format_price)
    help = PRICE_HELP


# --- OpenAPI -----------------------------------------------------------------------------

# What MoneyField writes: no point (JPY), or 2 or 3 decimals; PriceField up to the 3
# decimals the unit price column keeps (a JPY price may have 1).
MONEY_PATTERN = r"^-?[0-9]+(?:\.[0-9]{2,3})?$"
PRICE_PATTERN = r"^-?[0-9]+(?:\.[0-9]{1,3})?$"


class PlainDecimalFieldSchema(OpenApiSerializerFieldExtension):
    """The input grammar with the field's digit limits, instead of drf-spectacular's
    `\\d` pattern (which reads any Unicode digit in Python and allows "", "-" and ".")."""

    target_class = PlainDecimalField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction) -> dict[str, Any]:
        field = self.target
        min_value = field.min_value
        return {
            "type": "string",
            "format": "decimal",
            "pattern": plain_number_pattern(
                max_digits=field.max_digits,
                decimal_places=field.decimal_places,
                negative=min_value is None or min_value < 0,
            ),
            "maxLength": MAX_LENGTH,
        }


class MoneyFieldSchema(OpenApiSerializerFieldExtension):
    target_class = MoneyField
    match_subclasses = True  # PriceField too

    def map_serializer_field(self, auto_schema, direction) -> dict[str, Any]:
        pattern = PRICE_PATTERN if isinstance(self.target, PriceField) else MONEY_PATTERN
        return {"type": "string", "format": "decimal", "pattern": pattern}
