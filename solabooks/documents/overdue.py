"""Overdue, and the words a document's state is shown in: one rule for every page.

Overdue is not a state of the state machine (states.py): it is how an open invoice (sent or
partially paid, models.OPEN_INVOICE_STATES) looks once its due date is before the business's
today (`Organization.today()`, in the business's time zone). Nothing stores it, so nothing
has to move an invoice into it at midnight, and a payment or a new due date changes it at
once. Staff lists, the dashboard, the document page, the portal, the link page, the PDF and
the API all ask this module.

Customers see states in their own words (`customer_state_label`): "Due", "Overdue", "Paid",
"Accepted"… never the internal "Sent".
"""

import datetime
from dataclasses import dataclass

from django.db.models import Q

from .models import OPEN_INVOICE_STATES, Document, Kind, State


def days_overdue_of(
    *, kind: str, state: str, due_date: datetime.date | None, today: datetime.date
) -> int:
    """Whole days an invoice is past its due date (0: not overdue). From plain values, so
    the API's value rows (api/reads.py) use the same rule as the pages."""
    if kind != Kind.INVOICE or state not in OPEN_INVOICE_STATES or due_date is None:
        return 0
    return max((today - due_date).days, 0)


# The state filters' choice for overdue invoices (staff list, portal): shown, never stored.
OVERDUE = "overdue"


def overdue_on(today: datetime.date) -> Q:
    """The same rule as a filter: invoices open on `today` and due before it."""
    return Q(kind=Kind.INVOICE, state__in=OPEN_INVOICE_STATES, due_date__lt=today)


def days_overdue(document: Document, today: datetime.date) -> int:
    return days_overdue_of(
        kind=document.kind, state=document.state, due_date=document.due_date, today=today
    )


def is_overdue(document: Document, today: datetime.date) -> bool:
    return days_overdue(document, today) > 0


def overdue_text(days: int) -> str:
    return f"Overdue · {days} day{'' if days == 1 else 's'}"


@dataclass(frozen=True)
class StateLabel:
    text: str
    # The badge's CSS class suffix (state-<css>): the stored state, or "overdue".
    css: str


def staff_state_label(document: Document, today: datetime.date) -> StateLabel:
    """What staff pages show: the state, or "Overdue · 12 days" for an overdue invoice."""
    days = days_overdue(document, today)
    if days:
        return StateLabel(overdue_text(days), "overdue")
    return StateLabel(document.get_state_display(), document.state)


# The customer's words for each kind's states. Missing: the state's own label (a customer
# never sees a draft, but a staff preview may).
CUSTOMER_LABELS = {
    Kind.INVOICE: {
        State.SENT: "Due",
        State.PARTIALLY_PAID: "Partly paid",
        State.PAID: "Paid",
        State.VOID: "Cancelled",
    },
    Kind.QUOTE: {State.SENT: "Awaiting your reply"},
    Kind.RECEIPT: {State.ISSUED: "Paid"},
}


def customer_state_words(kind: str, state: str) -> str:
    """A stored state in the customer's words (not overdue: that depends on the day)."""
    return CUSTOMER_LABELS.get(kind, {}).get(state) or State(state).label


def customer_state_label(document: Document, today: datetime.date) -> StateLabel:
    """What the customer sees (link page, portal, PDF): "Due", "Overdue", "Paid"…; the days
    are left out, as a PDF keeps its words for days."""
    if is_overdue(document, today):
        return StateLabel("Overdue", "overdue")
    return StateLabel(customer_state_words(document.kind, document.state), document.state)


def customer_state_choices(kind: str, states: list[str]) -> list[tuple[str, str]]:
    """The portal's status filter in the customer's words."""
    return [(state, customer_state_words(kind, state)) for state in states]
