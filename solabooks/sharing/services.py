"""Secure links: minting, sending, renewing, revoking, and the customer's decisions on them.

Every state change of the sharing app is here, one transaction each, and writes its own
Activity rows. The raw token exists only in the return value of `issue_link` and in the
email it is handed to; rows and activity keep the token's SHA-256 and the link's id.
"""

import datetime
import hashlib
import json
import secrets
import zoneinfo
from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from solabooks.activity.accesslog import RowUpdate
from solabooks.activity.models import Verb
from solabooks.activity.services import Actor, append_activity, record_activity
from solabooks.core.errors import DomainError
from solabooks.core.numbers import plain_text
from solabooks.documents.models import Document, Kind, State
from solabooks.documents.services import first_view_update, lock_document, mark_document_sent
from solabooks.mail.models import OutboxMessage

from . import emails
from .models import LinkPurpose, SecureLink
from .selectors import LinkState, hash_token, link_state, unrevoked_customer_links

# The guide: "The link expires 24 hours from creation, regardless of any custom expiry
# input. This is by design and cannot be extended."
LINK_LIFETIME = datetime.timedelta(hours=24)
TOKEN_BYTES = 32  # 256 bits of randomness

MAX_SUBJECT = 200
MAX_MESSAGE = 5000
MAX_SIGNER_NAME = 200
MAX_REASON = 1000


@dataclass(frozen=True)
class IssuedLink:
    link: SecureLink
    # Exists only in memory, on its way into an email. Never stored, logged or returned.
    raw_token: str
    # True when the caller asked for any expiry other than exactly LINK_LIFETIME.
    expiry_overridden: bool


@dataclass(frozen=True)
class SendResult:
    link: SecureLink
    sent_to: str
    subject: str
    expiry_overridden: bool
    outbox_message: OutboxMessage


def _asks_for_other_lifetime(requested, *, expires_at: datetime.datetime) -> bool:
    """Whether a requested expiry differs from the fixed lifetime (which wins regardless)."""
    if requested is None:
        return False
    if isinstance(requested, datetime.timedelta):
        return requested != LINK_LIFETIME
    if isinstance(requested, datetime.datetime):
        return requested != expires_at
    if isinstance(requested, str):
        try:
            requested = float(requested.strip())
        except ValueError:
            return True
    if isinstance(requested, int | float) and not isinstance(requested, bool):
        return requested != LINK_LIFETIME.total_seconds()
    return True


# No savepoint inside a caller's transaction: the one INSERT either lands or the whole
# operation fails (a token collision is a 2**-256 event), and send is on the API's hot path.
@transaction.atomic(savepoint=False)
def mint_link(
    *,
    organization,
    customer,
    purpose: str,
    actor: Actor,
    document: Document | None = None,
    project=None,
    approval_request=None,
    requested_expiry=None,
) -> IssuedLink:
    """Mint a new link of any purpose for `customer`, to their email on file, valid for
    LINK_LIFETIME: a document's, a project share or a time approval (one request).

    `requested_expiry` (a timedelta, seconds, a datetime, anything) never changes the
    expiry; it only sets `expiry_overridden`, so the API can say it was overridden.
    """
    raw_token = secrets.token_urlsafe(TOKEN_BYTES)
    created_at = timezone.now()
    expires_at = created_at + LINK_LIFETIME
    link = SecureLink(
        organization=organization,
        customer=customer,
        purpose=purpose,
        document=document,
        project=project,
        approval_request=approval_request,
        token_hash=hash_token(raw_token),
        sent_to=customer.email,
        created_at=created_at,
        expires_at=expires_at,
        created_by=actor.saved_user,
    )
    # Every value is ours, none typed by a user; the database holds the invariants (unique
    # token_hash, expires_at > created_at), so no full_clean() round trips here.
    link.save(force_insert=True)
    overridden = _asks_for_other_lifetime(requested_expiry, expires_at=expires_at)
    return IssuedLink(link=link, raw_token=raw_token, expiry_overridden=overridden)


def issue_link(*, document: Document, actor: Actor, requested_expiry=None) -> IssuedLink:
    """Mint a new link to a document for its current customer."""
    return mint_link(
        organization=document.organization,
        customer=document.customer,
        purpose=LinkPurpose.DOCUMENT,
        document=document,
        actor=actor,
        requested_expiry=requested_expiry,
    )


def _check_sendable(document: Document) -> None:
    if document.is_dead:
        raise DomainError(
            f"{document.number} is {document.get_state_display().lower()}; "
            "it can no longer be sent."
        )
    if not document.customer.email:
        raise DomainError(f"{document.customer.name} has no email address on file.")


@transaction.atomic
def send_document(
    *,
    document: Document,
    actor: Actor,
    subject: str | None = None,
    message: str | None = None,
    requested_expiry=None,
) -> SendResult:
    """Email the customer a new 24-hour link to the document. Sending again is this again."""
    document = lock_document(document)
    _check_sendable(document)
    subject = (subject or "").strip() or emails.default_subject(document=document)
    # None means "the default text"; an empty string is a staff member's choice.
    message = emails.default_message(document=document) if message is None else message.strip()
    if len(subject) > MAX_SUBJECT:
        raise DomainError(f"The subject can be at most {MAX_SUBJECT} characters.")
    if len(message) > MAX_MESSAGE:
        raise DomainError(f"The message can be at most {MAX_MESSAGE} characters.")
    issued = issue_link(document=document, actor=actor, requested_expiry=requested_expiry)
    link = issued.link
    mark_document_sent(document=document)
    outbox_message = emails.queue_document_sent(
        document=document, link=link, raw_token=issued.raw_token, subject=subject, message=message
    )
    record_activity(
        organization=document.organization,
        document=document,
        verb=Verb.SENT,
        actor=actor,
        details={
            "sent_to": link.sent_to,
            "link_id": link.pk,
            "subject": subject,
            "expires_at": link.expires_at.isoformat(),
            "expiry_overridden": issued.expiry_overridden,
            "outbox_id": outbox_message.pk,
        },
    )
    return SendResult(
        link=link,
        sent_to=link.sent_to,
        subject=subject,
        expiry_overridden=issued.expiry_overridden,
        outbox_message=outbox_message,
    )


def _link_details(link: SecureLink, **extra) -> dict:
    return {"link_id": link.pk, **extra}


def record_link_access(*, link: SecureLink, verb: str, actor: Actor) -> None:
    """Record that a customer opened a link (a view or a PDF download).

    A GET does this and nothing more. It is bookkeeping, not a state change: the link is
    not used up (it opens any number of times within its 24 hours), the document's state
    does not move, and no email is sent, so mail scanners that pre-fetch links do no harm.
    It runs on every link request, so it goes through the access log (written in the
    background in batches, activity/accesslog.py).
    """
    now = timezone.now()
    document = link.document
    link.last_used_at = now
    updates = [RowUpdate(SecureLink, link.pk, "last_used_at", now)]
    if verb == Verb.VIEWED:
        updates.extend(first_view_update(document=document, at=now))
    append_activity(
        organization_id=link.organization_id,
        document_id=document.pk,
        customer_id=document.customer_id,
        verb=verb,
        actor=actor,
        details=_link_details(link),
        row_updates=tuple(updates),
    )


@transaction.atomic
def request_link_access(*, link: SecureLink, actor: Actor) -> SecureLink | None:
    """Request access from a link's page: if the link has expired (and nothing else killed
    it), email a fresh 24-hour link to the customer's email on file and return it.

    Returns None when nothing was sent: the link still works, or it is not renewable
    (revoked, re-assigned, voided, deleted). The customer gets the same answer either way;
    the business sees the outcome in the document's Activity.
    """
    link = (
        SecureLink.objects.select_for_update(of=("self",))
        .select_related("customer", "document__customer")
        .get(pk=link.pk)
    )
    if link.document is None:
        return None
    state = link_state(link)
    document = lock_document(link.document)
    fresh = None
    if state is LinkState.EXPIRED and document.customer.email:
        issued = issue_link(document=document, actor=actor)
        emails.queue_fresh_link(document=document, link=issued.link, raw_token=issued.raw_token)
        fresh = issued.link
    details = _link_details(link, outcome="renewed" if fresh else state.value)
    if fresh:
        details.update(new_link_id=fresh.pk, sent_to=fresh.sent_to)
    record_activity(
        organization=document.organization,
        document=document,
        # The link's customer asked, even if the document has since moved to another.
        customer=link.customer,
        verb=Verb.ACCESS_REQUESTED,
        actor=actor,
        details=details,
    )
    return fresh


def _revoke(links, *, reason: str) -> Counter:
    """Revoke the given unrevoked links; returns how many per document id."""
    per_document = Counter(links.values_list("document_id", flat=True))
    links.update(revoked_at=timezone.now(), revoked_reason=reason)
    return per_document


def invalidate_document_links(*, document, actor: Actor, reason: str) -> int:
    """Revoke every outstanding link to a document. Runs in the caller's transaction."""
    links = SecureLink.objects.filter(document=document, revoked_at__isnull=True)
    count = _revoke(links, reason=reason).total()
    if count:
        record_activity(
            organization=document.organization,
            document=document,
            verb=Verb.LINKS_REVOKED,
            actor=actor,
            details={"count": count, "reason": reason},
        )
    return count


@transaction.atomic
def revoke_link(*, link: SecureLink, actor: Actor) -> SecureLink:
    """Revoke one link. Revoking a revoked link changes nothing (and records nothing)."""
    link = SecureLink.objects.select_for_update().get(pk=link.pk)
    if link.revoked_at is not None:
        return link
    _revoke(SecureLink.objects.filter(pk=link.pk), reason="revoked")
    link.refresh_from_db(fields=["revoked_at", "revoked_reason"])
    record_activity(
        organization=link.organization,
        document=link.document,
        customer=link.customer,
        verb=Verb.LINKS_REVOKED,
        actor=actor,
        details={"count": 1, "reason": "revoked", "link_id": link.pk},
    )
    return link


@transaction.atomic
def revoke_customer_links(*, customer, actor: Actor) -> int:
    """Revoke all of a customer's links, expired ones too (they could still be renewed)."""
    links = unrevoked_customer_links(customer=customer).select_for_update()
    per_document = _revoke(links, reason="revoked")
    documents = Document.objects.for_org(customer.organization).in_bulk(
        [pk for pk in per_document if pk is not None]
    )
    for document_id, count in per_document.items():
        document = documents.get(document_id)
        if document is None:
            continue
        record_activity(
            organization=customer.organization,
            document=document,
            customer=customer,
            verb=Verb.LINKS_REVOKED,
            actor=actor,
            details={"count": count, "reason": "revoked"},
        )
    total = per_document.total()
    if total:
        record_activity(
            organization=customer.organization,
            customer=customer,
            verb=Verb.LINKS_REVOKED,
            actor=actor,
            details={"count": total, "reason": "revoked"},
        )
    return total


# --- Quote decisions -------------------------------------------------------------------

ACCEPT = "accept"
DECLINE = "decline"


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


def _today_for(organization) -> datetime.date:
    try:
        zone = zoneinfo.ZoneInfo(organization.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = datetime.UTC
    return timezone.now().astimezone(zone).date()


@transaction.atomic
def decide_quote(
    *,
    document: Document,
    decision: str,
    signer_name: str,
    reason: str,
    seen_version: int,
    actor: Actor,
) -> Document:
    """Accept or decline a sent quote, once. Shared by the quote link and the portal.

    The quote row is locked, so of two decisions at once exactly one wins; the other finds
    the quote decided. A decision on any version but the current one is refused, so nobody
    accepts terms they were not shown.
    """
    if decision not in (ACCEPT, DECLINE):
        raise DomainError("Choose accept or decline.")
    quote = lock_document(document)
    if quote.kind != Kind.QUOTE:
        raise DomainError("Only quotes can be accepted or declined.")
    if quote.state in (State.ACCEPTED, State.DECLINED):
        raise DomainError(
            f"This quote has already been {quote.get_state_display().lower()}; "
            "the decision is final.",
            code="already_decided",
        )
    if quote.state != State.SENT:
        raise DomainError(
            f"This quote is {quote.get_state_display().lower()} and can no longer be "
            "accepted or declined.",
            code="not_open",
        )
    if seen_version != quote.content_version:
        raise DomainError(
            "This quote has changed since you opened it. Please review the current version.",
            code="stale_version",
        )
    signer_name = " ".join((signer_name or "").split())
    reason = (reason or "").strip()
    if decision == ACCEPT:
        if not signer_name:
            raise DomainError("Please type your full name to accept.", code="signer_required")
        if quote.valid_until and _today_for(quote.organization) > quote.valid_until:
            raise DomainError(
                f"This quote was valid until {quote.valid_until:%d %b %Y} and can no longer "
                "be accepted. Please contact us for a new one.",
                code="quote_expired",
            )
    if len(signer_name) > MAX_SIGNER_NAME:
        raise DomainError(f"The name can be at most {MAX_SIGNER_NAME} characters.")
    if len(reason) > MAX_REASON:
        raise DomainError(f"The reason can be at most {MAX_REASON} characters.")
    fingerprint = quote_fingerprint(quote)
    quote.state = State.ACCEPTED if decision == ACCEPT else State.DECLINED
    quote.save(update_fields=["state", "updated_at"])
    record_activity(
        organization=quote.organization,
        document=quote,
        verb=Verb.QUOTE_ACCEPTED if decision == ACCEPT else Verb.QUOTE_DECLINED,
        actor=actor,
        details={
            **actor.extra,
            "decided_at": timezone.now().isoformat(),
            "signer_name": signer_name,
            "reason": reason,
            "version": quote.content_version,
            "quote_sha256": fingerprint,
        },
    )
    return quote
