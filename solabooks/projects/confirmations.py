"""What a time entry's Delete and an approval request's Withdraw say before they act
(core/confirm.py)."""

from django.utils.formats import date_format

from solabooks.core.confirm import Confirmation


def time_entry_delete_confirmation(entry) -> Confirmation:
    day = date_format(entry.date, "j M Y")
    return Confirmation(
        f"Delete the time entry of {day}?",
        f"{entry.hours} hours on {day} ({entry.description}) are deleted for good.",
        "Delete entry",
    )


def withdraw_confirmation(approval_request) -> Confirmation:
    return Confirmation(
        "Withdraw this approval request?",
        "The customer's link to it stops working at once, and the entries they have not "
        "decided on can be edited again.",
        "Withdraw request",
    )
