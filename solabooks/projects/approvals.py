"""Sharing a project and the customer's approval of time: staff send, withdraw and take
entries out of requests; customers decide, on an approval link or in the portal.

A project link is a secure link (sharing.services.mint_link) with another purpose: the same
256-bit token of which only the hash is kept, the same fixed 24 hours, request access,
revoke and access log. The customer's side is in customer_decisions.py (deciding) and
link_access.py (opening and renewing links).
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from solabooks.activity.models import Verb
from solabooks.activity.services import Actor, record_activity
from solabooks.core.errors import DomainError
from solabooks.core.money import ZERO, round_money
from solabooks.core.numbers import plain_text
from solabooks.sharing.models import LinkPurpose, SecureLink
from solabooks.sharing.services import mint_link

from . import emails, states
from .models import (
    ApprovalItem,
    ApprovalRequest,
    ItemDecision,
    Project,
    RequestState,
    TimeEntry,
)
from .services import lock_project

MAX_MESSAGE = 5000
MAX_ENTRIES_PER_REQUEST = 500


@dataclass(frozen=True)
class LinkSent:
    link: SecureLink
    sent_to: str
    expiry_overridden: bool
    approval_request: ApprovalRequest | None = None


def _sent(issued, outbox) -> dict:
    """What the Activity of a sent link records (never the token)."""
    return {
        "link_id": issued.link.pk,
        "sent_to": issued.link.sent_to,
        "expires_at": issued.link.expires_at.isoformat(),
        "expiry_overridden": issued.expiry_overridden,
        "outbox_id": outbox.pk,
    }


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
        details=_sent(issued, outbox),
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
        created_by=actor.saved_user,
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
            "hours": plain_text(sum((item.hours for item in items), ZERO)),
            **_sent(issued, outbox),
        },
    )
    return LinkSent(
        link=issued.link,
        sent_to=issued.link.sent_to,
        expiry_overridden=issued.expiry_overridden,
        approval_request=approval_request,
    )


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


def finish_if_decided(approval_request: ApprovalRequest) -> None:
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
    finish_if_decided(approval_request)
    record_activity(
        organization=approval_request.organization,
        project=approval_request.project,
        customer=approval_request.customer,
        verb=Verb.APPROVAL_CHANGED,
        actor=actor,
        details={"request_id": approval_request.pk, "entry": entry.pk},
    )
    return approval_request
