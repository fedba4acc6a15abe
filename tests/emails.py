"""Telling sent emails apart in tests."""

from collections.abc import Iterable

# The customer's confirmation of their own accept (documents/acceptance.py): every accept
# sends it, so tests counting other emails (the business's notifications, the customer's
# links) leave it out.
ACCEPTANCE_CONFIRMATION_SUBJECT = "You accepted"


def without_acceptance_confirmations(messages: Iterable) -> list:
    """`messages` (django.core.mail EmailMessages) minus the customer's confirmations."""
    return [m for m in messages if not m.subject.startswith(ACCEPTANCE_CONFIRMATION_SUBJECT)]
