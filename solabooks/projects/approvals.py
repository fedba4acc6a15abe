"""Sharing a project and the customer's approval of time: staff send, withdraw and take
entries out of requests; customers decide, on an approval link or in the portal.

A project link is a secure link (sharing.services.mint_link) with another purpose: the same
256-bit token of which only the hash is kept, the same fixed 24 hours, request access,
revoke and access log. A decision records, in its Activity, exactly what the page showed
(`shown`, and its SHA-256), and is refused when the request changed since.
"""

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from solabooks.activity.accesslog import RowUpdate
from solabooks.activity.models import Verb
from solabooks.activity.services import Actor, append_activity, record_activity
from solabooks.core.errors import DomainError
from solabooks.core.money import ZERO, round_money
from solabooks.sharing.models import LinkPurpose, SecureLink
from solabooks.sharing.selectors import LinkState, link_state
from solabooks.sharing.services import mint_link

from . import emails, states
from .models import (
    ApprovalItem,
    ApprovalRequest,
    EntryState,
    ItemDecision,
    Project,
    RequestState,
    TimeEntry,
)
from .services import lock_project

MAX_MESSAGE = 5000
MAX_COMMENT = 1000
MAX_ENTRIES_PER_REQUEST = 500


@dataclass(frozen=True)
class LinkSent:
    link: SecureLink
    sent_to: str
    expiry_overridden: bool
    approval_request: ApprovalRequest | None = None


def _check_email(project: Project) -> None:
    if not project.customer.email:
        raise DomainError(f"{project.customer.name} has no email address on file.")


def _clean_message(message: str | None) -> str:
    message = (message or "").strip()
    if len(message) > MAX_MESSAGE:
        raise DomainError(f"The message can be at most {MAX_MESSAGE} characters.")
    return message


@transaction.atomic
def share_project(
    *, project: Project, actor: Actor, message: str | None = None, requested_expiry=None
) -> LinkSent:
    """Email the customer a 24-hour project-share link (read only)."""
    project = lock_project(project)
    _check_email(project)
    message = _clean_message(message)
    issued = mint_link(
        organization=project.organization,
        customer=project.customer,
        purpose=LinkPurpose.PROJECT_SHARE,
        project=project,
        actor=actor,
        requested_expiry=requested_expiry,
    )
    outbox = emails.queue_project_shared(
        project=project, link=issued.link, raw_token=issued.raw_token, message=message
    )
    record_activity(
        organization=project.organization,
        project=project,
        customer=project.customer,
        verb=Verb.PROJECT_SHARED,
        actor=actor,
        details={
            "link_id": issued.link.pk,
            "sent_to": issued.link.sent_to,
            "expires_at": issued.link.expires_at.isoformat(),
            "expiry_overridden": issued.expiry_overridden,
            "outbox_id": outbox.pk,
        },
    )
    return LinkSent(
        link=issued.link, sent_to=issued.link.sent_to, expiry_overridden=issued.expiry_overridden
    )


def _snapshot(entry: TimeEntry, *, currency: str) -> ApprovalItem:
    return ApprovalItem(
        organization_id=entry.organization_id,
        entry=entry,
        date=entry.date,
        description=entry.description,
        hours=entry.hours,
        rate=entry.rate,
        amount=round_money(entry.hours * entry.rate, currency),
        staff_name=entry.staff_member.display_name if entry.staff_member else "",
    )


@transaction.atomic
def request_time_approval(
    *,
    project: Project,
    actor: Actor,
    entry_ids: list[int] | None = None,
    message: str | None = None,
    requested_expiry=None,
) -> LinkSent:
    """Send the customer a set of pending billable entries to approve or reject: the ones
    named, or else every pending billable entry not already waiting. They are locked until
    the customer decides or staff withdraw the request."""
    project = lock_project(project)
    _check_email(project)
    message = _clean_message(message)
    entries = TimeEntry.objects.for_org(project.organization).filter(project=project)
    if entry_ids is None:
        chosen = entries.filter(states.allowed("submit"))
    else:
        wanted = {int(pk) for pk in entry_ids}
        chosen = entries.filter(pk__in=wanted)
    chosen = list(chosen.select_for_update(of=("self",)).select_related("staff_member"))
    if entry_ids is not None:
        missing = wanted - {entry.pk for entry in chosen}
        if missing:
            raise DomainError("Some of those entries are not time of this project.")
        for entry in chosen:
            states.check(entry, "submit")
    if not chosen:
        raise DomainError(
            "There is no pending billable time to send for approval.", code="nothing_to_send"
        )
    if len(chosen) > MAX_ENTRIES_PER_REQUEST:
        raise DomainError(f"Send at most {MAX_ENTRIES_PER_REQUEST} entries in one request.")
    approval_request = ApprovalRequest.objects.create(
        organization=project.organization,
        project=project,
        customer=project.customer,
        sent_to=project.customer.email,
        message=message,
        created_by=actor.user if getattr(actor.user, "pk", None) else None,
    )
    items = [_snapshot(entry, currency=project.currency) for entry in chosen]
    for item in items:
        item.request = approval_request
    ApprovalItem.objects.bulk_create(items)
    ids = [entry.pk for entry in chosen]
    locked = TimeEntry.objects.filter(states.allowed("submit"), pk__in=ids).update(
        open_request=approval_request
    )
    if locked != len(ids):  # the rows are locked above: only a bug gets here
        raise DomainError("Some entries changed while sending; please try again.")
    issued = mint_link(
        organization=project.organization,
        customer=project.customer,
        purpose=LinkPurpose.TIME_APPROVAL,
        project=project,
        approval_request=approval_request,
        actor=actor,
        requested_expiry=requested_expiry,
    )
    outbox = emails.queue_approval_requested(
        approval_request=approval_request,
        project=project,
        link=issued.link,
        raw_token=issued.raw_token,
        items=items,
    )
    record_activity(
        organization=project.organization,
        project=project,
        customer=project.customer,
        verb=Verb.APPROVAL_REQUESTED,
        actor=actor,
        details={
            "request_id": approval_request.pk,
            "entries": ids,
            "hours": _text(sum((item.hours for item in items), ZERO)),
            "link_id": issued.link.pk,
            "sent_to": issued.link.sent_to,
            "expires_at": issued.link.expires_at.isoformat(),
            "expiry_overridden": issued.expiry_overridden,
            "outbox_id": outbox.pk,
        },
    )
    return LinkSent(
        link=issued.link,
        sent_to=issued.link.sent_to,
        expiry_overridden=issued.expiry_overridden,
        approval_request=approval_request,
    )


def _text(value: Decimal) -> str:
    return format(Decimal(value).normalize(), "f")


def lock_request(approval_request: ApprovalRequest) -> ApprovalRequest:
    return (
        ApprovalRequest.objects.select_for_update(of=("self",))
        .select_related("project__organization", "project__customer", "organization")
        .get(pk=approval_request.pk, organization_id=approval_request.organization_id)
    )


def _end_request(approval_request: ApprovalRequest, *, state: str) -> None:
    ApprovalItem.objects.filter(request=approval_request, decision=ItemDecision.PENDING).update(
        decision=ItemDecision.REMOVED
    )
    TimeEntry.objects.filter(open_request=approval_request).update(open_request=None)
    approval_request.state = state
    approval_request.closed_at = timezone.now()
    approval_request.version += 1
    approval_request.save(update_fields=["state", "closed_at", "version"])


@transaction.atomic
def withdraw_approval_request(
    *, approval_request: ApprovalRequest, actor: Actor
) -> ApprovalRequest:
    """Staff take a request back: its links stop working, its undecided entries unlock.
    Decisions the customer already made stay."""
    approval_request = lock_request(approval_request)
    if not approval_request.is_open:
        raise DomainError("This request is no longer waiting for the customer.")
    _end_request(approval_request, state=RequestState.WITHDRAWN)
    project = approval_request.project
    record_activity(
        organization=project.organization,
        project=project,
        customer=approval_request.customer,
        verb=Verb.APPROVAL_WITHDRAWN,
        actor=actor,
        details={"request_id": approval_request.pk},
    )
    return approval_request


def close_request_for_move(*, approval_request: ApprovalRequest, actor: Actor) -> None:
    """The project moved to another customer: its open request ends (caller's transaction)."""
    approval_request = lock_request(approval_request)
    _end_request(approval_request, state=RequestState.WITHDRAWN)
    record_activity(
        organization=approval_request.organization,
        project=approval_request.project,
        customer=approval_request.customer,
        verb=Verb.APPROVAL_WITHDRAWN,
        actor=actor,
        details={"request_id": approval_request.pk, "reason": "project moved"},
    )


def _finish_if_decided(approval_request: ApprovalRequest) -> None:
    if not ApprovalItem.objects.filter(
        request=approval_request, decision=ItemDecision.PENDING
    ).exists():
        decided = ApprovalItem.objects.filter(
            request=approval_request,
            decision__in=(ItemDecision.APPROVED, ItemDecision.REJECTED),
        ).exists()
        approval_request.state = RequestState.COMPLETED if decided else RequestState.WITHDRAWN
        approval_request.closed_at = timezone.now()
        approval_request.save(update_fields=["state", "closed_at"])


@transaction.atomic
def take_entry_out_of_request(
    *, approval_request: ApprovalRequest, entry: TimeEntry, actor: Actor
) -> ApprovalRequest:
    """Take one undecided entry out of an open request (to correct it). The request's
    version moves, so a page that still shows the entry cannot decide on the old set."""
    approval_request = lock_request(approval_request)
    if not approval_request.is_open:
        raise DomainError("This request is no longer waiting for the customer.")
    taken = ApprovalItem.objects.filter(
        request=approval_request, entry_id=entry.pk, decision=ItemDecision.PENDING
    ).update(decision=ItemDecision.REMOVED)
    if not taken:
        raise DomainError("That entry is not waiting in this request.")
    TimeEntry.objects.filter(pk=entry.pk, open_request=approval_request).update(open_request=None)
    approval_request.version += 1
    approval_request.save(update_fields=["version"])
    _finish_if_decided(approval_request)
    record_activity(
        organization=approval_request.organization,
        project=approval_request.project,
        customer=approval_request.customer,
        verb=Verb.APPROVAL_CHANGED,
        actor=actor,
        details={"request_id": approval_request.pk, "entry": entry.pk},
    )
    return approval_request


# --- What the customer is shown, and decides on ------------------------------------------


def shown_items(approval_request: ApprovalRequest, items) -> list[dict]:
    """The request's entries as the customer's page shows them, in the project's visibility
    (no rates or staff names where the business hides them)."""
    project = approval_request.project
    shown = []
    for item in items:
        if item.decision == ItemDecision.REMOVED:
            continue
        row = {
            "id": item.pk,
            "date": item.date.isoformat(),
            "description": item.description,
            "hours": _text(item.hours),
        }
        if project.show_rates:
            row["rate"] = _text(item.rate)
            row["amount"] = _text(item.amount)
        if project.show_staff:
            row["staff"] = item.staff_name
        shown.append(row)
    return shown


def request_fingerprint(approval_request: ApprovalRequest, items) -> str:
    """SHA-256 of the request as shown: its version and every entry's values. The decision
    form carries it, so a decision on a page that no longer matches is refused."""
    content = {
        "request": approval_request.pk,
        "version": approval_request.version,
        "items": shown_items(approval_request, items),
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Decision:
    approved: list[ApprovalItem]
    rejected: list[ApprovalItem]

    @property
    def approved_hours(self) -> Decimal:
        return sum((item.hours for item in self.approved), ZERO)


APPROVE, REJECT = "approve", "reject"


@transaction.atomic
def decide_time(
    *,
    approval_request: ApprovalRequest,
    decisions: dict[int, tuple[str, str]],
    seen_fingerprint: str,
    actor: Actor,
    approve_all: bool = False,
) -> Decision:
    """The customer approves or rejects entries of a request: `decisions` maps item ids to
    (approve|reject, comment); `approve_all` approves every entry still waiting.

    Final once made. The request row is locked, so of two decisions at once one goes first
    and the other finds its entries decided. Refused when the page showed another version
    of the request, or names an entry that is not waiting in this request (nothing changes).
    """
    approval_request = lock_request(approval_request)
    if approval_request.state == RequestState.WITHDRAWN:
        raise DomainError(
            "This request was withdrawn by the business; there is nothing to decide.",
            code="closed",
        )
    items = list(approval_request.items.order_by("date", "id"))
    if seen_fingerprint != request_fingerprint(approval_request, items):
        raise DomainError(
            "These entries changed since you opened the page. Please review them as they are now.",
            code="stale",
        )
    pending = {item.pk: item for item in items if item.decision == ItemDecision.PENDING}
    if approve_all:
        decisions = {pk: (APPROVE, "") for pk in pending}
    if not decisions:
        if not pending:
            raise DomainError("Every entry has already been decided.", code="already_decided")
        raise DomainError("Choose approve or reject for at least one entry.", code="empty")
    approved, rejected = [], []
    for pk, (choice, comment) in decisions.items():
        item = pending.get(pk)
        if item is None:
            known = any(existing.pk == pk for existing in items)
            raise DomainError(
                "That entry has already been decided." if known else "Unknown entry.",
                code="already_decided" if known else "not_found",
            )
        comment = (comment or "").strip()
        if choice == REJECT:
            if not comment:
                raise DomainError(
                    "Please say why you reject an entry, so that it can be corrected.",
                    code="comment_required",
                )
            if len(comment) > MAX_COMMENT:
                raise DomainError(
                    f"A comment can be at most {MAX_COMMENT} characters.", code="bad_comment"
                )
            if "\x00" in comment:  # PostgreSQL stores no NUL, in text or in JSON
                raise DomainError("A comment cannot contain a NUL character.", code="bad_comment")
            item.comment = comment
            rejected.append(item)
        elif choice == APPROVE:
            approved.append(item)
        else:
            raise DomainError("Choose approve or reject.")
    decided_at = timezone.now()
    shown = shown_items(approval_request, items)
    project = approval_request.project
    activity = record_activity(
        organization=project.organization,
        project=project,
        customer=approval_request.customer,
        verb=Verb.TIME_DECIDED,
        actor=actor,
        details={
            **actor.extra,
            "request_id": approval_request.pk,
            "version": approval_request.version,
            "decided_at": decided_at.isoformat(),
            "approved": [item.entry_id for item in approved],
            "rejected": [{"entry": item.entry_id, "comment": item.comment} for item in rejected],
            "approved_hours": _text(sum((item.hours for item in approved), ZERO)),
            "shown": shown,
            "shown_sha256": seen_fingerprint,
        },
    )
    _apply(approval_request, approved=approved, rejected=rejected, at=decided_at, activity=activity)
    _finish_if_decided(approval_request)
    emails.queue_time_decided(
        approval_request=approval_request, project=project, approved=approved, rejected=rejected
    )
    return Decision(approved=approved, rejected=rejected)


def _apply(approval_request, *, approved, rejected, at, activity) -> None:
    """Write the decisions: approvals in one UPDATE of items and one of entries, however
    many; each rejection with its own comment."""
    if approved:
        ids = [item.pk for item in approved]
        ApprovalItem.objects.filter(pk__in=ids, decision=ItemDecision.PENDING).update(
            decision=ItemDecision.APPROVED, decided_at=at, decision_activity=activity
        )
        TimeEntry.objects.filter(
            states.allowed("approve"),
            open_request=approval_request,
            pk__in=[item.entry_id for item in approved],
        ).update(state=EntryState.APPROVED, open_request=None, updated_at=at)
    for item in rejected:
        ApprovalItem.objects.filter(pk=item.pk, decision=ItemDecision.PENDING).update(
            decision=ItemDecision.REJECTED,
            comment=item.comment,
            decided_at=at,
            decision_activity=activity,
        )
        TimeEntry.objects.filter(
            states.allowed("reject"), open_request=approval_request, pk=item.entry_id
        ).update(
            state=EntryState.REJECTED,
            customer_comment=item.comment,
            open_request=None,
            updated_at=at,
        )


# --- Link access ---------------------------------------------------------------------------


def record_project_link_access(*, link: SecureLink, actor: Actor) -> None:
    """Record that the customer opened a project or approval link. Bookkeeping only, like a
    document link's view: nothing is used up and nothing changes state."""
    now = timezone.now()
    link.last_used_at = now
    append_activity(
        organization_id=link.organization_id,
        project_id=link.project_id,
        customer_id=link.customer_id,
        verb=Verb.VIEWED,
        actor=actor,
        details={"link_id": link.pk, "purpose": link.purpose},
        row_updates=(RowUpdate(SecureLink, link.pk, "last_used_at", now),),
    )


@transaction.atomic
def request_project_link_access(*, link: SecureLink, actor: Actor) -> SecureLink | None:
    """Request access on an expired project or approval link: a fresh link to the same
    project (or request) goes to the customer's email on file. None when nothing was sent
    (the link still works, or it cannot be renewed); the business sees which in Activity."""
    link = (
        SecureLink.objects.select_for_update(of=("self",))
        .select_related(
            "customer", "project__customer", "project__organization", "approval_request"
        )
        .get(pk=link.pk)
    )
    project = link.project
    if project is None:
        return None
    state = link_state(link)
    fresh = None
    if state is LinkState.EXPIRED and project.customer.email:
        issued = mint_link(
            organization=project.organization,
            customer=project.customer,
            purpose=link.purpose,
            project=project,
            approval_request=link.approval_request,
            actor=actor,
        )
        emails.queue_fresh_project_link(
            project=project, link=issued.link, raw_token=issued.raw_token
        )
        fresh = issued.link
    details = {"link_id": link.pk, "outcome": "renewed" if fresh else state.value}
    if fresh:
        details.update(new_link_id=fresh.pk, sent_to=fresh.sent_to)
    record_activity(
        organization=project.organization,
        project=project,
        customer=link.customer,
        verb=Verb.ACCESS_REQUESTED,
        actor=actor,
        details=details,
    )
    return fresh
