"""Reads for secure links. A link is found by the SHA-256 of its token, never by the token."""

import hashlib
from dataclasses import dataclass
from enum import Enum

from django.db.models import Q, QuerySet
from django.utils import timezone

from solabooks.core.prepared import (
    PreparedQuery,
    RelatedColumns,
    attnames_of,
    column_paths,
    concrete_attnames,
    instances_from_db,
)
from solabooks.customers.models import Customer
from solabooks.documents.models import Document, Kind
from solabooks.documents.states import DEAD_STATES
from solabooks.pdf.services import FINGERPRINT_COLUMNS
from solabooks.projects.models import ApprovalRequest, Project
from solabooks.tenancy.models import Organization

from .models import LinkPurpose, SecureLink

# The URL prefix a document's link lives under: quotes on /q/ (the guide's public quote
# link), everything else on /i/.
QUOTE_PREFIX = "q"
DOCUMENT_PREFIX = "i"
URL_NAME = {DOCUMENT_PREFIX: "link-document", QUOTE_PREFIX: "link-quote"}
# The URL prefixes of the two project link purposes: /finance/p/<token>, /finance/t/<token>.
PROJECT_PREFIXES = {LinkPurpose.PROJECT_SHARE: "p", LinkPurpose.TIME_APPROVAL: "t"}
PROJECT_PURPOSES = PROJECT_PREFIXES.keys()


def hash_token(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode("utf-8", "surrogatepass")).hexdigest()


# What mail clients and people glue to a link they paste: a sentence's full stop, a closing
# bracket, "<...>" or trailing whitespace. None of these is in a token's alphabet
# (URL-safe base64: letters, digits, "-" and "_"), so stripping them never changes a token.
PASTED_TAIL = ".,;:!?)]}>'\"\u00bb\u201d\u2019 \t\r\n"


def token_as_pasted(raw_token: str) -> str:
    """The token without what a paste may have glued to its end."""
    return raw_token.rstrip(PASTED_TAIL)


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
    a link made for customer A is dead once its document (or project) belongs to anyone
    else."""
    if link.purpose != LinkPurpose.DOCUMENT:
        return _project_link_state(link)
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


# The link, its business, its customer and its document (LEFT JOIN: a deleted document
# leaves the link in place), in one prepared statement: every link page and PDF download
# starts here, and building this four-table query anew cost more than the rest of a
# cached page. Only the columns a cached page or PDF needs (state, versions, what
# pdf_fingerprint names, the branding the page frame shows) are read; the instances defer
# the rest, and a page or PDF rendered anew loads its document whole
# (documents.selectors.full_document).

_LINK_COLUMNS: RelatedColumns = (
    (
        SecureLink,
        "",
        attnames_of(
            SecureLink,
            *("id", "organization_id", "customer_id", "document_id", "purpose"),
            *("expires_at", "revoked_at"),
        ),
    ),
    (
        Organization,
        "organization__",
        attnames_of(
            Organization,
            *FINGERPRINT_COLUMNS["organization"],
            *("allow_portal_setup_from_link", "data_version"),
        ),
    ),
    (Customer, "customer__", attnames_of(Customer, *FINGERPRINT_COLUMNS["customer"])),
    (
        Document,
        "document__",
        attnames_of(
            Document,
            *FINGERPRINT_COLUMNS["document"],
            *("organization_id", "customer_id", "number", "viewed_at"),
        ),
    ),
)


_DOCUMENT_LINK_BY_HASH = PreparedQuery(
    lambda token_hash: (
        SecureLink.objects.filter(token_hash=token_hash, purpose=LinkPurpose.DOCUMENT)
        .values_list(*column_paths(_LINK_COLUMNS))
        .order_by()[:1]
    ),
    token_hash=str,
)


def _link_from_row(row: tuple) -> SecureLink:
    link, organization, customer, document = instances_from_db(_LINK_COLUMNS, row)
    link.organization, link.customer, link.document = organization, customer, document
    if document is not None:
        if document.organization_id == organization.pk:
            document.organization = organization
        if document.customer_id == customer.pk:
            document.customer = customer
    return link


def find_document_link(*, raw_token: str, prefix: str) -> LinkAccess | None:
    """The document link behind a token as it arrived in a URL, or None (a 404).

    Any string is hashed and looked up, so an unknown or malformed token costs the same
    work as a real one. A quote's token under /i/ (or another kind's under /q/) is None
    too: each link has exactly one URL. The link comes with its organization, customer
    and document (and the document's own organization and customer, when they are the
    link's), each with the columns above and the rest deferred.
    """
    row = _DOCUMENT_LINK_BY_HASH.first(token_hash=hash_token(token_as_pasted(raw_token)))
    if row is None:
        return None
    link = _link_from_row(row)
    # A deleted document has no kind left to check; its page says "no longer valid".
    if link.document is not None and url_prefix_for(link.document.kind) != prefix:
        return None
    return LinkAccess(link=link, state=link_state(link))


def active_customer_links(*, customer) -> QuerySet[SecureLink]:
    """The customer's links that open right now, newest first (the Portal Access tab):
    document links, project shares and time approvals."""
    document_links = Q(purpose=LinkPurpose.DOCUMENT, document__customer=customer) & ~Q(
        document__state__in=DEAD_STATES
    )
    project_links = (
        Q(purpose__in=tuple(PROJECT_PURPOSES), project__customer=customer)
        # A withdrawn request's link is dead; a share link has no request at all.
        & ~Q(approval_request__state="withdrawn")
    )
    return (
        SecureLink.objects.for_customer(customer)
        .filter(revoked_at__isnull=True, expires_at__gt=timezone.now())
        .filter(document_links | project_links)
        .select_related("document", "project")
    )


def unrevoked_customer_links(*, customer) -> QuerySet[SecureLink]:
    """Every link of the customer not yet revoked, expired ones included: an expired link
    can still be renewed through Request access, so Revoke all links covers it too."""
    return SecureLink.objects.for_customer(customer).filter(revoked_at__isnull=True)


def document_has_been_sent(*, document) -> bool:
    return SecureLink.objects.filter(
        organization_id=document.organization_id, document=document
    ).exists()


# --- Project share and time approval links ---------------------------------------------


def _project_link_state(link: SecureLink) -> LinkState:
    project = link.project
    if (
        link.revoked_at is not None
        or project is None
        or project.customer_id != link.customer_id
        or project.organization_id != link.organization_id
    ):
        return LinkState.INVALID
    if link.purpose == LinkPurpose.TIME_APPROVAL:
        approval_request = link.approval_request
        # A withdrawn request (or one whose project moved) is over; a decided one still
        # shows the customer what they decided.
        if (
            approval_request is None
            or approval_request.project_id != project.pk
            or approval_request.state == "withdrawn"
        ):
            return LinkState.INVALID
    if timezone.now() >= link.expires_at:
        return LinkState.EXPIRED
    return LinkState.ACTIVE


@dataclass(frozen=True)
class ProjectLinkAccess:
    link: SecureLink
    state: LinkState

    @property
    def project(self):
        return self.link.project

    @property
    def approval_request(self):
        return self.link.approval_request

    @property
    def is_active(self) -> bool:
        return self.state is LinkState.ACTIVE


# The project link, its business, its customer, its project and its approval request (LEFT
# JOINs: a share link has no request), in one prepared statement, as for a document's link:
# building the five-table query anew cost three times what the rest of a cached project page
# does. The project and the request are read whole (the pages and their keys use most of
# their columns); the business and the customer as far as the link pages show them, with
# the business's data version that keys the rendered pages.
_PROJECT_LINK_COLUMNS: RelatedColumns = (
    (
        SecureLink,
        "",
        attnames_of(
            SecureLink,
            *("id", "organization_id", "customer_id", "purpose", "project_id"),
            *("approval_request_id", "expires_at", "revoked_at"),
        ),
    ),
    _LINK_COLUMNS[1],
    (Customer, "customer__", attnames_of(Customer, "id", "name", "email", "currency")),
    (Project, "project__", concrete_attnames(Project)),
    (ApprovalRequest, "approval_request__", concrete_attnames(ApprovalRequest)),
)
_PROJECT_LINK_BY_HASH = PreparedQuery(
    lambda token_hash, purpose: (
        SecureLink.objects.filter(token_hash=token_hash, purpose=purpose)
        .values_list(*column_paths(_PROJECT_LINK_COLUMNS))
        .order_by()[:1]
    ),
    token_hash=str,
    purpose=str,
)


def find_project_link(*, raw_token: str, purpose: str) -> ProjectLinkAccess | None:
    """The project link of `purpose` behind a token as it arrived in a URL, or None (404).

    Any string is hashed and looked up, so an unknown or malformed token costs the same
    work as a real one; a share token under /t/ (or an approval token under /p/) is None.
    The link comes with its business, customer, project and request (the project's own
    business and customer, and the request's project, where they are the link's).
    """
    row = _PROJECT_LINK_BY_HASH.first(
        token_hash=hash_token(token_as_pasted(raw_token)), purpose=purpose
    )
    if row is None:
        return None
    link, organization, customer, project, approval_request = instances_from_db(
        _PROJECT_LINK_COLUMNS, row
    )
    link.organization, link.customer = organization, customer
    link.project, link.approval_request = project, approval_request
    if project is not None:
        if project.organization_id == organization.pk:
            project.organization = organization
        if project.customer_id == customer.pk:
            project.customer = customer
        if approval_request is not None and approval_request.project_id == project.pk:
            approval_request.project = project
    return ProjectLinkAccess(link=link, state=link_state(link))
