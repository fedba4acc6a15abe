from django import forms

from solabooks.core import identifiers
from solabooks.core.errors import DomainError
from solabooks.core.forms import country_field, identifier_field
from solabooks.core.money import CURRENCY_CHOICES

# Text areas are TextFields in the database; cap them here so a pasted novel is a form
# error rather than a very large row.
ADDRESS_MAX = 2000
NOTES_MAX = 5000


class CustomerForm(forms.Form):
    """Name, email, postal address, tax details, currency and notes of a customer.

    A plain Form (not a ModelForm) so an invalid POST never touches the Customer instance
    that the page keeps rendering.
    """

    name = forms.CharField(max_length=200)
    email = forms.EmailField(
        max_length=254, help_text="Every secure link and portal email goes to this address."
    )
    billing_address = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=ADDRESS_MAX,
        required=False,
        label="Street address",
    )
    postcode = forms.CharField(max_length=20, required=False)
    city = forms.CharField(max_length=100, required=False)
    country = country_field(help_text="Needed for e-invoices.")
    vat_id = identifier_field(
        max_length=30,
        label="VAT identifier (optional)",
        help_text="With its country code, e.g. FR40303265045. Needed for reverse charge.",
    )
    buyer_reference = forms.CharField(
        max_length=100,
        required=False,
        label="Buyer reference (optional)",
        help_text="Printed on their invoices and in the e-invoice: their purchase order "
        "number or routing id (e.g. a Leitweg-ID).",
    )
    currency = forms.ChoiceField(choices=CURRENCY_CHOICES)
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=NOTES_MAX,
        required=False,
        help_text="Only staff see notes.",
    )

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean(self) -> dict:
        # The service's own rule, so the field can show its error.
        data = super().clean()
        if "vat_id" in data:
            try:
                data["vat_id"] = identifiers.clean_vat_id(
                    data["vat_id"], country=data.get("country", "")
                )
            except DomainError as error:
                self.add_error("vat_id", error.message)
        return data


class CustomerSearchForm(forms.Form):
    q = forms.CharField(max_length=100, required=False, strip=True)
