"""Delivering the outbox: deliver_message(pk) claims a queued row (a conditional UPDATE
queued -> sending, so only one worker ever sends it), puts the secret link into the bodies
in memory, sends through the configured email backend, then marks it sent, queued again
with backoff, or failed; deliver_due_messages() is the sweep (rows of dead workers
reclaimed, due rows delivered). Queueing is in services.py.

The lease: a claim stamps claimed_at, and the row belongs to its worker until claimed_at +
settings.OUTBOX_LEASE_SECONDS. Only then may a sweep take it back (reclaim_stuck_messages),
and only the worker whose claim is still on the row may put it back in the queue or give up
on it. A live worker never outlives its lease: every step of an SMTP send is bounded by
EMAIL_TIMEOUT, and a system check (checks.py) refuses a lease shorter than
SEND_STEPS x EMAIL_TIMEOUT. So a row still "sending" after its lease belongs to a worker
that died (kill -9, a lost machine), and sending it again cannot race a live send. (A
worker frozen for longer than the lease, a suspended VM, counts as dead: if it wakes up
mid-send, that message may go out twice.)
"""

import logging
import smtplib
import time
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import InterfaceError, OperationalError, connections, router, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.html import escape

from solabooks.activity.models import Verb
from solabooks.activity.services import Actor, record_activity
from solabooks.core.logging import redact
from solabooks.core.storage import private_storage

from .crypto import SecretUnavailable, decrypt_secret
from .models import OutboxMessage, OutboxState
from .services import LINK_PLACEHOLDER, schedule_delivery, secret_needles

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(hours=1)
SWEEP_LIMIT = 100
# Recording a delivery is retried through a database outage until this long before the
# lease ends, a pause between tries.
RECORD_MARGIN = timedelta(seconds=5)
RECORD_RETRY_PAUSE = 1.0
# The most blocking socket exchanges one SMTP delivery makes, each bounded by EMAIL_TIMEOUT:
# connect, greeting, EHLO (and HELO after a refusal), STARTTLS with its handshake and second
# EHLO, AUTH (two exchanges, and a second method when the first is refused: 4), MAIL, RCPT,
# DATA, the message and the answer to its final dot, QUIT: 17. Rounded up to 20 for the
# database and attachment reads between the claim and the send. The lease must be at least
# this many timeouts (checks.py), so that no live worker is still sending when it ends.
SEND_STEPS = 20
OUTBOX_ACTOR = Actor.system("Email outbox")


class Delivery(StrEnum):
    SENT = "sent"
    RETRYING = "retrying"
    FAILED = "failed"
    SKIPPED = "skipped"  # someone else holds or finished it, or it is not due yet


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... doubling per failed attempt, at most an hour."""
    exponent = min(max(attempts - 1, 0), 20)  # far past the cap; keeps the number small
    return min(RETRY_BASE * 2**exponent, RETRY_CAP)


def outbox_lease() -> timedelta:
    """How long a claimed row belongs to its worker (settings.OUTBOX_LEASE_SECONDS)."""
    return timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)


def claim_message(message_id: int) -> bool:
    """Take a due queued message for sending. True for exactly one caller, however many race.

    A single conditional UPDATE: the database serialises concurrent claims on the row, and
    the loser finds the state already "sending" and updates nothing. The claim's time
    (claimed_at) starts the worker's lease.
    """
    now = timezone.now()
    claimed = OutboxMessage.objects.filter(
        pk=message_id, state=OutboxState.QUEUED, next_attempt_at__lte=now
    ).update(state=OutboxState.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    return claimed == 1


def build_email(message: OutboxMessage, *, secret_url: str = "") -> EmailMultiAlternatives:
    """The outgoing email; the secret link goes in here, in memory only."""
    text, html = message.text_body, message.html_body
    if secret_url:
        text = text.replace(LINK_PLACEHOLDER, secret_url)
        html = html.replace(LINK_PLACEHOLDER, escape(secret_url))
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=text,
        from_email=message.from_email,
        to=[message.to],
        reply_to=[message.reply_to] if message.reply_to else None,
        # Fixed at queue time: a retried message is recognisably the same one.
        headers={"Message-ID": message.message_id},
    )
    email.attach_alternative(html, "text/html")
    # A missing file raises, and the delivery is retried like any other failure.
    storage = private_storage()
    for attachment in message.attachments.all():
        with storage.open(attachment.storage_name, "rb") as handle:
            email.attach(attachment.filename, handle.read(), attachment.content_type)
    return email


def deliver_message(message_id: int) -> Delivery:
    """Send one message if it is due and nobody else has it. Never raises on send errors."""
    if not claim_message(message_id):
        return Delivery.SKIPPED
    message = OutboxMessage.objects.select_related("organization", "document", "customer").get(
        pk=message_id
    )
    secret_url = ""
    try:
        if message.secret_url_encrypted:
            secret_url = decrypt_secret(message.secret_url_encrypted, bound_to=message.message_id)
        if build_email(message, secret_url=secret_url).send(fail_silently=False) != 1:
            raise smtplib.SMTPException("The email backend accepted no message.")
    except SecretUnavailable as exc:
        return _give_up(message, str(exc))
    except Exception as exc:  # any failure to send is retried; the row must never be lost
        return _record_failure(message, exc, secret_url=secret_url)
    _record_success_despite_database_outage(message)
    return Delivery.SENT


def _describe_error(exc: BaseException, secret_url: str) -> str:
    text = f"{type(exc).__name__}: {exc}"
    if secret_url:
        for needle in sorted(secret_needles(secret_url), key=len, reverse=True):
            text = text.replace(needle, "[link]")
    return redact(text)[:500]


def _is_permanent(exc: BaseException) -> bool:
    # Every recipient refused with a 5xx: the address is bad; retrying for hours won't help.
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    return False


def _activity_details(message: OutboxMessage, **extra) -> dict:
    return {"to": message.to, "message_id": message.message_id, **extra}


def _record_activity(message: OutboxMessage, verb: str, details: dict) -> None:
    if message.organization_id is None:  # Solabooks' own email: no business's activity
        return
    record_activity(
        organization=message.organization,
        verb=verb,
        actor=OUTBOX_ACTOR,
        document=message.document,
        customer=message.customer,
        details=details,
    )


def _still_held(message: OutboxMessage) -> Q:
    """The row, if the claim `message` was loaded with is still on it. Conditioned on
    claimed_at too: a sweep may have reclaimed the row and another worker claimed it since,
    and only the holder of the current lease may queue it again or give up on it."""
    return Q(pk=message.pk, state=OutboxState.SENDING, claimed_at=message.claimed_at)


def _record_success_despite_database_outage(message: OutboxMessage) -> None:
    """The server answered 250: the mail is out. Losing that fact to a database blip (a
    restart, a failover) would leave the row "sending", and the sweep would send a second
    copy once the lease ends. So a failed write is tried again, on a new connection, until
    shortly before the lease ends (after that the sweep may take the row back anyway)."""
    connection = connections[router.db_for_write(OutboxMessage)]
    deadline = message.claimed_at + outbox_lease() - RECORD_MARGIN
    while True:
        try:
            _record_success(message)
            return
        except (OperationalError, InterfaceError):
            # Inside a caller's transaction a new connection would lose the caller's work.
            if connection.in_atomic_block or timezone.now() >= deadline:
                raise
            logger.warning(
                "Outbox message %s was delivered; recording it failed (database unavailable), "
                "trying again",
                message.pk,
            )
            connection.close()
            time.sleep(RECORD_RETRY_PAUSE)


def _record_success(message: OutboxMessage) -> None:
    with transaction.atomic():
        # Not conditioned on "sending": the mail is out, whatever a sweep did meanwhile.
        updated = (
            OutboxMessage.objects.filter(pk=message.pk)
            .exclude(state=OutboxState.SENT)
            .update(
                state=OutboxState.SENT,
                sent_at=timezone.now(),
                secret_url_encrypted="",
                last_error="",
                claimed_at=None,
            )
        )
        if updated:
            _record_activity(message, Verb.EMAIL_DELIVERED, _activity_details(message))


def _record_failure(message: OutboxMessage, exc: BaseException, *, secret_url: str) -> Delivery:
    error = _describe_error(exc, secret_url)
    logger.warning("Outbox message %s: attempt %s failed: %s", message.pk, message.attempts, error)
    if message.attempts >= MAX_ATTEMPTS or _is_permanent(exc):
        return _give_up(message, error)
    next_attempt_at = timezone.now() + retry_delay(message.attempts)
    with transaction.atomic():
        updated = OutboxMessage.objects.filter(_still_held(message)).update(
            state=OutboxState.QUEUED,
            next_attempt_at=next_attempt_at,
            last_error=error,
            claimed_at=None,
        )
        if updated:
            details = _activity_details(
                message,
                attempt=message.attempts,
                next_attempt_at=next_attempt_at.isoformat(),
                error=error[:200],
            )
            _record_activity(message, Verb.EMAIL_RETRYING, details)
            from .tasks import deliver_outbox_message

            # A backend that can defer (the database one) gets a task for the retry time;
            # the immediate one cannot, and relies on sweeps.
            if deliver_outbox_message.get_backend().supports_defer:
                schedule_delivery(message.pk, next_attempt_at)
    return Delivery.RETRYING


def _give_up(message: OutboxMessage, error: str) -> Delivery:
    logger.error("Outbox message %s: giving up after %s attempts", message.pk, message.attempts)
    with transaction.atomic():
        updated = OutboxMessage.objects.filter(_still_held(message)).update(
            state=OutboxState.FAILED, last_error=error, secret_url_encrypted="", claimed_at=None
        )
        if updated:
            details = _activity_details(message, attempts=message.attempts, error=error[:200])
            _record_activity(message, Verb.EMAIL_FAILED, details)
    return Delivery.FAILED


def reclaim_stuck_messages() -> int:
    """Messages whose lease ran out while "sending": their worker died. Back to the queue
    (due now), or failed when their attempts are spent.

    Each row is taken back with an UPDATE conditioned on the claimed_at this sweep read, so
    a row another sweep reclaimed and another worker claimed meanwhile is left to that
    worker.

    The price of never losing a message: a worker that died mid-send is retried, and the
    mail server holds a copy only if it answered 250 to the end of the message (RFC 5321:
    that answer is when it takes responsibility; a server drops a message whose client
    went away before it). So a second copy is sent only if the worker died after that 250
    and before the UPDATE that marks the row sent, a window of one statement (which a
    database outage does not widen: the worker retries that UPDATE). The copy has
    the same Message-ID (fixed at queue time), and mail clients collapse it by that.
    """
    now = timezone.now()
    stuck = OutboxMessage.objects.filter(
        state=OutboxState.SENDING, claimed_at__lt=now - outbox_lease()
    ).select_related("organization", "document", "customer")
    count = 0
    for message in stuck:
        if message.attempts >= MAX_ATTEMPTS:
            _give_up(message, "Delivery was interrupted too many times.")
            continue
        count += OutboxMessage.objects.filter(
            pk=message.pk, state=OutboxState.SENDING, claimed_at=message.claimed_at
        ).update(
            state=OutboxState.QUEUED,
            next_attempt_at=now,
            claimed_at=None,
            last_error="Delivery was interrupted; retrying.",
        )
    return count


def deliver_due_messages(*, limit: int = SWEEP_LIMIT) -> int:
    """Deliver every queued message that is due (oldest first). Returns how many were sent.

    Stops at the first retryable failure: the server is most likely down, and trying the
    rest now would only hold the caller up; they stay queued for the next sweep.
    """
    reclaim_stuck_messages()
    due = list(
        OutboxMessage.objects.filter(state=OutboxState.QUEUED, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for message_id in due:
        result = deliver_message(message_id)
        if result == Delivery.SENT:
            sent += 1
        elif result == Delivery.RETRYING:
            break
    return sent
