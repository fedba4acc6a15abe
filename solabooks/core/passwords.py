"""Passwords, for staff and portal accounts alike (NIST SP 800-63B-4).

- At least 15 characters (single-factor accounts), long passphrases welcome up to 4096
  (beyond that it is a refusal, not megabytes of hashing); no composition rules.
- Not a common password (Django's list), not all digits, not like the account's email.
- Not containing the email's name (the part before @) or the name of a business or
  customer the account belongs to: `ContextWordsValidator` asks the user object for them
  (`password_context_words()`, on both user models).

The validators are Django's AUTH_PASSWORD_VALIDATORS (settings.py), so every place that
sets a password (forms, services, the API) runs the same list.
"""

import re

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

MIN_PASSWORD_LENGTH = 15
MAX_PASSWORD_LENGTH = 4096
# Shorter names ("Al", "Bo & Co") would refuse half the dictionary and protect nothing.
MIN_CONTEXT_WORD = 4


def _letters_and_digits(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def context_words(*, email: str = "", names: tuple[str, ...] | list[str] = ()) -> list[str]:
    """The words a password of this account must not contain: the email's local part, and
    each name (a business, a customer), compared without case, spaces or punctuation."""
    candidates = [email.partition("@")[0], *names]
    words = {_letters_and_digits(word) for word in candidates if word}
    return sorted(word for word in words if len(word) >= MIN_CONTEXT_WORD)


class ContextWordsValidator:
    """Refuses a password that contains the account's email name or its business or
    customer names (NIST: "context-specific words")."""

    def validate(self, password: str, user=None) -> None:
        if user is None:
            return
        words_of = getattr(user, "password_context_words", None)
        words = words_of() if callable(words_of) else context_words(email=user.email or "")
        flat = _letters_and_digits(password)
        for word in words:
            if word in flat:
                raise ValidationError(
                    "Your password cannot contain your email's name or the name of your "
                    "business or customer account.",
                    code="password_contains_context",
                )

    def get_help_text(self) -> str:
        return (
            "Your password cannot contain your email's name or the name of your business "
            "or customer account."
        )


def password_field(label: str, *, autocomplete: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=MAX_PASSWORD_LENGTH,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


class NewPasswordForm(forms.Form):
    """Choose a password (first password, reset): Django's validators from settings."""

    new_password1 = password_field("New password", autocomplete="new-password")
    new_password2 = password_field("Repeat the new password", autocomplete="new-password")

    def __init__(self, *args, user=None, **kwargs) -> None:
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields[
            "new_password1"
        ].help_text = password_validation.password_validators_help_text_html()

    def clean(self) -> dict:
        cleaned = super().clean()
        first, second = cleaned.get("new_password1"), cleaned.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", "The two passwords do not match.")
        elif first:
            try:
                password_validation.validate_password(first, user=self.user)
            except ValidationError as error:
                self.add_error("new_password1", error)
        return cleaned


class ChangePasswordForm(NewPasswordForm):
    current_password = password_field("Current password", autocomplete="current-password")

    field_order = ["current_password", "new_password1", "new_password2"]
