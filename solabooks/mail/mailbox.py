"""The demo mailbox: sent emails kept as .eml files in settings.DEMO_MAILBOX_DIR.

Written by `backends.MailboxBackend`, read by the demo-only pages in views.py.
"""

import email
import email.policy
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

from django.conf import settings
from django.utils import timezone

# File stems are "<UTC timestamp>-<random>"; sorting by name sorts by time.
MESSAGE_ID_RE = re.compile(r"^[0-9]{8}T[0-9]{12}-[0-9a-f]{8}$")
LIST_LIMIT = 200


@dataclass(frozen=True)
class MailboxEntry:
    id: str
    to: str
    from_: str
    reply_to: str
    subject: str
    date: datetime | None
    message: EmailMessage

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else ""


def mailbox_dir() -> Path:
    return Path(settings.DEMO_MAILBOX_DIR)


def store_message(raw: bytes) -> str:
    """Write one message; returns its mailbox id. Atomic: readers never see half a file."""
    directory = mailbox_dir()
    directory.mkdir(parents=True, exist_ok=True)
    message_id = f"{timezone.now():%Y%m%dT%H%M%S%f}-{secrets.token_hex(4)}"
    temporary = directory / f".{message_id}.tmp"
    # 0600: the demo mail holds live link tokens; other local users have no business reading it.
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(raw)
    os.replace(temporary, directory / f"{message_id}.eml")
    return message_id


def _parse(message_id: str, path: Path) -> MailboxEntry:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    try:
        date = parsedate_to_datetime(message["Date"]) if message["Date"] else None
    except (TypeError, ValueError):
        date = None
    if date is not None and date.tzinfo is None:
        # Django writes the Date header in UTC as "-0000" (RFC 5322: zone unknown), which
        # parses naive; pages then show it in the business's zone like every other time.
        date = date.replace(tzinfo=UTC)
    return MailboxEntry(
        id=message_id,
        to=str(message["To"] or ""),
        from_=str(message["From"] or ""),
        reply_to=str(message["Reply-To"] or ""),
        subject=str(message["Subject"] or ""),
        date=date,
        message=message,
    )


def list_messages(limit: int = LIST_LIMIT) -> list[MailboxEntry]:
    directory = mailbox_dir()
    if not directory.is_dir():
        return []
    stems = sorted(
        (p.stem for p in directory.glob("*.eml") if MESSAGE_ID_RE.match(p.stem)), reverse=True
    )
    return [_parse(stem, directory / f"{stem}.eml") for stem in stems[:limit]]


def get_message(message_id: str) -> MailboxEntry | None:
    if not MESSAGE_ID_RE.match(message_id):
        return None
    path = mailbox_dir() / f"{message_id}.eml"
    if not path.is_file():
        return None
    return _parse(message_id, path)
