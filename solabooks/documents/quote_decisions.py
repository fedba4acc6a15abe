"""The customer's decision on a sent quote: Accept (signed with their name) or Decline.

One service for the quote link (sharing) and the portal; the checks are the "accept" and
"decline" rows of states.TRANSITIONS, which staff's "Mark accepted / declined" share.
"""

import hashlib
import json

from django.db import transaction
from django.utils import timezone

from solabooks.activity.services import Actor
from solabooks.core.errors import DomainError
from solabooks.core.numbers import plain_text

from . import states
from .acceptance import (
    PreparedAcceptance,
    check_terms_agreed,
    kept_only_if_committed,
    prepare_acceptance,
    queue_acceptance_confirmation,
    record_acceptance,
)
from .models import Document, QuoteTerms
from .services import lock_document

ACCEPT = "accept"
DECLINE = "decline"
MAX_SIGNER_NAME = 200
MAX_REASON = 1000


def _line_content(line) -> list[str]:
    amounts = (line.quantity, line.unit_price, line.tax_rate, line.line_subtotal, line.line_tax)
    return [line.description, *(plain_text(amount) for amount in amounts)]


def quote_fingerprint(document: Document) -> str:
    """SHA-256 of exactly what the customer was shown: number, version, lines and totals.

    Recorded with the decision, so the business can prove which version was accepted.
    """
    content = {
        "number": document.number,
        "version": document.content_version,
        "customer": document.customer.name,
        "currency": document.currency,
        "issue_date": document.issue_date.isoformat(),
        "valid_until": document.valid_until.isoformat() if document.valid_until else None,
        "lines": [_line_content(line) for line in document.lines.order_by("position", "id")],
        "subtotal": plain_text(document.subtotal),
        "tax_total": plain_text(document.tax_total),
        "total": plain_text(document.total),
        "notes": document.notes,
        "terms": document.terms,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def decide_quote(
    *,
    document: Document,
    decision: str,
    signer_name: str,
    reason: str,
    seen_version: int,
    actor: Actor,
    terms_version: int | None = None,
    agreed_to_terms: bool = False,
) -> Document:
    """Accept or decline a sent quote, once. Shared by the quote link and the portal.

    The quote row is locked, so of two decisions at once exactly one wins; the other finds
    the quote decided. A decision on any version but the current one is refused, so nobody
    accepts terms they were not shown. When the business has quote terms, Accept needs the
    version the page showed (`terms_version`) to be the current one and the box ticked.
    An accepted quote gets its acceptance record (acceptance.py): its files are rendered
    before the transaction, once the checks have passed on the quote as read, so the row
    lock is held for milliseconds, not for the rendering.
    """
    if decision not in (ACCEPT, DECLINE):
        raise DomainError("Choose accept or decline.")
    signer_name = " ".join((signer_name or "").split())
    reason = (reason or "").strip()
    decision_input = {
        "decision": decision,
        "signer_name": signer_name,
        "reason": reason,
        "seen_version": seen_version,
        "terms_version": terms_version,
        "agreed_to_terms": agreed_to_terms,
    }
    prepared = None
    decided_at = timezone.now()
    if decision == ACCEPT:
        # Read afresh (not locked): the caller's instance may be older than the row.
        current = Document.objects.select_related("organization", "customer").get(pk=document.pk)
        _, terms = _check_decision(current, **decision_input)
        prepared = prepare_acceptance(
            quote=current,
            signer_name=signer_name,
            actor=actor,
            decided_at=decided_at,
            terms=terms,
        )
    with kept_only_if_committed(prepared):
        return _decide_locked(
            document=document,
            actor=actor,
            decided_at=decided_at,
            prepared=prepared,
            **decision_input,
        )


def _check_decision(
    quote: Document,
    *,
    decision: str,
    signer_name: str,
    reason: str,
    seen_version: int,
    terms_version: int | None,
    agreed_to_terms: bool,
) -> tuple[states.Checked, QuoteTerms | None]:
    """The decision's checks (the state's first: kind, still open, the version shown, the
    name, the date); returns what the state let through and the terms agreed to, if any."""
    checked = states.check(quote, decision, shown_version=seen_version, signer_name=signer_name)
    if len(signer_name) > MAX_SIGNER_NAME:
        raise DomainError(f"The name can be at most {MAX_SIGNER_NAME} characters.")
    if len(reason) > MAX_REASON:
        raise DomainError(f"The reason can be at most {MAX_REASON} characters.")
    if decision != ACCEPT:
        return checked, None
    return checked, check_terms_agreed(
        quote.organization, terms_version=terms_version, agreed=agreed_to_terms
    )


@transaction.atomic
def _decide_locked(
    *,
    document: Document,
    actor: Actor,
    decided_at,
    prepared: PreparedAcceptance | None,
    **decision_input,
) -> Document:
    quote = lock_document(document)
    checked, terms = _check_decision(quote, **decision_input)
    decision, signer_name, reason = (
        decision_input["decision"],
        decision_input["signer_name"],
        decision_input["reason"],
    )
    shown = {"shown_version": decision_input["seen_version"], "signer_name": signer_name}
    details = {
        **actor.extra,
        "decided_at": decided_at.isoformat(),
        "signer_name": signer_name,
        "reason": reason,
        "version": quote.content_version,
        "quote_sha256": quote_fingerprint(quote),
    }
    if decision == ACCEPT:
        record = record_acceptance(
            quote=quote,
            signer_name=signer_name,
            decided_at=decided_at,
            actor=actor,
            terms=terms,
            prepared=prepared,
        )
        details.update(accepted_pdf_sha256=record.pdf_sha256, terms_version=record.terms_version)
        queue_acceptance_confirmation(record=record, quote=quote)
    quote = states.apply(quote, decision, actor=actor, details=details, checked=checked, **shown)
    # The business hears of it, in this transaction (emailed after the burst window).
    from solabooks.notifications.services import note_quote_decided

    note_quote_decided(
        quote=quote, decision=decision, signer_name=signer_name, reason=reason, at=timezone.now()
    )
    return quote
