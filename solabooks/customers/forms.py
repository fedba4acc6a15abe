from django import forms

from solabooks.core.money import CURRENCY_CHOICES

# Text areas are TextFields in the database; cap them here so a pasted novel is a form
# error rather than a very large row.
ADDRESS_MAX = 2000
NOTES_MAX = 5000


class CustomerForm(forms.Form):
    """Name, email, billing address, currency and notes of a customer.

    A plain Form (not a ModelForm) so an invalid POST never touches the Customer instance
    that the page keeps rendering.
    """

    name = forms.CharField(max_length=200)
    email = forms.EmailField(
        max_length=254, help_text="Every secure link and portal email goes to this address."
    )
    billing_address = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=ADDRESS_MAX, required=False
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


class CustomerSearchForm(forms.Form):
    q = forms.CharField(max_length=100, required=False, strip=True)
