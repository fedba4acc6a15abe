"""The line items of the staff document editor: one LineForm per row of a formset. They
parse and check each row (per field, so the error sits beside its input); the documents.lines
service checks the whole again."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from solabooks.core.forms import DecimalField
from solabooks.core.numbers import plain_text

from .lines import MAX_EXEMPTION_REASON
from .models import Document, TaxCategory, UnitCode
from .services import MAX_AMOUNT, MAX_DESCRIPTION, MAX_LINES, LineInput


def _labelled(widget: type[forms.Widget], label: str) -> forms.Widget:
    """The line inputs sit under one table header, so each carries its own accessible name."""
    return widget(attrs={"aria-label": label})


# "" lets the rate decide, as documents.lines.category_for does: standard rated with a rate,
# zero rated at 0%. Lines stored as either show "by rate", so changing the rate alone keeps
# a line valid; exempt, reverse-charge and out-of-scope lines are chosen explicitly.
BY_RATE = ""
AUTOMATIC_CATEGORIES = (TaxCategory.STANDARD, TaxCategory.ZERO)
TAX_CATEGORY_CHOICES = [(BY_RATE, "By rate"), *TaxCategory.choices]
# Categories whose lines say why they carry no VAT (printed, and the e-invoice's BT-120).
REASON_CATEGORIES = (TaxCategory.EXEMPT, TaxCategory.REVERSE_CHARGE, TaxCategory.NOT_SUBJECT)


class DefaultedChoiceField(forms.ChoiceField):
    """A choice that may be left out and then means its initial value: a blank added row
    that does not post it is still blank (the formset skips it) rather than "changed"."""

    def has_changed(self, initial, data) -> bool:
        return data not in self.empty_values and super().has_changed(initial, data)


class DefaultedDecimalField(DecimalField):
    """A number with an initial value (quantity 1) that a blank row may post empty: still
    blank, so the formset skips the row, as it did before the field had an initial."""

    def has_changed(self, initial, data) -> bool:
        return data not in self.empty_values and super().has_changed(initial, data)


class LineForm(forms.Form):
    description = forms.CharField(
        max_length=MAX_DESCRIPTION, widget=_labelled(forms.TextInput, "Description")
    )
    # Digits follow the DocumentLine columns, so nothing valid here can overflow them.
    # One unit unless staff say otherwise (a blank row left at 1 is still blank: unchanged).
    quantity = DefaultedDecimalField(
        max_digits=12,
        decimal_places=3,
        initial=Decimal("1"),
        widget=_labelled(forms.NumberInput, "Quantity"),
    )
    unit_price = DecimalField(
        max_digits=14,
        decimal_places=3,
        label="Unit price",
        widget=_labelled(forms.NumberInput, "Unit price"),
    )
    tax_rate = DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        initial=Decimal("0"),
        label="Tax %",
        widget=_labelled(forms.NumberInput, "Tax %"),
        error_messages={
            "min_value": "A tax rate is a percentage from 0 to 100.",
            "max_value": "A tax rate is a percentage from 0 to 100.",
        },
    )
    # Not required: a post without it (an older page, a script) counts units (C62).
    unit_code = DefaultedChoiceField(
        choices=UnitCode.choices,
        required=False,
        initial=UnitCode.ONE,
        label="Unit",
        widget=_labelled(forms.Select, "Unit"),
        error_messages={"invalid_choice": "Choose a unit from the list."},
    )
    tax_category = forms.ChoiceField(
        choices=TAX_CATEGORY_CHOICES,
        required=False,
        label="VAT category",
        widget=_labelled(forms.Select, "VAT category"),
        error_messages={"invalid_choice": "Choose a VAT category from the list."},
    )
    tax_exemption_reason = forms.CharField(
        max_length=MAX_EXEMPTION_REASON,
        required=False,
        label="Exemption reason",
        widget=forms.TextInput(
            attrs={"aria-label": "Exemption reason", "placeholder": "Reason (exempt lines)"}
        ),
    )

    def clean_description(self) -> str:
        value = self.cleaned_data["description"].strip()
        if not value:
            raise ValidationError("Describe the line.")
        return value

    def clean_quantity(self) -> Decimal:
        value = self.cleaned_data["quantity"]
        if value <= 0:
            raise ValidationError("The quantity must be greater than zero.")
        return value

    def clean_unit_price(self) -> Decimal:
        value = self.cleaned_data["unit_price"]
        if value < 0:
            raise ValidationError("The unit price cannot be negative.")
        return value

    def clean(self) -> dict:
        data = super().clean()
        quantity, price = data.get("quantity"), data.get("unit_price")
        tax = data.get("tax_rate") or Decimal("0")
        if quantity and price is not None and quantity * price * (100 + tax) / 100 >= MAX_AMOUNT:
            self.add_error("unit_price", "This line's amount is too large.")
        if "tax_rate" in data and "tax_category" in data:
            self._check_category(data, tax)
        return data

    def _check_category(self, data: dict, rate: Decimal) -> None:
        """The category and rate rules of documents.lines, on the field they concern (the
        service checks them again, with the line's number)."""
        category = data["tax_category"]
        reason = " ".join(data.get("tax_exemption_reason", "").split())
        data["tax_exemption_reason"] = reason
        if category == TaxCategory.STANDARD and rate <= 0:
            self.add_error("tax_rate", "A standard-rated line needs a tax rate above 0%.")
        elif category not in (BY_RATE, TaxCategory.STANDARD) and rate != 0:
            label = TaxCategory(category).label.lower()
            self.add_error("tax_rate", f"A {label} line is taxed at 0%; set the rate to 0.")
        if category == TaxCategory.EXEMPT and not reason:
            self.add_error("tax_exemption_reason", "Say why this line is exempt from VAT.")
        elif reason and category not in REASON_CATEGORIES:
            self.add_error(
                "tax_exemption_reason",
                "Only exempt, reverse-charge or out-of-scope lines have a reason; choose "
                "one of those categories or leave the reason empty.",
            )

    def line_input(self) -> LineInput:
        data = self.cleaned_data
        return LineInput(
            description=data["description"],
            quantity=data["quantity"],
            unit_price=data["unit_price"],
            tax_rate=data.get("tax_rate") or Decimal("0"),
            tax_category=data.get("tax_category") or BY_RATE,
            tax_exemption_reason=data.get("tax_exemption_reason", ""),
            unit_code=data.get("unit_code") or UnitCode.ONE,
        )


class BaseLineFormSet(forms.BaseFormSet):
    default_error_messages = {
        "too_many_forms": "A document can have at most %(num)d lines.",
        "too_few_forms": "A document needs at least one line.",
    }

    def clean(self) -> None:
        if any(self.errors):
            return
        if not self.line_inputs():
            raise ValidationError("A document needs at least one line.")

    def line_inputs(self) -> list[LineInput]:
        """The filled-in, not-removed lines, in order (blank added rows are skipped)."""
        return [
            form.line_input()
            for form in self.forms
            if form not in self.deleted_forms and form.cleaned_data
        ]


LineFormSet = forms.formset_factory(
    LineForm,
    formset=BaseLineFormSet,
    # Blank rows to fill without JavaScript (with it, "Add line" adds more); rows left blank
    # are skipped.
    extra=2,
    min_num=1,
    validate_min=True,
    max_num=MAX_LINES,
    validate_max=True,
    # Never build more forms than that, whatever TOTAL_FORMS claims.
    absolute_max=MAX_LINES + 1,
    can_delete=True,
)


def line_initial(document: Document) -> list[dict]:
    return [
        {
            "description": line.description,
            "quantity": plain_text(line.quantity),
            "unit_price": plain_text(line.unit_price),
            "tax_rate": plain_text(line.tax_rate),
            "unit_code": line.unit_code,
            # The database holds standard lines above 0% and zero-rated ones at 0%
            # (line_rate_matches_category): "by rate" gives each its own category back.
            "tax_category": (
                BY_RATE if line.tax_category in AUTOMATIC_CATEGORIES else line.tax_category
            ),
            "tax_exemption_reason": line.tax_exemption_reason,
        }
        for line in document.lines.all()
    ]
