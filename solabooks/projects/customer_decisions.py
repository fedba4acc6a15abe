"""The customer's decisions on an approval request, from the approval link or the portal.

A decision records, in its Activity, exactly what the page showed (`shown`, and its
SHA-256), and is refused when the request changed since (its version moves when staff take
an entry out). Final once made; the request row is locked, so of two decisions at once one
goes first and the other finds its entries decided.
"""

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from solabooks.activity.models import Verb
from solabooks.activity.services import Actor, record_activity
from solabooks.core.errors import DomainError
from solabooks.core.money import ZERO
from solabooks.core.numbers import plain_text

from . import emails, states
from .approvals import finish_if_decided, lock_request
from .models import ApprovalItem, ApprovalRequest, EntryState, ItemDecision, RequestState, TimeEntry

MAX_COMMENT = 1000


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
            "hours": plain_text(item.hours),
        }
        if project.show_rates:
            row["rate"] = plain_text(item.rate)
            row["amount"] = plain_text(item.amount)
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
            "approved_hours": plain_text(sum((item.hours for item in approved), ZERO)),
            "shown": shown,
            "shown_sha256": seen_fingerprint,
        },
    )
    _apply(approval_request, approved=approved, rejected=rejected, at=decided_at, activity=activity)
    finish_if_decided(approval_request)
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
