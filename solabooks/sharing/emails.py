"""The sharing app's emails: the document sent to a customer, and a fresh link on request.

Both go to the customer's email on file, through the outbox. The link's URL carries the raw
token, so it travels only as `secret_url` (encrypted in the outbox, `{{ link_url }}` in the
templates) and never in the context.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from solabooks.mail.services import queue_email

from .models import SecureLink
from .selectors import URL_NAME, url_prefix_for

DOCUMENT_SENT = "document_sent"
FRESH_LINK = "fresh_link"


def link_url(*, document, raw_token: str) -> str:
    """The absolute URL of a document's link: /finance/i/<token>, quotes /finance/q/<token>."""
    name = URL_NAME[url_prefix_for(document.kind)]
    return settings.BASE_URL + reverse(name, kwargs={"token": raw_token})


def _context(*, document, link: SecureLink, message: str = "") -> dict:
    return {
        "document": document,
        "organization": document.organization,
        "customer": document.customer,
        "message": message,
        "expires_at": link.expires_at,
    }


def default_subject(*, document) -> str:
    return render_to_string(
        f"email/{DOCUMENT_SENT}_subject.txt",
        {"document": document, "organization": document.organization},
    ).strip()


def default_message(*, document) -> str:
    return render_to_string(
        "sharing/default_message.txt",
        {
            "document": document,
            "organization": document.organization,
            "customer": document.customer,
        },
    ).strip()


def queue_document_sent(*, document, link: SecureLink, raw_token: str, subject: str, message: str):
    return queue_email(
        organization=document.organization,
        to=link.sent_to,
        template=DOCUMENT_SENT,
        context=_context(document=document, link=link, message=message),
        subject=subject,
        document=document,
        customer=document.customer,
        secret_url=link_url(document=document, raw_token=raw_token),
    )


def queue_fresh_link(*, document, link: SecureLink, raw_token: str):
    return queue_email(
        organization=document.organization,
        to=link.sent_to,
        template=FRESH_LINK,
        context=_context(document=document, link=link),
        document=document,
        customer=document.customer,
        secret_url=link_url(document=document, raw_token=raw_token),
    )
