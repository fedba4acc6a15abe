"""The email outbox: queue_email() commits a message; delivery runs as a task after commit.

Flow
  queue_email()            renders the templates, stores an OutboxMessage (state "queued")
                           and, on commit, enqueues tasks.deliver_outbox_message(pk).
  deliver_message(pk)      claims the row (conditional UPDATE queued -> sending, so only one
                           worker ever sends it), sends it through the configured email
                           backend, then marks it sent, or queued again with backoff, or failed.
  deliver_due_messages()   the sweep: reclaims rows stuck in "sending" (dead worker) and
                           delivers every queued row whose next_attempt_at has passed. Each
                           delivery task runs it too, and `manage.py deliver_outbox` runs it.

Secret links: a link with a raw token is passed as `secret_url`, never in `context`. The
templates render `{{ link_url }}`, which at queue time is LINK_PLACEHOLDER; the real URL is
stored AES-GCM encrypted (crypto.py), put into the bodies only in memory at delivery, and
wiped from the row once the message is sent or given up on.
"""

import logging
import secrets
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.utils import parseaddr
from enum import StrEnum
from functools import partial
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import router, transaction
from django.db.models import F
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone
from django.utils.html import escape

from solabooks.activity.models import Verb
from solabooks.activity.services import Actor, record_activity
from solabooks.core.colours import (
    DEFAULT_BRAND_COLOUR,
    WHITE,
    as_text_on_light,
    brand_colour_of,
    text_on,
)
from solabooks.core.errors import DomainError
from solabooks.core.logging import redact

from .crypto import SecretUnavailable, decrypt_secret, encrypt_secret
from .models import OutboxMessage, OutboxState

logger = logging.getLogger(__name__)

# What `{{ link_url }}` renders as until delivery. Only characters that HTML escaping leaves
# alone, so the stored HTML and text both contain it verbatim.
LINK_PLACEHOLDER = "https://solabooks.invalid/secure-link-placeholder"
MAX_ATTEMPTS = 10
RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(hours=1)
# Far longer than the SMTP timeout: a row "sending" for this long belongs to a dead worker.
STUCK_AFTER = timedelta(minutes=10)
SWEEP_LIMIT = 100
MAX_SUBJECT_LENGTH = 250
OUTBOX_ACTOR = Actor.system("Email outbox")


class Delivery(StrEnum):
    SENT = "sent"
    RETRYING = "retrying"
    FAILED = "failed"
    SKIPPED = "skipped"  # someone else holds or finished it, or it is not due yet


# ---------------------------------------------------------------------------------------
# Queueing


@dataclass(frozen=True)
class PlatformSender:
    """Stands in for a business in emails Solabooks sends on its own behalf (a staff
    member's password reset): Solabooks' name and colour, no logo, no reply-to."""

    name: str = "Solabooks"
    brand_colour: str = DEFAULT_BRAND_COLOUR
    logo: None = None
    reply_to_email: str = ""
    is_platform: bool = True


PLATFORM = PlatformSender()


def branding_context(organization) -> dict:
    """What email/base.html and base.txt need: name, absolute logo URL, brand colours.
    `organization` None means Solabooks itself (PLATFORM)."""
    organization = organization or PLATFORM
    colour = brand_colour_of(organization)
    return {
        "organization": organization,
        "brand_colour": colour,
        "brand_text_colour": text_on(colour),
        # Links in the brand colour, darkened where needed to read on the white card.
        "brand_link_colour": as_text_on_light(colour, WHITE),
        "logo_url": absolute_logo_url(organization),
        "base_url": settings.BASE_URL,
    }


def absolute_logo_url(organization) -> str:
    """Mail clients need an absolute URL; object storage may already give one."""
    if not organization.logo:
        return ""
    url = organization.logo.url
    if url.startswith(("http://", "https://")):
        return url
    return settings.BASE_URL + url


def _render_plain(template_name: str, context: dict) -> str:
    # Subjects and text bodies are not HTML: render without autoescaping so "Smith & Sons"
    # does not become "Smith &amp; Sons".
    return get_template(template_name).template.render(Context(context, autoescape=False))


def _from_address(organization) -> str:
    _, platform_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    if organization is None:
        return str(Address(display_name=PLATFORM.name, addr_spec=platform_address))
    name = " ".join(organization.name.split())[:150]  # no line breaks in a header
    return str(Address(display_name=f"{name} via Solabooks", addr_spec=platform_address))


def _message_id_domain() -> str:
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return address.rpartition("@")[2] or urlsplit(settings.BASE_URL).hostname or "solabooks"


def _secret_needles(secret_url: str) -> set[str]:
    needles = {secret_url, escape(secret_url)}
    token = secret_url.rstrip("/").rsplit("/", 1)[-1]
    if len(token) >= 16:
        needles.add(token)
    return needles


def _check_secret_placement(secret_url: str, *, subject: str, text: str, html: str) -> None:
    """The secret may reach the email only through {{ link_url }}; refuse anything else."""
    for needle in _secret_needles(secret_url):
        if needle in subject or needle in text or needle in html:
            raise ValueError(
                "The secret link appears in the rendered email in clear; pass it only as "
                "secret_url and render it with {{ link_url }}."
            )
    if LINK_PLACEHOLDER in subject:
        raise ValueError("A secret link cannot go in the subject.")
    if LINK_PLACEHOLDER not in text or LINK_PLACEHOLDER not in html:
        raise ValueError(
            "secret_url was given but the template does not render {{ link_url }} "
            "(unfiltered) in both its .txt and .html parts."
        )


@transaction.atomic
def queue_email(
    *,
    organization,
    to: str,
    template: str,
    context: dict,
    subject: str | None = None,
    document=None,
    customer=None,
    secret_url: str | None = None,
) -> OutboxMessage:
    """Render `email/<template>{_subject.txt,.txt,.html}` and commit an outbox row.
    `organization` None sends on Solabooks' own behalf (staff account emails).

    Delivery is enqueued with transaction.on_commit: it happens after the caller's
    transaction commits (right away with the embedded ImmediateBackend, by `db_worker` with
    TASK_BACKEND=database). Pass a link with a raw token as `secret_url`; it is never stored
    in clear. A blank `subject` means the template's subject. The templates get `context`
    plus `document`, `customer`, the branding (see branding_context) and `subject`.
    """
    to = (to or "").strip()
    if not to:
        raise DomainError("An email address is needed.")
    try:
        validate_email(to)
    except ValidationError:
        raise DomainError(f"“{to}” is not a valid email address.") from None
    if customer is None and document is not None:
        customer = document.customer

    ctx = {"document": document, "customer": customer, **context}
    ctx.update(branding_context(organization))
    if secret_url:
        ctx["link_url"] = LINK_PLACEHOLDER
    if subject and subject.strip():
        subject = " ".join(subject.split())
        if len(subject) > MAX_SUBJECT_LENGTH:
            raise DomainError(f"The subject is too long (at most {MAX_SUBJECT_LENGTH} characters).")
    else:
        subject = " ".join(_render_plain(f"email/{template}_subject.txt", ctx).split())
        subject = subject[:MAX_SUBJECT_LENGTH]
    ctx["subject"] = subject
    text = _render_plain(f"email/{template}.txt", ctx).strip() + "\n"
    html = render_to_string(f"email/{template}.html", ctx)

    # Not email.utils.make_msgid: it draws from the `random` module, which a test harness
    # (or any library) may reseed, and two outbox rows then collide on the unique column.
    message_id = f"<{secrets.token_hex(16)}@{_message_id_domain()}>"
    encrypted = ""
    if secret_url:
        _check_secret_placement(secret_url, subject=subject, text=text, html=html)
        encrypted = encrypt_secret(secret_url, bound_to=message_id)

    message = OutboxMessage.objects.create(
        organization=organization,
        document=document,
        customer=customer,
        template=template,
        to=to,
        from_email=_from_address(organization),
        reply_to=getattr(organization, "reply_to_email", "") or "",
        subject=subject,
        text_body=text,
        html_body=html,
        secret_url_encrypted=encrypted,
        message_id=message_id,
    )
    _schedule_delivery(message.pk)
    return message


def _schedule_delivery(message_id: int, run_after: datetime | None = None) -> None:
    """Enqueue the delivery of a message the current transaction queued (new or retried).

    When task rows live in the outbox's database, the task row is written in that
    transaction: it commits with the message or not at all (one write, and no window in
    which a crash after the commit leaves a message without its task). Otherwise the task
    is enqueued after the commit, so one run at once (the embedded backend) finds the row;
    robust there: a failing enqueue must not turn a committed request into an error, the
    row is queued and the next sweep (or `manage.py deliver_outbox`) delivers it."""
    if _tasks_share_the_database():
        _enqueue_delivery(message_id, run_after)
    else:
        transaction.on_commit(partial(_enqueue_delivery, message_id, run_after), robust=True)


def _tasks_share_the_database() -> bool:
    """Whether delivery tasks are rows of the database the outbox is in."""
    from django_tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend

    from .tasks import deliver_outbox_message

    if not isinstance(task_backends[deliver_outbox_message.backend], DatabaseBackend):
        return False
    from django_tasks_db.models import DBTaskResult

    return router.db_for_write(DBTaskResult) == router.db_for_write(OutboxMessage)


def _enqueue_delivery(message_id: int, run_after: datetime | None = None) -> None:
    from .tasks import deliver_outbox_message

    task = (
        deliver_outbox_message.using(run_after=run_after) if run_after else deliver_outbox_message
    )
    task.enqueue(message_id)


# ---------------------------------------------------------------------------------------
# Delivery


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... doubling per failed attempt, at most an hour."""
    exponent = min(max(attempts - 1, 0), 20)  # far past the cap; keeps the number small
    return min(RETRY_BASE * 2**exponent, RETRY_CAP)


def claim_message(message_id: int) -> bool:
    """Take a due queued message for sending. True for exactly one caller, however many race.

    A single conditional UPDATE: the database serialises concurrent claims on the row, and
    the loser finds the state already "sending" and updates nothing.
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
    _record_success(message)
    return Delivery.SENT


def _describe_error(exc: BaseException, secret_url: str) -> str:
    text = f"{type(exc).__name__}: {exc}"
    if secret_url:
        for needle in sorted(_secret_needles(secret_url), key=len, reverse=True):
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
        updated = OutboxMessage.objects.filter(pk=message.pk, state=OutboxState.SENDING).update(
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
                _schedule_delivery(message.pk, next_attempt_at)
    return Delivery.RETRYING


def _give_up(message: OutboxMessage, error: str) -> Delivery:
    logger.error("Outbox message %s: giving up after %s attempts", message.pk, message.attempts)
    with transaction.atomic():
        updated = OutboxMessage.objects.filter(pk=message.pk, state=OutboxState.SENDING).update(
            state=OutboxState.FAILED, last_error=error, secret_url_encrypted="", claimed_at=None
        )
        if updated:
            details = _activity_details(message, attempts=message.attempts, error=error[:200])
            _record_activity(message, Verb.EMAIL_FAILED, details)
    return Delivery.FAILED


def reclaim_stuck_messages() -> int:
    """Messages left "sending" by a worker that died. Back to the queue, or failed when spent.

    The worker may have died after the server accepted the mail and before it recorded so;
    retrying then sends a second copy with the same Message-ID. That is the price of never
    losing a message, and mail clients collapse the duplicate by its Message-ID.
    """
    now = timezone.now()
    stuck = OutboxMessage.objects.filter(
        state=OutboxState.SENDING, claimed_at__lt=now - STUCK_AFTER
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
