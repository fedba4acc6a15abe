"""What the document page's destructive buttons say before they act (core/confirm.py):
the same words in the page's dialog and on the confirmation page shown without JavaScript."""

from solabooks.core.confirm import Confirmation

from . import states
from .models import Document, Kind
from .numbering import next_number

# The staff actions that cannot be undone; the others act at once.
ASKS_FIRST = ("void", "cancel")


def transition_confirmation(document: Document, action: str) -> Confirmation | None:
    if action not in ASKS_FIRST or not states.can(document, action):
        return None
    kind = document.get_kind_display().lower()
    number = document.number
    customer = document.customer.name
    if action == "void" and states.issues_credit_note(document.kind, action, document.state):
        credit_note = next_number(organization=document.organization, kind=Kind.CREDIT_NOTE)
        message = (
            f"Credit note {credit_note} will be issued to {customer} to cancel {number}, "
            "and the customer's links to it stop working. This cannot be undone."
        )
    else:
        done = "void" if action == "void" else "cancelled"
        message = (
            f"{number} will be {done} and the customer's links to it stop working. "
            "This cannot be undone."
        )
    verb = "Void" if action == "void" else "Cancel"
    return Confirmation(f"{verb} {kind} {number}?", message, f"{verb} {kind}")


def reassign_confirmation(document: Document) -> Confirmation:
    return Confirmation(
        f"Re-assign {document.number}?",
        f"{document.number} moves to the customer you chose, and every link already sent "
        f"to {document.customer.name} for it stops working at once.",
        "Re-assign",
    )
