"""Reads for secure links. A link is found by the SHA-256 of its token, never by the token."""

import hashlib
from dataclasses import dataclass
from enum import Enum

from django.db.models import QuerySet
from django.utils import timezone

from solabooks.documents.models import DEAD_STATES, Kind

from .models import LinkPurpose, SecureLink

# The URL prefix a document's link lives under: quotes on /q/ (the guide's public quote
# link), everything else on /i/.
QUOTE_PREFIX = "q"
DOCUMENT_PREFIX = "i"
URL_NAME = {DOCUMENT_PREFIX: "link-document", QUOTE_PREFIX: "link-quote"}


def hash_token(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode("utf-8", "surrogatepass")).hexdigest()


def url_prefix_for(kind: str) -> str:
    return QUOTE_PREFIX if kind == Kind.QUOTE else DOCUMENT_PREFIX


class LinkState(Enum):
    ACTIVE = "active"
    # Past its 24 hours: the customer may ask for a fresh one.
    EXPIRED = "expired"
    # Revoked, or its document re-assigned, voided / cancelled or deleted: not renewable.
    INVALID = "invalid"


@dataclass(frozen=True)
class LinkAccess:
    link: SecureLink
    state: LinkState

    @property
    def document(self):
        return self.link.document

    @property
    def is_active(self) -> bool:
        return self.state is LinkState.ACTIVE


def link_state(link: SecureLink) -> LinkState:
    """Validity follows from state, not only from a revoked_at someone remembered to set:
    a link made for customer A is dead once its document belongs to anyone else."""
    document = link.document
    if (
        link.revoked_at is not None
        or document is None
        or document.customer_id != link.customer_id
        or document.organization_id != link.organization_id
        or document.state in DEAD_STATES
    ):
        return LinkState.INVALID
    if timezone.now() >= link.expires_at:
        return LinkState.EXPIRED
    return LinkState.ACTIVE


def find_document_link(*, raw_token: str, prefix: str) -> LinkAccess | None:
    """The document link behind a token as it arrived in a URL, or None (a 404).

    Any string is hashed and looked up, so an unknown or malformed token costs the same
    work as a real one. A quote's token under /i/ (or another kind's under /q/) is None
    too: each link has exactly one URL.
    """
    link = (
        SecureLink.objects.filter(token_hash=hash_token(raw_token), purpose=LinkPurpose.DOCUMENT)
        .select_related("organization", "customer", "document", "document__customer")
        .first()
    )
    if link is None:
        return None
    # A deleted document has no kind left to check; its page says "no longer valid".
    if link.document is not None and url_prefix_for(link.document.kind) != prefix:
        return None
    return LinkAccess(link=link, state=link_state(link))


def active_customer_links(*, customer) -> QuerySet[SecureLink]:
    """The customer's links that open right now, newest first (the Portal Access tab)."""
    return (
        SecureLink.objects.for_customer(customer)
        .filter(
            purpose=LinkPurpose.DOCUMENT,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            document__customer=customer,
        )
        .exclude(document__state__in=DEAD_STATES)
        .select_related("document")
    )


def unrevoked_customer_links(*, customer) -> QuerySet[SecureLink]:
    """Every link of the customer not yet revoked, expired ones included: an expired link
    can still be renewed through Request access, so Revoke all links covers it too."""
    return SecureLink.objects.for_customer(customer).filter(revoked_at__isnull=True)


def document_has_been_sent(*, document) -> bool:
    return SecureLink.objects.filter(
        organization_id=document.organization_id, document=document
    ).exists()
