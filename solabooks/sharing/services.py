"""Secure links: minting, sending, renewing and revoking them.

Every state change of the sharing app is here, one transaction each, and writes its own
Activity rows. The raw token exists only in the return value of `issue_link` and in the
email it is handed to; rows and activity keep the token's SHA-256 and the link's id.
"""

import datetime
import secrets
from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from solabooks.activity.accesslog import RowUpdate
from solabooks.activity.models import Verb
from solabooks.activity.services import Actor, log_access, record_activity
from solabooks.core.errors import DomainError
from solabooks.documents import states
from solabooks.documents.models import Document
from solabooks.documents.services import first_view_update, lock_document
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


def _check_sendable(document: Document) -> states.Checked:
    checked = states.check(document, "send")
    if not document.customer.email:
        raise DomainError(f"{document.customer.name} has no email address on file.")
    return checked


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
    checked = _check_sendable(document)
    subject = (subject or "").strip() or emails.default_subject(document=document)
    # None means "the default text"; an empty string is a staff member's choice.
    message = emails.default_message(document=document) if message is None else message.strip()
    if len(subject) > MAX_SUBJECT:
        raise DomainError(f"The subject can be at most {MAX_SUBJECT} characters.")
    if len(message) > MAX_MESSAGE:
        raise DomainError(f"The message can be at most {MAX_MESSAGE} characters.")
    issued = issue_link(document=document, actor=actor, requested_expiry=requested_expiry)
    link = issued.link
    outbox_message = emails.queue_document_sent(
        document=document, link=link, raw_token=issued.raw_token, subject=subject, message=message
    )
    # A draft becomes sent (a sales order confirmed); sending again changes no state.
    states.apply(
        document,
        "send",
        actor=actor,
        checked=checked,
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
    does not move, and no email goes to the customer, so mail scanners that pre-fetch links do
    no harm. (A first view may notify the business, if a member asked for that: off by default.)
    It runs on every link request, so it goes through the access log (written in the
    background in batches, activity/accesslog.py).
    """
    now = timezone.now()
    document = link.document
    link.last_used_at = now
    updates = [RowUpdate(SecureLink, link.pk, "last_used_at", now)]
    if verb == Verb.VIEWED:
        updates.extend(first_view_update(document=document, at=now))
    log_access(
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
