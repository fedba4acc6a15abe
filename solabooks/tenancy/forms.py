from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import validate_password

from solabooks.core import identifiers
from solabooks.core.errors import DomainError
from solabooks.core.forms import IdField, country_field, identifier_field
from solabooks.core.money import CURRENCY_CHOICES
from solabooks.core.passwords import password_field

from .models import Role, User, hex_colour, number_prefix
from .services import (
    ADDRESS_MAX,
    LOGO_MAX_SIDE,
    MAX_PAYMENT_TERMS_DAYS,
    validate_logo,
)
from .time_zones import time_zone_choices


class StaffLoginForm(forms.Form):
    """Parses the sign-in; the check itself (throttled) is tenancy.accounts.sign_in."""

    email = forms.EmailField(
        max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "username"})
    )
    password = password_field("Password", autocomplete="current-password")


class ForgotPasswordForm(forms.Form):
    email = forms.EmailField(
        max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "username"})
    )


class PrefixField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(max_length=10, validators=[number_prefix], **kwargs)

    def to_python(self, value):
        return super().to_python(value).upper()


class OrganizationSettingsForm(forms.Form):
    """Settings and branding. A plain Form, not a ModelForm on request.organization: an
    invalid POST must not change the object the page (and its brand colour) renders from."""

    name = forms.CharField(max_length=200, label="Business name")
    address = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=ADDRESS_MAX,
        required=False,
        label="Street address",
        help_text="Street and building; postcode, city and country below.",
    )
    postcode = forms.CharField(max_length=20, required=False)
    city = forms.CharField(max_length=100, required=False)
    country = country_field()
    legal_name = forms.CharField(
        max_length=200,
        required=False,
        help_text="As registered, e.g. “Demo Co Ltd”; printed when it differs from the "
        "business name.",
    )
    vat_id = identifier_field(
        max_length=30,
        label="VAT identifier",
        help_text="With its country code, e.g. DE123456789.",
    )
    registration_id = forms.CharField(
        max_length=50,
        required=False,
        label="Legal registration identifier (optional)",
        help_text="Company register number, e.g. HRB 12345.",
    )
    iban = identifier_field(max_length=42, label="IBAN (optional)")
    bic = identifier_field(max_length=14, label="BIC (optional)")
    reply_to_email = forms.EmailField(
        max_length=254,
        required=False,
        label="Reply-to email",
        help_text="Customers' replies to document emails go here.",
    )
    logo = forms.FileField(
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
        help_text=(
            f"PNG, JPEG or WebP, at most {settings.LOGO_MAX_BYTES / 1024 / 1024:g} MB and "
            f"{LOGO_MAX_SIDE}×{LOGO_MAX_SIDE} pixels."
        ),
    )
    remove_logo = forms.BooleanField(required=False, label="Remove the current logo")
    brand_colour = forms.CharField(
        max_length=7,
        validators=[hex_colour],
        widget=forms.TextInput(attrs={"type": "color"}),
        help_text="Used on documents, links and the customer portal.",
    )
    default_currency = forms.ChoiceField(
        choices=CURRENCY_CHOICES, help_text="New customers start with this currency."
    )
    time_zone = forms.ChoiceField(
        choices=time_zone_choices,
        # zone-filter.js adds a filter box above it ("paris", "pst", "+05:30").
        widget=forms.Select(attrs={"data-zone-filter": ""}),
        help_text="Every time on your pages, emails and documents is shown in this zone.",
    )
    payment_terms_days = forms.IntegerField(
        min_value=0,
        max_value=MAX_PAYMENT_TERMS_DAYS,
        label="Payment terms (days)",
        help_text="Invoices are due this many days after their issue date.",
    )
    invoice_prefix = PrefixField()
    quote_prefix = PrefixField()
    sales_order_prefix = PrefixField()
    receipt_prefix = PrefixField()
    credit_note_prefix = PrefixField()
    allow_portal_setup_from_link = forms.BooleanField(
        required=False, label="Customers may set up a portal account from a secure link"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The stored zone stays selectable even when it is a legacy alias outside the list.
        current = self.initial.get("time_zone", "")
        self.fields["time_zone"].choices = time_zone_choices(current)

    def clean(self) -> dict:
        """The VAT identifier, IBAN and BIC are checked by the service's own rules (check
        digits, the country's format), so the form and the service never disagree."""
        data = super().clean()
        checks = {
            "vat_id": lambda v: identifiers.clean_vat_id(v, country=data.get("country", "")),
            "iban": identifiers.clean_iban,
            "bic": identifiers.clean_bic,
        }
        for name, check in checks.items():
            if name in data:
                try:
                    data[name] = check(data[name])
                except DomainError as error:
                    self.add_error(name, error.message)
        if data.get("bic") and not data.get("iban") and "iban" not in self.errors:
            self.add_error("bic", "Enter the IBAN this BIC belongs to, or leave the BIC empty.")
        return data

    def clean_brand_colour(self) -> str:
        return self.cleaned_data["brand_colour"].lower()

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if logo:
            try:
                validate_logo(logo)
            except DomainError as error:
                raise forms.ValidationError(error.message) from None
        return logo


class MemberAddForm(forms.Form):
    email = forms.EmailField(max_length=254)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MANAGER)
    password = forms.CharField(
        widget=forms.PasswordInput,
        max_length=4096,
        strip=False,
        required=False,
        label="Initial password (new accounts only)",
        help_text="Only for someone without a Solabooks account. Leave empty and they "
        "cannot sign in until a password is set.",
    )

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        email, password = cleaned.get("email"), cleaned.get("password")
        if email and password:
            try:
                validate_password(password, user=User(email=email))
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What uses this key, e.g. “Accounting sync”.")


class SwitchOrganizationForm(forms.Form):
    organization = IdField()
