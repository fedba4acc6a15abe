"""Form fields shared by every staff form: one place where odd input is refused."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

# The largest id a BigAutoField holds. SQLite raises OverflowError (a 500) for a larger
# integer in a foreign-key lookup, so ids from input are bounded before any query.
MAX_ID = 2**63 - 1


class DecimalField(forms.DecimalField):
    """forms.DecimalField that refuses NaN / Infinity / sNaN while parsing, and reads -0 as 0.

    Django only refuses non-finite values in validate(), which runs after has_changed():
    a formset compares the parsed value with the initial one, and comparing
    Decimal("sNaN") raises InvalidOperation, i.e. a 500. "-0" is a valid Decimal that would
    print as "-0.00" on an invoice.
    """

    def to_python(self, value) -> Decimal | None:
        value = super().to_python(value)
        if value is None:
            return None
        if not value.is_finite():
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if value.is_zero():
            value = abs(value)
        return value


class IdField(forms.IntegerField):
    """A database id typed or posted by a user: a positive integer a BigAutoField can hold."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        kwargs.setdefault("widget", forms.HiddenInput)
        super().__init__(**kwargs)
