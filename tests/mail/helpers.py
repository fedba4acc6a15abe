import secrets
import smtplib

from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection

from solabooks.mail.services import queue_email


def secret_link() -> str:
    return f"https://books.example.test/finance/i/{secrets.token_urlsafe(32)}"


def dump_all_tables() -> str:
    """Every row of every table in the database, as text."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            chunks.append(f"{table}: {cursor.fetchall()!r}")
    return "\n".join(chunks)


def queue_link_email(document, *, secret_url: str, to: str | None = None, **kwargs):
    return queue_email(
        organization=document.organization,
        to=to or document.customer.email,
        template="test_link",
        context={"customer_name": document.customer.name, "message": "Here is your invoice."},
        document=document,
        secret_url=secret_url,
        **kwargs,
    )


class DownBackend(BaseEmailBackend):
    """A mail server that is down; its error quotes the message, as a careless one might."""

    def send_messages(self, email_messages) -> int:
        body = email_messages[0].body
        raise smtplib.SMTPServerDisconnected(f"Connection lost while sending: {body}")


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        raise smtplib.SMTPRecipientsRefused({email_messages[0].to[0]: (550, b"5.1.1 No such user")})


class SilentBackend(BaseEmailBackend):
    """Accepts nothing and says so only by returning 0."""

    def send_messages(self, email_messages) -> int:
        return 0
