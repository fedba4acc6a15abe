"""Forms for the staff document and payment pages. They parse and check input; the services
decide (and check again, under lock)."""

import datetime
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from solabooks.core.forms import DecimalField
from solabooks.core.money import CURRENCY_CHOICES, minor_unit_error, round_money
from solabooks.customers.models import Customer

# The line items have their own module; the pages and the lint tests find them here too.
from .line_forms import LineForm, LineFormSet, line_initial  # noqa: F401
from .models import STATES_BY_KIND, Document, Kind, PaymentMethod
from .overdue import OVERDUE

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


class CustomerSelect(forms.Select):
    """The customer choice of the document editor: each option carries its customer's
    currency (data-currency), so the editor's totals round the way the document will."""

    def create_option(self, name, value, *args, **kwargs) -> dict:
        option = super().create_option(name, value, *args, **kwargs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-currency"] = instance.currency
        return option


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
        states = [(state.value, state.label) for state in STATES_BY_KIND[Kind(kind)]]
        if kind == Kind.INVOICE:
            # Overdue is no stored state (overdue.py), but staff look for it among the states.
            states.insert(0, (OVERDUE, "Overdue"))
        self.fields["state"].choices = [("", "All states"), *states]
        self.fields["customer"] = customer_filter_field(organization)
        if kind != Kind.INVOICE:
            del self.fields["overdue"]

    def filters(self) -> dict | None:
        """The filters to apply, or None when the input is not valid (then nothing matches)."""
        if not self.is_bound:
            return {}
        if not self.is_valid():
            return None
        state = self.cleaned_data["state"]
        return {
            "state": "" if state == OVERDUE else state,
            "customer": self.cleaned_data["customer"],
            "customer_name": self.cleaned_data["customer_name"].strip(),
            "number": self.cleaned_data["number"].strip(),
            "overdue": state == OVERDUE or self.cleaned_data.get("overdue", False),
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
            self.fields["customer"] = customer_field(organization, widget=CustomerSelect)
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

    def editor_currency(self, organization) -> str:
        """The currency the lines are in as the form stands: the one chosen, else the chosen
        customer's, else the business's default (before a customer is chosen)."""
        if "currency" not in self.fields:
            return ""
        chosen = self["currency"].value()
        if chosen in dict(CURRENCY_CHOICES):
            return chosen
        customer_id = self["customer"].value()
        if customer_id and str(customer_id).isdigit():
            found = self.fields["customer"].queryset.filter(pk=customer_id).first()
            if found is not None:
                return found.currency
        return organization.default_currency


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
