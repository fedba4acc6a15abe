"""What may happen to a time entry, in one table: the only place that knows when an entry
is locked. Services ask `check()` before changing one entry and filter with `allowed()`
before changing many in one UPDATE, so the form, the API and the customer's decisions
all obey the same rules.
"""

from dataclasses import dataclass

from django.db.models import Q

from solabooks.core.errors import DomainError

from .models import EntryState, TimeEntry


@dataclass(frozen=True)
class EntryTransition:
    from_states: frozenset[str]
    # The state afterwards; None keeps the state it had.
    to_state: str | None
    # True: only entries waiting in an open approval request; False: only entries that are
    # not; None: either.
    in_open_request: bool | None = False
    billable_only: bool = False


P, A, R, INV = EntryState.PENDING, EntryState.APPROVED, EntryState.REJECTED, EntryState.INVOICED

TRANSITIONS: dict[str, EntryTransition] = {
    # Staff: correcting a rejected entry sends it back to pending, to be submitted again.
    "edit": EntryTransition(frozenset({P, R}), P),
    "delete": EntryTransition(frozenset({P, R}), None),
    "submit": EntryTransition(frozenset({P}), P, billable_only=True),
    "take_out": EntryTransition(frozenset({P}), P, in_open_request=True),
    # The customer, on an approval link or in the portal.
    "approve": EntryTransition(frozenset({P}), A, in_open_request=True),
    "reject": EntryTransition(frozenset({P}), R, in_open_request=True),
    # Invoicing approved time, and voiding that invoice.
    "invoice": EntryTransition(frozenset({A}), INV, billable_only=True),
    "release": EntryTransition(frozenset({INV}), A, in_open_request=None),
}

LOCKED_REASONS = {
    A: "Approved by the customer: approved time is locked so that it is invoiced as approved.",
    INV: "Invoiced: the entry is on an invoice (void the invoice to release it).",
}
IN_REQUEST_REASON = (
    "Waiting for the customer's approval: withdraw the request (or take the entry out of it) "
    "to change it."
)


class EntryLocked(DomainError):
    """An entry cannot do that in its state; the message says why (and what would unlock it)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="locked")


def lock_reason(entry: TimeEntry) -> str:
    """Why staff cannot edit or delete the entry, or "" when they can."""
    if entry.state in LOCKED_REASONS:
        return LOCKED_REASONS[entry.state]
    if entry.open_request_id is not None:
        return IN_REQUEST_REASON
    return ""


def can(entry: TimeEntry, action: str) -> bool:
    rule = TRANSITIONS[action]
    if entry.state not in rule.from_states:
        return False
    if rule.billable_only and not entry.billable:
        return False
    in_request = entry.open_request_id is not None
    return rule.in_open_request is None or rule.in_open_request == in_request


def check(entry: TimeEntry, action: str) -> str | None:
    """Raise EntryLocked unless `action` is allowed; returns the state to move to (None:
    unchanged)."""
    if not can(entry, action):
        if action in ("edit", "delete"):
            raise EntryLocked(lock_reason(entry) or "This entry cannot be changed.")
        if action == "submit" and entry.billable and entry.state == P:
            raise EntryLocked("This entry is already waiting in an approval request.")
        if action == "submit":
            raise EntryLocked("Only pending billable entries can be sent for approval.")
        if action in ("approve", "reject"):
            raise EntryLocked("This entry has already been decided.")
        if action == "invoice":
            raise EntryLocked("Only approved billable entries can be invoiced.")
        raise EntryLocked(f"A {entry.get_state_display().lower()} entry cannot do that.")
    return TRANSITIONS[action].to_state


def allowed(action: str) -> Q:
    """The entries `action` may apply to, as a filter, for changes made in one UPDATE."""
    rule = TRANSITIONS[action]
    condition = Q(state__in=rule.from_states)
    if rule.billable_only:
        condition &= Q(billable=True)
    if rule.in_open_request is True:
        condition &= Q(open_request__isnull=False)
    elif rule.in_open_request is False:
        condition &= Q(open_request__isnull=True)
    return condition
