"""Portal forms: parse and bound the input; the rules themselves live in services."""

from django import forms
from django.contrib.auth import password_validation

from .services import MAX_PASSWORD_LENGTH

EMAIL_MAX = 254


def password_field(label: str, *, autocomplete: str) -> forms.CharField:
    # Long passphrases are welcome (up to 4096 characters); beyond that it is a refusal,
    # not megabytes of hashing.
    return forms.CharField(
        label=label,
        max_length=MAX_PASSWORD_LENGTH,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


class LoginForm(forms.Form):
    email = forms.EmailField(
        max_length=EMAIL_MAX, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = password_field("Password", autocomplete="current-password")


class ForgotPasswordForm(forms.Form):
    email = forms.EmailField(
        max_length=EMAIL_MAX, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class NewPasswordForm(forms.Form):
    """Choose a password (setup and reset): Django's validators from settings."""

    new_password1 = password_field("New password", autocomplete="new-password")
    new_password2 = password_field("Repeat the new password", autocomplete="new-password")

    def __init__(self, *args, portal_user=None, **kwargs):
        self.portal_user = portal_user
        super().__init__(*args, **kwargs)
        self.fields[
            "new_password1"
        ].help_text = password_validation.password_validators_help_text_html()

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("new_password1"), cleaned.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", "The two passwords do not match.")
        elif first:
            try:
                password_validation.validate_password(first, user=self.portal_user)
            except forms.ValidationError as error:
                self.add_error("new_password1", error)
        return cleaned


class ChangePasswordForm(NewPasswordForm):
    current_password = password_field("Current password", autocomplete="current-password")

    field_order = ["current_password", "new_password1", "new_password2"]


class QuoteDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", "Accept"), ("decline", "Decline")])
    signer_name = forms.CharField(max_length=200, required=False)
    reason = forms.CharField(max_length=1000, required=False, widget=forms.Textarea)
    seen_version = forms.IntegerField(min_value=1, max_value=2**31 - 1)


class ChooseBusinessForm(forms.Form):
    access = forms.IntegerField(min_value=1, max_value=2**63 - 1)


class EnablePortalAccessForm(forms.Form):
    """Staff confirm the address the setup link goes to (it must be the one on file)."""

    confirm_email = forms.EmailField(max_length=EMAIL_MAX, label="Confirm the customer's email")
