"""Emails to the business when its customer acts: a quote accepted or declined, a document
first viewed, a portal account set up.

Each event is noted inside the transaction that makes it happen (decide_quote, the access
log's first-view write, the portal activation), as an event on a PendingNotification row
per recipient: a row still open (not yet due) for the same document (or customer) and
recipient takes the event, so a burst becomes one email. The email is queued once the row
is due (NOTIFICATION_BURST_WINDOW after its first event) by send_notification, which claims
the row and queues the outbox message in one transaction: of two workers one sends.
Delivery, retries included, is the outbox's.

Recipients: the member who sent the document (the latest "sent" Activity by a staff member,
still a member of the business) when their switch for the kind is on, and the business's
reply-to address when its switch is on (an owner sets those; until then the defaults).
Never a customer's link or token: the emails link to the staff pages only.
"""

import datetime
import threading
from functools import partial

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from solabooks.activity.models import Activity, ActorType, Verb
from solabooks.activity.services import Actor, record_activity
from solabooks.mail.services import queue_email
from solabooks.tenancy.models import Membership

from .models import Kind, NotificationPreference, PendingNotification

TEMPLATE = "business_notification"
SWEEP_LIMIT = 100


def burst_window() -> datetime.timedelta:
    return getattr(settings, "NOTIFICATION_BURST_WINDOW", datetime.timedelta(minutes=5))


# ---------------------------------------------------------------------------------------
# Preferences


def preference_for(*, organization, user) -> NotificationPreference:
    """The member's switches (user None: the reply-to address's); an unsaved row with the
    defaults when none were ever set."""
    rows = NotificationPreference.objects.for_org(organization)
    found = (rows.filter(user=None) if user is None else rows.filter(user=user)).first()
    return found or NotificationPreference(organization=organization, user=user)


@transaction.atomic
def update_notification_preferences(
    *,
    organization,
    user,
    actor: Actor,
    quote_decided: bool,
    first_viewed: bool,
    portal_set_up: bool,
) -> NotificationPreference:
    """A member sets their own switches in this business; with user None, an owner sets
    those of the business's reply-to address (the view checks the role)."""
    preference, _ = NotificationPreference.objects.select_for_update().get_or_create(
        organization=organization, user=user
    )
    wanted = {
        Kind.QUOTE_DECIDED.value: bool(quote_decided),
        Kind.FIRST_VIEWED.value: bool(first_viewed),
        Kind.PORTAL_SET_UP.value: bool(portal_set_up),
    }
    changed = {k: v for k, v in wanted.items() if getattr(preference, k) != v}
    for field, value in wanted.items():
        setattr(preference, field, value)
    preference.save()
    record_activity(
        organization=organization,
        verb=Verb.NOTIFICATION_SETTINGS_CHANGED,
        actor=actor,
        details={
            **({"member": user.email} if user else {"reply_to": organization.reply_to_email}),
            "changed": changed,
        },
    )
    return preference


# ---------------------------------------------------------------------------------------
# Events (called inside the transaction of what happened)


def _document_sender(document):
    """The staff member who last sent the document, if still a member of its business."""
    sent = (
        Activity.objects.for_org(document.organization)
        .filter(document=document, verb=Verb.SENT, actor_type=ActorType.STAFF)
        .exclude(actor_user=None)
        .order_by("-created_at", "-id")
        .first()
    )
    return sent.actor_user if sent is not None else None


def _recipients(*, organization, kind: str, staff_user) -> list[str]:
    recipients: list[str] = []
    if staff_user is not None and staff_user.is_active:
        member = Membership.objects.filter(organization=organization, user=staff_user).exists()
        if member and preference_for(organization=organization, user=staff_user).allows(kind):
            recipients.append(staff_user.email)
    reply_to = (organization.reply_to_email or "").strip()
    already = {address.lower() for address in recipients}
    if (
        reply_to
        and reply_to.lower() not in already
        and preference_for(organization=organization, user=None).allows(kind)
    ):
        recipients.append(reply_to)
    return recipients


def _event(kind: str, *, organization, at: datetime.datetime, **extra) -> dict:
    local = timezone.localtime(at, organization.zone)
    return {
        "kind": kind,
        "at": at.isoformat(),
        # With the zone's abbreviation, as every page and email writes a time ("14:05 PST").
        "when": f"{local:%-d %b %Y, %H:%M %Z}",
        **extra,
    }


def _collect(*, organization, recipients: list[str], event: dict, document=None, customer=None):
    now = timezone.now()
    for recipient in recipients:
        rows = PendingNotification.objects.for_org(organization).filter(
            recipient=recipient, sent_at=None, due_at__gt=now
        )
        rows = (
            rows.filter(document=document)
            if document is not None
            else rows.filter(document=None, customer=customer)
        )
        open_row = rows.select_for_update().order_by("-id").first()
        if open_row is not None:
            open_row.events = [*open_row.events, event]
            open_row.save(update_fields=["events"])
            continue
        row = PendingNotification.objects.create(
            organization=organization,
            document=document,
            customer=customer if customer is not None else document.customer,
            recipient=recipient,
            events=[event],
            created_at=now,
            due_at=now + burst_window(),
        )
        transaction.on_commit(partial(schedule_send, row.pk, row.due_at), robust=True)


def note_quote_decided(*, quote, decision: str, signer_name: str, reason: str, at) -> None:
    """The customer accepted or declined `quote` (decide_quote, not staff's Mark as)."""
    organization = quote.organization
    event = _event(
        Kind.QUOTE_DECIDED,
        organization=organization,
        at=at,
        decision=decision,
        signer=signer_name,
        reason=reason,
    )
    recipients = _recipients(
        organization=organization, kind=Kind.QUOTE_DECIDED, staff_user=_document_sender(quote)
    )
    _collect(organization=organization, recipients=recipients, event=event, document=quote)


def note_first_view(*, document_id: int, at) -> None:
    """A customer's first view of a document was just written (access log, the one place
    the viewed state is set; a view that sets nothing notifies nobody)."""
    from solabooks.documents.models import Document

    document = Document.objects.select_related("organization", "customer").get(pk=document_id)
    organization = document.organization
    event = _event(Kind.FIRST_VIEWED, organization=organization, at=at)
    recipients = _recipients(
        organization=organization, kind=Kind.FIRST_VIEWED, staff_user=_document_sender(document)
    )
    _collect(organization=organization, recipients=recipients, event=event, document=document)


def note_portal_set_up(*, access, invited_by, at) -> None:
    """The customer chose their portal password: `access` is now active. `invited_by` is the
    staff member who last enabled the access (None when the customer started it)."""
    organization = access.organization
    event = _event(Kind.PORTAL_SET_UP, organization=organization, at=at)
    recipients = _recipients(
        organization=organization, kind=Kind.PORTAL_SET_UP, staff_user=invited_by
    )
    _collect(
        organization=organization, recipients=recipients, event=event, customer=access.customer
    )


# ---------------------------------------------------------------------------------------
# Sending


def schedule_send(pending_id: int, due_at: datetime.datetime) -> None:
    """A task for when the row is due, where the task backend can defer; otherwise the
    sweep (send_due_notifications: every outbox delivery task and `manage.py
    deliver_outbox` run it) sends it."""
    from .tasks import send_pending_notification

    if send_pending_notification.get_backend().supports_defer:
        send_pending_notification.using(run_after=due_at).enqueue(pending_id)


def _subject(row: PendingNotification, lead: dict) -> str:
    document, customer = row.document, row.customer
    if lead["kind"] == Kind.QUOTE_DECIDED:
        verb = "accepted" if lead["decision"] == "accept" else "declined"
        who = lead["signer"] or customer.name
        subject = f"Quote {document.number} {verb} by {who}"
    elif lead["kind"] == Kind.FIRST_VIEWED:
        subject = f"{document.get_kind_display()} {document.number} viewed by {customer.name}"
    else:
        subject = f"{customer.name} set up their portal account"
    others = len(row.events) - 1
    if others:
        subject += f" (and {others} more update{'s' if others > 1 else ''})"
    return subject


def _lead(events: list[dict]) -> dict:
    # A decision matters most; then the newest event.
    decisions = [e for e in events if e["kind"] == Kind.QUOTE_DECIDED]
    return (decisions or events)[-1]


@transaction.atomic
def send_notification(*, pending_id: int, now: datetime.datetime | None = None) -> bool:
    """Queue the email of one due row, once: the UPDATE that sets sent_at is the claim."""
    now = now or timezone.now()
    claimed = PendingNotification.objects.filter(
        pk=pending_id, sent_at=None, due_at__lte=now
    ).update(sent_at=now)
    if not claimed:
        return False
    row = PendingNotification.objects.select_related("organization", "document", "customer").get(
        pk=pending_id
    )
    if row.document is not None:
        staff_url = settings.BASE_URL + reverse("document-detail", args=[row.document.pk])
    else:
        staff_url = settings.BASE_URL + reverse("customer-detail", args=[row.customer.pk])
    message = queue_email(
        organization=row.organization,
        to=row.recipient,
        template=TEMPLATE,
        subject=_subject(row, _lead(row.events)),
        context={"events": row.events, "staff_url": staff_url},
        document=row.document,
        customer=row.customer,
    )
    PendingNotification.objects.filter(pk=row.pk).update(outbox_message=message)
    return True


def send_due_notifications(
    *, now: datetime.datetime | None = None, limit: int = SWEEP_LIMIT
) -> int:
    """Send every row whose burst window has passed. Returns how many were queued."""
    now = now or timezone.now()
    due = list(
        PendingNotification.objects.filter(sent_at=None, due_at__lte=now)
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(send_notification(pending_id=pk, now=now) for pk in due)


_sweeping = threading.local()


def send_due_notifications_unless_nested(*, limit: int = SWEEP_LIMIT) -> int:
    """The sweep from inside an outbox delivery task. The embedded backend delivers each
    queued email at once, inside the sweep that queued it: without this guard every
    notification would nest one sweep deeper."""
    if getattr(_sweeping, "active", False):
        return 0
    _sweeping.active = True
    try:
        return send_due_notifications(limit=limit)
    finally:
        _sweeping.active = False
