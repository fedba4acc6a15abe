"""What may happen to a document, in one table, and the one function that makes it happen.

`TRANSITIONS[kind][action]` lists, for every kind, each action anybody or anything can take
on a document (staff buttons, sending, payments, the customer's decision on a quote, the
daily quote expiry, conversion, editing) with the states it starts from, the state each of
them leads to, the checks it makes (state_checks.py, with every refusal's sentence) and the
Activity verb it records. `apply()` is the only code in `solabooks/` that assigns
`Document.state` (`start()` gives a new document its first state; the lint test
tests/documents/test_state_lint.py holds everything else to that), so the staff page, the
API, the link page and the portal obey the same rules. Services call `check()` early when
other input checks must come after the state's, then `apply()` inside their transaction on
a row read with `services.lock_document`.

The states each kind may be in at all are `models.STATES_BY_KIND` (a database constraint
holds them there); this module says how a document moves between them.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from solabooks.activity.models import Verb
from solabooks.activity.services import Actor, record_activity
from solabooks.core.errors import InvalidTransition

from .models import OPEN_INVOICE_STATES, Document, Kind, State
from .state_checks import (
    CUSTOMER,
    EINVOICE_VALID,
    PAST_VALIDITY,
    REFUSALS,
    SHOWN_VERSION,
    SIGNER_NAMED,
    STAFF,
    SYSTEM,
    UNPAID,
    WITHIN_VALIDITY,
    Facts,
    Guard,
    cannot_move,
    not_for_kind,
    refused,
)

# Targets computed when the transition runs: the invoice's payment state (sent, partially
# paid or paid, from what has been paid against its total).
BY_PAYMENTS = "by_payments"

# A link to a document in one of these states is no longer valid, and it cannot be sent.
DEAD_STATES = frozenset({State.VOID, State.CANCELLED})

INITIAL_STATE = {
    Kind.INVOICE: State.DRAFT,
    Kind.QUOTE: State.DRAFT,
    Kind.SALES_ORDER: State.DRAFT,
    # A receipt records a payment that has happened: there is nothing to draft.
    Kind.RECEIPT: State.ISSUED,
    # A credit note is made whole by voiding a sent invoice (issue_credit_note).
    Kind.CREDIT_NOTE: State.ISSUED,
}


@dataclass(frozen=True)
class DocumentTransition:
    # Each state the action may start from, and the state it leads to from there
    # (the same state: it stays; BY_PAYMENTS: computed from the amounts).
    moves: Mapping[str, str]
    by: str
    # The Activity row apply() records. Its details are {"from": …, "to": …} unless the
    # caller gives its own (what was sent, paid, signed…).
    verb: str
    # The button on the staff document page, also an action of the API's
    # POST documents/{id}/actions/{action} ("": applied by another service).
    label: str = ""
    guards: tuple[Guard, ...] = ()
    # Staff recording the customer's decision for them ("accept", "decline"): every check of
    # that transition applies too, except those waived here, each with the reason.
    on_behalf_of: str = ""
    waived: Mapping[Guard, str] = field(default_factory=dict)
    # The first time a document leaves as sent, it keeps the moment (sent_at).
    stamps_sent_at: bool = False
    # The states from which taking the action issues a credit note in the same transaction
    # (services.transition_document): the customer already has the invoice, so their books
    # need a document that cancels it. A draft was never issued: voiding it credits nothing.
    credits_from: frozenset[str] = frozenset()

    @property
    def from_states(self) -> frozenset[str]:
        return frozenset(self.moves)


@dataclass(frozen=True)
class Checked:
    """What check() let through: an action on a document as it stood then. Given to apply()
    in the same transaction, it spares running the checks again while the document still
    stands so (sending an e-invoice builds and validates its XML: once, not twice)."""

    transition: DocumentTransition
    action: str
    document_pk: int
    state: str
    content_version: int
    facts: Facts
    button: bool

    def holds_for(self, document: Document, action: str, *, button: bool, facts: Facts) -> bool:
        return (self.action, self.document_pk, self.button, self.facts) == (
            action,
            document.pk,
            button,
            facts,
        ) and (self.state, self.content_version) == (document.state, document.content_version)


def moves(to_state: str, *from_states: str) -> dict[str, str]:
    return dict.fromkeys(from_states, to_state)


def stays(*states: str) -> dict[str, str]:
    return {state: state for state in states}


DRAFT, SENT, PART_PAID, PAID, VOID = (
    State.DRAFT,
    State.SENT,
    State.PARTIALLY_PAID,
    State.PAID,
    State.VOID,
)
ACCEPTED, DECLINED, EXPIRED = State.ACCEPTED, State.DECLINED, State.EXPIRED
CONFIRMED, FULFILLED, CANCELLED, ISSUED = (
    State.CONFIRMED,
    State.FULFILLED,
    State.CANCELLED,
    State.ISSUED,
)
CHANGED = Verb.STATE_CHANGED

NOT_SHOWN_TO_STAFF = (
    "Staff record a decision the customer made outside Solabooks (by phone, email, on "
    "paper): Solabooks showed them no version to compare, so the quote as it stands is "
    "what they mark."
)
NO_SIGNATURE_FROM_STAFF = (
    "The signed-in staff member is who the Activity names; the customer types no name."
)

# The order of each kind's buttons is the order of the staff page (and of the API's
# available_actions).
TRANSITIONS: dict[str, dict[str, DocumentTransition]] = {
    Kind.INVOICE: {
        # An invoice leaves (sent by Solabooks or by staff) with its e-invoice schema-valid.
        "mark_sent": DocumentTransition(
            moves(SENT, DRAFT),
            STAFF,
            CHANGED,
            "Mark as sent",
            guards=(EINVOICE_VALID,),
            stamps_sent_at=True,
        ),
        "void": DocumentTransition(
            moves(VOID, DRAFT, SENT),
            STAFF,
            Verb.VOIDED,
            "Void",
            guards=(UNPAID,),
            credits_from=frozenset({SENT}),
        ),
        "edit": DocumentTransition(stays(DRAFT, SENT), STAFF, Verb.EDITED),
        # Sending issues a draft; sending again (any live state) changes no state.
        "send": DocumentTransition(
            {**moves(SENT, DRAFT), **stays(SENT, PART_PAID, PAID)},
            SYSTEM,
            Verb.SENT,
            guards=(EINVOICE_VALID,),
            stamps_sent_at=True,
        ),
        # There is no way to remove a payment today; BY_PAYMENTS would move an invoice
        # back (paid -> partially paid -> sent) if amount_paid went down.
        "pay": DocumentTransition(
            {state: BY_PAYMENTS for state in OPEN_INVOICE_STATES}, SYSTEM, Verb.PAYMENT_RECORDED
        ),
    },
    Kind.QUOTE: {
        "mark_sent": DocumentTransition(
            moves(SENT, DRAFT), STAFF, CHANGED, "Mark as sent", stamps_sent_at=True
        ),
        "mark_accepted": DocumentTransition(
            moves(ACCEPTED, SENT),
            STAFF,
            CHANGED,
            "Mark accepted",
            on_behalf_of="accept",
            waived={SHOWN_VERSION: NOT_SHOWN_TO_STAFF, SIGNER_NAMED: NO_SIGNATURE_FROM_STAFF},
        ),
        "mark_declined": DocumentTransition(
            moves(DECLINED, SENT),
            STAFF,
            CHANGED,
            "Mark declined",
            on_behalf_of="decline",
            waived={SHOWN_VERSION: NOT_SHOWN_TO_STAFF},
        ),
        "mark_expired": DocumentTransition(moves(EXPIRED, SENT), STAFF, CHANGED, "Mark expired"),
        "edit": DocumentTransition(stays(DRAFT, SENT), STAFF, Verb.EDITED),
        "send": DocumentTransition(
            {**moves(SENT, DRAFT), **stays(SENT, ACCEPTED, DECLINED, EXPIRED)},
            SYSTEM,
            Verb.SENT,
            stamps_sent_at=True,
        ),
        # The customer, on the quote link or in the portal, once; the decision is final.
        "accept": DocumentTransition(
            moves(ACCEPTED, SENT),
            CUSTOMER,
            Verb.QUOTE_ACCEPTED,
            guards=(SHOWN_VERSION, SIGNER_NAMED, WITHIN_VALIDITY),
        ),
        # Declining a quote past its date is still the customer's to say.
        "decline": DocumentTransition(
            moves(DECLINED, SENT), CUSTOMER, Verb.QUOTE_DECLINED, guards=(SHOWN_VERSION,)
        ),
        # The daily job (manage.py expire_quotes), once the valid-until date has passed.
        "expire": DocumentTransition(
            moves(EXPIRED, SENT), SYSTEM, CHANGED, guards=(PAST_VALIDITY,)
        ),
        # Conversion makes a new invoice or sales order; the quote stays accepted.
        "convert": DocumentTransition(stays(ACCEPTED), STAFF, Verb.QUOTE_CONVERTED),
    },
    Kind.SALES_ORDER: {
        "confirm": DocumentTransition(moves(CONFIRMED, DRAFT), STAFF, CHANGED, "Confirm"),
        "fulfil": DocumentTransition(moves(FULFILLED, CONFIRMED), STAFF, CHANGED, "Mark fulfilled"),
        "cancel": DocumentTransition(moves(CANCELLED, DRAFT, CONFIRMED), STAFF, CHANGED, "Cancel"),
        "edit": DocumentTransition(stays(DRAFT, CONFIRMED), STAFF, Verb.EDITED),
        # Sending a draft order confirms it.
        "send": DocumentTransition(
            {**moves(CONFIRMED, DRAFT), **stays(CONFIRMED, FULFILLED)},
            SYSTEM,
            Verb.SENT,
            stamps_sent_at=True,
        ),
    },
    Kind.RECEIPT: {
        "send": DocumentTransition(stays(ISSUED), SYSTEM, Verb.SENT, stamps_sent_at=True),
    },
    # Issued by voiding a sent invoice, final from then on: sending (again) is all it does.
    Kind.CREDIT_NOTE: {
        # Its e-invoice (type 381) passes the same schema check as an invoice's.
        "send": DocumentTransition(
            stays(ISSUED), SYSTEM, Verb.SENT, guards=(EINVOICE_VALID,), stamps_sent_at=True
        ),
    },
}

# Every action a staff member can ask for by name (the document page's buttons, the API).
STAFF_ACTIONS = sorted(
    {action for actions in TRANSITIONS.values() for action, t in actions.items() if t.label}
)


# --- Asking and applying ------------------------------------------------------------------


def _find(kind: str, action: str) -> DocumentTransition | None:
    return TRANSITIONS.get(kind, {}).get(action)


def guards_of(transition: DocumentTransition, kind: str) -> tuple[Guard, ...]:
    """Its own checks, then those of the customer's transition it records for them (minus
    the waived ones)."""
    guards = list(transition.guards)
    if transition.on_behalf_of:
        for guard in TRANSITIONS[kind][transition.on_behalf_of].guards:
            if guard not in transition.waived and guard not in guards:
                guards.append(guard)
    return tuple(guards)


def can(document: Document, action: str) -> bool:
    """Whether `action` may start from the document's kind and state (and the checks that
    hide a staff button pass). The other checks run in `check()`."""
    transition = _find(document.kind, action)
    if transition is None or document.state not in transition.moves:
        return False
    facts = Facts()
    return not any(
        guard.refusal(document, facts, transition)
        for guard in guards_of(transition, document.kind)
        if guard.hides_button
    )


def check(
    document: Document,
    action: str,
    *,
    button: bool = False,
    shown_version: int | None = None,
    signer_name: str = "",
) -> Checked:
    """Raise InvalidTransition (a DomainError with a message for the user) unless `action`
    is allowed now; returns what passed, for apply(). `button`: only a staff button's action
    (what a staff member or API key may ask for by name)."""
    wrong_kind, wrong_state = REFUSALS.get(action, (not_for_kind, cannot_move))
    transition = _find(document.kind, action)
    if transition is None or (button and not transition.label):
        raise refused((not_for_kind if button else wrong_kind)(document, action, transition))
    if document.state not in transition.moves:
        raise refused(wrong_state(document, action, transition))
    facts = Facts(shown_version=shown_version, signer_name=signer_name)
    for guard in guards_of(transition, document.kind):
        message = guard.refusal(document, facts, transition)
        if message:
            raise InvalidTransition(message, code=guard.code)
    return Checked(
        transition=transition,
        action=action,
        document_pk=document.pk,
        state=document.state,
        content_version=document.content_version,
        facts=facts,
        button=button,
    )


def payment_state(invoice: Document) -> str:
    """Sent, partially paid or paid, from what has been paid against the total."""
    if invoice.amount_paid <= 0:
        return State.SENT
    if invoice.amount_paid >= invoice.total:
        return State.PAID
    return State.PARTIALLY_PAID


def target_state(document: Document, action: str) -> str:
    """The state `action` leads to from the document's state (check() first)."""
    to_state = TRANSITIONS[document.kind][action].moves[document.state]
    return payment_state(document) if to_state == BY_PAYMENTS else to_state


def start(document: Document) -> None:
    """A new, unsaved document takes its kind's first state (create_document saves it and
    records its Activity)."""
    document.state = INITIAL_STATE[document.kind]


def apply(
    document: Document,
    action: str,
    *,
    actor: Actor,
    details: dict | None = None,
    fields: tuple[str, ...] = (),
    button: bool = False,
    shown_version: int | None = None,
    signer_name: str = "",
    checked: Checked | None = None,
) -> Document:
    """Check `action`, move the document to its state, save it with `fields` (other columns
    the caller changed), and record the transition's Activity: `details`, or by default
    where it came from and went to. Runs inside the caller's transaction, on a document read
    with `services.lock_document`, so of two concurrent transitions the second sees the
    first's state. `checked`: what the caller's check() returned in this transaction; the
    checks are not run again unless the document's state or version moved since."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("states.apply() runs inside the caller's transaction.")
    facts = Facts(shown_version=shown_version, signer_name=signer_name)
    if checked is None or not checked.holds_for(document, action, button=button, facts=facts):
        checked = check(
            document, action, button=button, shown_version=shown_version, signer_name=signer_name
        )
    transition = checked.transition
    previous = document.state
    document.state = target_state(document, action)
    changed = list(fields)
    if document.state != previous:
        changed.append("state")
    if transition.stamps_sent_at and document.sent_at is None:
        document.sent_at = timezone.now()
        changed.append("sent_at")
    if changed:
        document.save(update_fields=[*changed, "updated_at"])
    record_activity(
        organization=document.organization,
        document=document,
        verb=transition.verb,
        actor=actor,
        details={"from": previous, "to": document.state} if details is None else details,
    )
    return document


def allowed(kind: str, action: str) -> Q:
    """The documents `action` may start from, as a filter (for jobs that go through many:
    each one is still checked under its row lock by apply())."""
    return Q(kind=kind, state__in=TRANSITIONS[kind][action].from_states)


def available_actions(document: Document) -> list[tuple[str, str]]:
    """The staff buttons the document offers now: (action, label), in the table's order."""
    return [
        (action, transition.label)
        for action, transition in TRANSITIONS.get(document.kind, {}).items()
        if transition.label and can(document, action)
    ]


def issues_credit_note(kind: str, action: str, from_state: str) -> bool:
    """Whether taking `action` on a document of `kind` in `from_state` issues a credit note
    (the table's credits_from)."""
    transition = _find(kind, action)
    return transition is not None and from_state in transition.credits_from


def is_dead(document: Document) -> bool:
    return document.state in DEAD_STATES
