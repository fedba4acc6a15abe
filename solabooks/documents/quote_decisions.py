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
from .acceptance import check_terms_agreed, queue_acceptance_confirmation, record_acceptance
from .models import Document
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


@transaction.atomic
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
    version the page showed (`terms_version`) to be the current one and the box ticked;
    an accepted quote gets its acceptance record (acceptance.py) in this transaction.
    """
    if decision not in (ACCEPT, DECLINE):
        raise DomainError("Choose accept or decline.")
    quote = lock_document(document)
    signer_name = " ".join((signer_name or "").split())
    reason = (reason or "").strip()
    shown = {"shown_version": seen_version, "signer_name": signer_name}
    # The state's checks (kind, still open, the version shown, the name, the date) first.
    states.check(quote, decision, **shown)
    if len(signer_name) > MAX_SIGNER_NAME:
        raise DomainError(f"The name can be at most {MAX_SIGNER_NAME} characters.")
    if len(reason) > MAX_REASON:
        raise DomainError(f"The reason can be at most {MAX_REASON} characters.")
    decided_at = timezone.now()
    terms = None
    if decision == ACCEPT:
        terms = check_terms_agreed(
            quote.organization, terms_version=terms_version, agreed=agreed_to_terms
        )
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
            quote=quote, signer_name=signer_name, decided_at=decided_at, actor=actor, terms=terms
        )
        details.update(accepted_pdf_sha256=record.pdf_sha256, terms_version=record.terms_version)
        queue_acceptance_confirmation(record=record, quote=quote)
    quote = states.apply(quote, decision, actor=actor, details=details, **shown)
    # The business hears of it, in this transaction (emailed after the burst window).
    from solabooks.notifications.services import note_quote_decided

    note_quote_decided(
        quote=quote, decision=decision, signer_name=signer_name, reason=reason, at=timezone.now()
    )
    return quote
