"""The email outbox: queue_email() commits a message; delivery (delivery.py) runs as a task
after commit.

Flow
  queue_email()            renders the templates, stores an OutboxMessage (state "queued")
                           and, on commit, enqueues tasks.deliver_outbox_message(pk).
  deliver_message(pk)      claims the row (conditional UPDATE queued -> sending, so only one
                           worker ever sends it), sends it through the configured email
                           backend, then marks it sent, or queued again with backoff, or failed.
  deliver_due_messages()   the sweep: reclaims rows "sending" past their worker's lease
                           (OUTBOX_LEASE_SECONDS: the worker died) and delivers every
                           queued row whose next_attempt_at has passed. Each delivery task
                           runs it too, and `manage.py deliver_outbox` runs it.

Secret links: a link with a raw token is passed as `secret_url`, never in `context`. The
templates render `{{ link_url }}`, which at queue time is LINK_PLACEHOLDER; the real URL is
stored AES-GCM encrypted (crypto.py), put into the bodies only in memory at delivery, and
wiped from the row once the message is sent or given up on.
"""

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.utils import parseaddr
from functools import partial
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import router, transaction
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone
from django.utils.html import escape

from solabooks.core.colours import (
    DEFAULT_BRAND_COLOUR,
    WHITE,
    as_text_on_light,
    brand_colour_of,
    text_on,
)
from solabooks.core.errors import DomainError

from .crypto import encrypt_secret
from .models import OutboxAttachment, OutboxMessage

logger = logging.getLogger(__name__)

# What `{{ link_url }}` renders as until delivery. Only characters that HTML escaping leaves
# alone, so the stored HTML and text both contain it verbatim.
LINK_PLACEHOLDER = "https://solabooks.invalid/secure-link-placeholder"
MAX_SUBJECT_LENGTH = 250


# ---------------------------------------------------------------------------------------
# Queueing


@dataclass(frozen=True)
class EmailAttachment:
    """A file for queue_email: already in the private storage, never copied anywhere."""

    filename: str
    storage_name: str
    content_type: str = "application/pdf"


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


def secret_needles(secret_url: str) -> set[str]:
    needles = {secret_url, escape(secret_url)}
    token = secret_url.rstrip("/").rsplit("/", 1)[-1]
    if len(token) >= 16:
        needles.add(token)
    return needles


def _check_secret_placement(secret_url: str, *, subject: str, text: str, html: str) -> None:
    """The secret may reach the email only through {{ link_url }}; refuse anything else."""
    for needle in secret_needles(secret_url):
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
    attachments: Sequence[EmailAttachment] = (),
) -> OutboxMessage:
    """Render `email/<template>{_subject.txt,.txt,.html}` and commit an outbox row.
    `organization` None sends on Solabooks' own behalf (staff account emails).

    Delivery is enqueued with transaction.on_commit: it happens after the caller's
    transaction commits (right away with the embedded ImmediateBackend, by `db_worker` with
    TASK_BACKEND=database). Pass a link with a raw token as `secret_url`; it is never stored
    in clear. A blank `subject` means the template's subject. The templates get `context`
    plus `document`, `customer`, the branding (see branding_context) and `subject`.
    `attachments` name files already in the private storage; delivery attaches them.
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
    # Times in an email are the business's, with its abbreviation ("14:05 PST"), as on its
    # pages; Solabooks' own emails to staff say UTC.
    with timezone.override(organization.zone if organization is not None else UTC):
        if not (subject and subject.strip()):
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
    OutboxAttachment.objects.bulk_create(
        OutboxAttachment(
            organization=organization,
            message=message,
            position=position,
            filename=attachment.filename,
            content_type=attachment.content_type,
            storage_name=attachment.storage_name,
        )
        for position, attachment in enumerate(attachments)
    )
    schedule_delivery(message.pk)
    return message


def schedule_delivery(message_id: int, run_after: datetime | None = None) -> None:
    """Enqueue the delivery of a message the current transaction queued (new or retried).

    When task rows live in the outbox's database, the task row is written in that
    transaction: it commits with the message or not at all (one write, and no window in
    which a crash after the commit leaves a message without its task). Otherwise the task
    is enqueued after the commit, so one run at once (the embedded backend) finds the row;
    robust there: a failing enqueue must not turn a committed request into an error, the
    row is queued and the next sweep (or `manage.py deliver_outbox`) delivers it."""
    if _tasks_share_the_database():
        enqueue_delivery(message_id, run_after)
    else:
        transaction.on_commit(partial(enqueue_delivery, message_id, run_after), robust=True)


def _tasks_share_the_database() -> bool:
    """Whether delivery tasks are rows of the database the outbox is in."""
    from django_tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend

    from .tasks import deliver_outbox_message

    if not isinstance(task_backends[deliver_outbox_message.backend], DatabaseBackend):
        return False
    from django_tasks_db.models import DBTaskResult

    return router.db_for_write(DBTaskResult) == router.db_for_write(OutboxMessage)


def enqueue_delivery(message_id: int, run_after: datetime | None = None) -> None:
    from .tasks import deliver_outbox_message

    task = (
        deliver_outbox_message.using(run_after=run_after) if run_after else deliver_outbox_message
    )
    task.enqueue(message_id)
