"""The checks of documents/states.py's table beyond a document's kind and state, and the
sentences a refused transition answers with: what the user reads lives here, what may
happen lives in the table.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from solabooks.core.errors import DomainError, InvalidTransition

from .models import Document, Kind, State

if TYPE_CHECKING:  # states.py builds its table on this module
    from .states import DocumentTransition

# Who takes the action: a staff member (the document page or the API), the customer (the
# quote link or the portal), or Solabooks itself (sending, payments, the daily expiry).
STAFF, CUSTOMER, SYSTEM = "staff", "customer", "system"


@dataclass(frozen=True)
class Facts:
    """What the caller knows besides the document: what the customer was shown and signed."""

    shown_version: int | None = None
    signer_name: str = ""


@dataclass(frozen=True)
class Guard:
    """A check beyond the starting state. `refusal` returns the message (None: passes)."""

    name: str
    code: str
    refusal: Callable[[Document, Facts, "DocumentTransition"], str | None]
    # True: a failing guard hides the staff button. False: the button stays and a click
    # says why (like the customer's page, which shows its forms and explains a refusal).
    hides_button: bool = False

    def __repr__(self) -> str:
        return self.name


def _unpaid(document: Document, facts: Facts, transition) -> str | None:
    if document.amount_paid > 0:
        return "An invoice with payments cannot be voided; remove the payments first."
    return None


def _shown_version(document: Document, facts: Facts, transition) -> str | None:
    if facts.shown_version != document.content_version:
        return "This quote has changed since you opened it. Please review the current version."
    return None


def _signer_named(document: Document, facts: Facts, transition) -> str | None:
    if not facts.signer_name:
        return "Please type your full name to accept."
    return None


def _within_validity(document: Document, facts: Facts, transition) -> str | None:
    valid_until = document.valid_until
    if not valid_until or document.organization.today() <= valid_until:
        return None
    if transition.by == CUSTOMER:
        return (
            f"This quote was valid until {valid_until:%d %b %Y} and can no longer be "
            "accepted. Please contact us for a new one."
        )
    return (
        f"{document.number} was valid until {valid_until:%d %b %Y} and can no longer be "
        "accepted. Change its valid-until date first if the customer accepted it in time."
    )


def _past_validity(document: Document, facts: Facts, transition) -> str | None:
    valid_until = document.valid_until
    if valid_until and valid_until < document.organization.today():
        return None
    return f"{document.number} is still valid; it expires after its valid-until date."


def _einvoice_valid(document: Document, facts: Facts, transition) -> str | None:
    """An invoice that carries e-invoice data leaves only with XML that passes the Factur-X
    schema (einvoice.services.check_einvoice_before_sending says why not)."""
    # Imported here: the einvoice app builds on the documents app.
    from solabooks.einvoice.services import check_einvoice_before_sending

    try:
        check_einvoice_before_sending(document)
    except DomainError as error:
        return error.message
    return None


UNPAID = Guard("UNPAID", "invalid_transition", _unpaid, hides_button=True)
# Sending or marking as sent: the button stays, a click says what failed.
EINVOICE_VALID = Guard("EINVOICE_VALID", "einvoice_invalid", _einvoice_valid)
SHOWN_VERSION = Guard("SHOWN_VERSION", "stale_version", _shown_version)
SIGNER_NAMED = Guard("SIGNER_NAMED", "signer_required", _signer_named)
# The business's today (Organization.today): the valid-until date is its last day.
WITHIN_VALIDITY = Guard("WITHIN_VALIDITY", "quote_expired", _within_validity)
PAST_VALIDITY = Guard("PAST_VALIDITY", "still_valid", _past_validity)


def _kind_words(document: Document) -> tuple[str, str]:
    kind = document.get_kind_display().lower()
    return ("an" if kind[0] in "aeiou" else "a"), kind


def _state_words(document: Document) -> str:
    return document.get_state_display().lower()


def not_for_kind(document: Document, action: str, transition) -> str:
    article, kind = _kind_words(document)
    return f"“{action}” is not something {article} {kind} can do."


def cannot_move(document: Document, action: str, transition) -> str:
    # Every staff action leads to one state, whichever it starts from.
    (target,) = set(transition.moves.values())
    return (
        f"{document.number} is {_state_words(document)}; it cannot be moved to "
        f"{State(target).label.lower()}."
    )


def _quote_decided(document: Document, action: str, transition) -> tuple[str, str]:
    if document.state in (State.ACCEPTED, State.DECLINED):
        return (
            f"This quote has already been {_state_words(document)}; the decision is final.",
            "already_decided",
        )
    return (
        f"This quote is {_state_words(document)} and can no longer be accepted or declined.",
        "not_open",
    )


def _not_editable(document: Document, action: str, transition) -> str:
    kind, state = document.get_kind_display().lower(), _state_words(document)
    article = "An" if state[0] in "aeiou" else "A"
    return f"{article} {state} {kind} can no longer be edited."


def _not_payable(document: Document, action: str, transition) -> tuple[str, str]:
    if document.kind == Kind.INVOICE and document.state == State.DRAFT:
        # A draft has not been issued: no sent date, nothing owed yet.
        return f"{document.number} is a draft. Send it or mark it as sent first.", INPUT
    return f"{document.number} is not an open invoice.", INPUT


def _not_sendable(document: Document, action: str, transition) -> tuple[str, str]:
    return f"{document.number} is {_state_words(document)}; it can no longer be sent.", INPUT


def _only_quotes_decide(document: Document, action: str, transition) -> tuple[str, str]:
    return "Only quotes can be accepted or declined.", INPUT


def _only_quotes_convert(document: Document, action: str, transition) -> tuple[str, str]:
    return "Only quotes can be converted.", INPUT


def _only_accepted_converts(document: Document, action: str, transition) -> str:
    return "Only an accepted quote can be converted."


# The plain DomainError code: refusals that name the wrong document rather than the wrong
# moment keep the code they have always had (the API's error.code).
INPUT = "invalid"

Refusal = Callable[[Document, str, "DocumentTransition | None"], str | tuple[str, str]]
# action -> (the answer for a kind without the action, for a state it cannot start from);
# an answer may come with its own error code (default "invalid_transition"). Actions not
# listed answer with not_for_kind / cannot_move.
REFUSALS: dict[str, tuple[Refusal, Refusal]] = {
    "accept": (_only_quotes_decide, _quote_decided),
    "decline": (_only_quotes_decide, _quote_decided),
    "convert": (_only_quotes_convert, _only_accepted_converts),
    "edit": (_not_editable, _not_editable),
    "pay": (_not_payable, _not_payable),
    "send": (not_for_kind, _not_sendable),
}


def refused(message: str | tuple[str, str]) -> InvalidTransition:
    """The error to raise for a refusal's answer."""
    if isinstance(message, tuple):
        return InvalidTransition(message[0], code=message[1])
    return InvalidTransition(message)
