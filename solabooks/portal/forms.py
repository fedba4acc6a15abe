"""Portal forms: parse and bound the input; the rules themselves live in services."""

from django import forms

from solabooks.core.passwords import ChangePasswordForm, NewPasswordForm, password_field

__all__ = ["ChangePasswordForm", "NewPasswordForm"]  # the portal's password forms

EMAIL_MAX = 254


class LoginForm(forms.Form):
    email = forms.EmailField(
        max_length=EMAIL_MAX, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = password_field("Password", autocomplete="current-password")


class ForgotPasswordForm(forms.Form):
    email = forms.EmailField(
        max_length=EMAIL_MAX, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class ChooseBusinessForm(forms.Form):
    access = forms.IntegerField(min_value=1, max_value=2**63 - 1)


class EnablePortalAccessForm(forms.Form):
    """Staff confirm the address the setup link goes to (it must be the one on file)."""

    confirm_email = forms.EmailField(max_length=EMAIL_MAX, label="Confirm the customer's email")
