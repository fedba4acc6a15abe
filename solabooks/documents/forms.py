"""Forms for the staff document and payment pages. They parse and check input; the services
decide (and check again, under lock)."""

import datetime
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from solabooks.core.forms import DecimalField
from solabooks.core.money import CURRENCY_CHOICES, minor_unit_error, round_money
from solabooks.core.numbers import plain_text
from solabooks.customers.models import Customer

from .models import STATES_BY_KIND, Document, Kind, PaymentMethod
from .services import MAX_AMOUNT, MAX_DESCRIPTION, MAX_LINES, LineInput

MAX_TEXT = 5000  # notes and terms: generous, but a form post is not a place for a novel
# Dates outside these years are typos (and 9999-12-31 + 30 days would not even exist).
FIRST_YEAR, LAST_YEAR = 1900, 2999


def _sane_date(value: datetime.date | None) -> None:
    if value is not None and not (FIRST_YEAR <= value.year <= LAST_YEAR):
        raise ValidationError(f"Enter a date between the years {FIRST_YEAR} and {LAST_YEAR}.")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def date_field(**kwargs) -> forms.DateField:
    return forms.DateField(widget=DateInput(), validators=[_sane_date], **kwargs)


def customer_field(organization, **kwargs) -> forms.ModelChoiceField:
    """A customer of this business only: any other id is "not one of the choices"."""
    kwargs.setdefault("empty_label", "Choose a customer…")
    return forms.ModelChoiceField(
        queryset=Customer.objects.for_org(organization).order_by("name", "id"),
        error_messages={"invalid_choice": "Choose one of your customers."},
        **kwargs,
    )


def customer_filter_field(organization) -> forms.ModelChoiceField:
    """`?customer=<id>` on a list (links from a customer's page keep it): a hidden input, not
    a select of every customer, so a list page costs the same with 5 or 50,000 customers."""
    return customer_field(organization, required=False, widget=forms.HiddenInput)


class DocumentFilterForm(forms.Form):
    state = forms.ChoiceField(required=False)
    customer = forms.ModelChoiceField(queryset=None, required=False)
    customer_name = forms.CharField(
        required=False,
        max_length=100,
        label="Customer",
        widget=forms.TextInput(attrs={"placeholder": "Name", "type": "search"}),
    )
    number = forms.CharField(required=False, max_length=32, label="Number")
    overdue = forms.BooleanField(required=False, label="Overdue only")

    def __init__(self, *args, organization, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", "All states")] + [
            (state.value, state.label) for state in STATES_BY_KIND[Kind(kind)]
        ]
        self.fields["customer"] = customer_filter_field(organization)
        if kind != Kind.INVOICE:
            del self.fields["overdue"]

    def filters(self) -> dict | None:
        """The filters to apply, or None when the input is not valid (then nothing matches)."""
        if not self.is_bound:
            return {}
        if not self.is_valid():
            return None
        return {
            "state": self.cleaned_data["state"],
            "customer": self.cleaned_data["customer"],
            "customer_name": self.cleaned_data["customer_name"].strip(),
            "number": self.cleaned_data["number"].strip(),
            "overdue": self.cleaned_data.get("overdue", False),
        }


class DocumentForm(forms.Form):
    """The document's own fields. The customer is chosen only at creation: moving a document
    to another customer is a re-assignment, which also kills its links."""

    customer = forms.ModelChoiceField(queryset=None)
    currency = forms.ChoiceField(
        required=False,
        choices=[("", "Customer's currency")] + CURRENCY_CHOICES,
    )
    issue_date = date_field()
    due_date = date_field(required=False, help_text="Leave empty to use your payment terms.")
    valid_until = date_field(required=False, label="Valid until")
    notes = forms.CharField(
        required=False, max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3})
    )
    terms = forms.CharField(
        required=False, max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, organization, kind: str, document: Document | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        if document is None:
            self.fields["customer"] = customer_field(organization)
        else:
            del self.fields["customer"], self.fields["currency"]
        if kind != Kind.INVOICE:
            del self.fields["due_date"]
        if kind != Kind.QUOTE:
            del self.fields["valid_until"]

    def clean(self) -> dict:
        data = super().clean()
        issue_date = data.get("issue_date")
        for name, label in (("due_date", "due date"), ("valid_until", "valid-until date")):
            value = data.get(name)
            if issue_date and value and value < issue_date:
                self.add_error(name, f"The {label} cannot be before the issue date.")
        return data


def _labelled(widget: type[forms.Widget], label: str) -> forms.Widget:
    """The line inputs sit under one table header, so each carries its own accessible name."""
    return widget(attrs={"aria-label": label})


class LineForm(forms.Form):
    description = forms.CharField(
        max_length=MAX_DESCRIPTION, widget=_labelled(forms.TextInput, "Description")
    )
    # Digits follow the DocumentLine columns, so nothing valid here can overflow them.
    quantity = DecimalField(
        max_digits=12, decimal_places=3, widget=_labelled(forms.NumberInput, "Quantity")
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
        return data

    def line_input(self) -> LineInput:
        data = self.cleaned_data
        return LineInput(
            description=data["description"],
            quantity=data["quantity"],
            unit_price=data["unit_price"],
            tax_rate=data.get("tax_rate") or Decimal("0"),
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
    extra=0,
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
        }
        for line in document.lines.all()
    ]


class ReassignForm(forms.Form):
    customer = forms.ModelChoiceField(queryset=None, label="New customer")

    def __init__(self, *args, organization, document: Document, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"] = customer_field(organization, label="New customer")
        self.fields["customer"].queryset = self.fields["customer"].queryset.exclude(
            pk=document.customer_id
        )


class ConvertForm(forms.Form):
    to_kind = forms.ChoiceField(
        choices=[(Kind.INVOICE, "Invoice"), (Kind.SALES_ORDER, "Sales order")]
    )


class PaymentFilterForm(forms.Form):
    customer = forms.ModelChoiceField(queryset=None, required=False)
    customer_name = forms.CharField(
        required=False,
        max_length=100,
        label="Customer",
        widget=forms.TextInput(attrs={"placeholder": "Name", "type": "search"}),
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"] = customer_filter_field(organization)


class PaymentCustomerForm(forms.Form):
    """Step one of recording a payment: whose payment it is (also `?customer=<id>`)."""

    customer = forms.ModelChoiceField(queryset=None)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"] = customer_field(organization)
        # static/js/app.js submits on change; the button does it without JS.
        self.fields["customer"].widget.attrs["data-autosubmit"] = ""


def _money_field(**kwargs) -> DecimalField:
    # 12 whole digits: far beyond any real payment, and well inside the money columns.
    return DecimalField(
        max_digits=15, decimal_places=3, widget=forms.NumberInput(attrs={"step": "any"}), **kwargs
    )


ALLOCATION_PREFIX = "allocation_"


class PaymentForm(forms.Form):
    """Step two: the payment, with one allocation input per payable invoice of the customer."""

    date = date_field()
    amount = _money_field()
    currency = forms.ChoiceField(choices=CURRENCY_CHOICES)
    method = forms.ChoiceField(choices=PaymentMethod.choices)
    reference = forms.CharField(required=False, max_length=100)
    issue_receipt = forms.BooleanField(required=False, label="Issue a receipt")

    def __init__(self, *args, customer: Customer, invoices: list[Document], today, **kwargs):
        kwargs.setdefault("initial", {"date": today, "currency": customer.currency})
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.invoices = invoices
        for invoice in invoices:
            self.fields[f"{ALLOCATION_PREFIX}{invoice.pk}"] = _money_field(
                required=False, label=f"Allocate to {invoice.number}"
            )

    @property
    def allocation_rows(self) -> list[tuple[Document, forms.BoundField]]:
        return [(invoice, self[f"{ALLOCATION_PREFIX}{invoice.pk}"]) for invoice in self.invoices]

    def clean_amount(self) -> Decimal:
        amount = self.cleaned_data["amount"]
        if amount <= 0:
            raise ValidationError("Enter an amount greater than zero.")
        return amount

    def clean(self) -> dict:
        data = super().clean()
        # Only the invoices shown may be paid: an id of another customer's or another
        # business's invoice is never looked up, just refused.
        known = {f"{ALLOCATION_PREFIX}{invoice.pk}" for invoice in self.invoices}
        if any(k.startswith(ALLOCATION_PREFIX) and k not in known for k in self.data):
            raise ValidationError(
                "Payments can only be allocated to this customer's open invoices."
            )
        currency = data.get("currency") or self.customer.currency
        if data.get("amount") and (problem := minor_unit_error(data["amount"], currency)):
            self.add_error("amount", problem)
        total = Decimal("0")
        for invoice, field in self.allocation_rows:
            amount = data.get(field.name)
            if amount is None or amount == 0:
                continue
            if amount < 0:
                self.add_error(field.name, "Enter an amount greater than zero.")
                continue
            if problem := minor_unit_error(amount, currency):
                self.add_error(field.name, problem)
                continue
            if round_money(amount, currency) > invoice.balance_due:
                self.add_error(
                    field.name,
                    f"Only {round_money(invoice.balance_due, invoice.currency)} "
                    f"{invoice.currency} is still due on {invoice.number}.",
                )
            total += amount
        if data.get("amount") and total > data["amount"]:
            raise ValidationError("The allocations add up to more than the payment.")
        return data

    def allocations(self) -> list[tuple[Document, Decimal]]:
        return [
            (invoice, self.cleaned_data[field.name])
            for invoice, field in self.allocation_rows
            if self.cleaned_data.get(field.name)
        ]
