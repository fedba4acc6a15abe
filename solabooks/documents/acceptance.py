"""The proof of an accepted quote, and the business's quote terms.

When a quote is accepted (decide_quote, or staff's "Mark accepted"), the product keeps the
PDF of exactly the version accepted and an acceptance certificate. Rendering takes about a
second, so it happens before the decision's transaction (`prepare_acceptance`, on the quote
as the customer saw it), and the transaction only checks, under the quote's row lock, that
nothing the PDF shows has changed since (same fingerprint, same terms) before
`record_acceptance` saves the record naming the files. If anything did change, it renders
again under the lock, so the record always shows what was accepted. The files go to the
private storage (no URL maps to it) under `acceptances/<organization>/<random>-…pdf`,
outside the PDF cache's directory, so the cache's pruning never touches them, and they are
written once and never re-rendered: later changes to the customer, the branding or the
address cannot alter them. A decision that does not commit (another decision won, a
refusal, a database error) deletes the files it wrote (`kept_only_if_committed`).
"""

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string

from solabooks.activity.models import ActorType, Verb
from solabooks.activity.services import Actor, record_activity
from solabooks.core.errors import DomainError
from solabooks.core.storage import private_storage

from .models import AcceptanceChannel, AcceptanceRecord, Document, QuoteTerms

ACCEPTANCE_PREFIX = "acceptances"
MAX_TERMS = 20_000
# A quote PDF is tens of kilobytes; anything much larger is not one of ours.
MAX_VERIFY_BYTES = 10 * 1024 * 1024

TERMS_NOT_AGREED = "Please tick “I agree to the terms” to accept."
TERMS_CHANGED = (
    "The business changed its terms since this page was shown. Please read them again and accept."
)


# --- Terms -------------------------------------------------------------------------------


def current_terms(organization) -> QuoteTerms | None:
    """The terms a customer must agree to now, or None (never set, or cleared)."""
    latest = QuoteTerms.objects.for_org(organization).order_by("-version").first()
    return latest if latest is not None and latest.text.strip() else None


@transaction.atomic
def set_quote_terms(*, organization, text: str, actor: Actor) -> QuoteTerms:
    """A new version of the terms (an empty text clears them). Old versions stay, as the
    records that name them need them."""
    text = (text or "").strip().replace("\r\n", "\n")
    if len(text) > MAX_TERMS:
        raise DomainError(f"The terms can be at most {MAX_TERMS} characters.")
    # The organization row serialises two editors, so versions never collide.
    type(organization).objects.select_for_update().filter(pk=organization.pk).first()
    latest = QuoteTerms.objects.for_org(organization).order_by("-version").first()
    if latest is not None and latest.text == text:
        return latest
    terms = QuoteTerms.objects.create(
        organization=organization,
        version=(latest.version if latest else 0) + 1,
        text=text,
        created_by=actor.saved_user,
    )
    record_activity(
        organization=organization,
        verb=Verb.SETTINGS_CHANGED,
        actor=actor,
        details={"quote_terms_version": terms.version, "quote_terms_cleared": not text},
    )
    return terms


def check_terms_agreed(
    organization, *, terms_version: int | None, agreed: bool
) -> QuoteTerms | None:
    """The customer's Accept, when the business has terms: the page showed the current
    version (posted back) and the box was ticked. Returns the terms agreed to."""
    terms = current_terms(organization)
    if terms is None:
        return None
    if terms_version != terms.version:
        raise DomainError(TERMS_CHANGED, code="terms_changed")
    if not agreed:
        raise DomainError(TERMS_NOT_AGREED, code="terms_not_agreed")
    return terms


# --- The record --------------------------------------------------------------------------


def _channel(actor: Actor) -> tuple[str, str]:
    if actor.type == ActorType.LINK:
        return AcceptanceChannel.LINK, f"secure link #{actor.extra.get('link_id', '?')}"
    if actor.type == ActorType.PORTAL:
        access = actor.extra.get("portal_access_id", "?")
        return AcceptanceChannel.PORTAL, f"portal account #{access} ({actor.label})"
    return AcceptanceChannel.STAFF, f"recorded by staff ({actor.label})"


def _store_once(organization_id: int, stem: str, data: bytes) -> str:
    # A random name: unguessable, and never the name of an existing file, so nothing is
    # overwritten (the storage would pick another name anyway, and we keep what it chose).
    name = f"{ACCEPTANCE_PREFIX}/{organization_id}/{secrets.token_hex(20)}-{stem}.pdf"
    return private_storage().save(name, ContentFile(data))


def render_certificate(record: AcceptanceRecord, *, quote: Document) -> bytes:
    from weasyprint import HTML

    organization = quote.organization
    zone = organization.zone
    decided = record.decided_at
    html = render_to_string(
        "pdf/acceptance_certificate.html",
        {
            "record": record,
            "organization": organization,
            "customer_name": quote.customer.name,
            "number": quote.number,
            "zone_name": str(zone),
            "local_time": decided.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z (UTC%z)"),
            "utc_time": decided.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        },
    )
    return HTML(string=html).write_pdf()


@dataclass
class PreparedAcceptance:
    """An acceptance rendered and stored before the decision's transaction: the unsaved
    record and what its files were rendered from, to compare under the lock."""

    record: AcceptanceRecord
    pdf_fingerprint: str
    terms_id: int | None
    # Every file written for this decision; those the committed record does not name are
    # deleted (kept_only_if_committed).
    written: list[str] = field(default_factory=list)


def _build_record(
    *, quote: Document, signer_name: str, decided_at: datetime, actor: Actor, terms, pdf: bytes
) -> AcceptanceRecord:
    channel, label = _channel(actor)
    return AcceptanceRecord(
        organization=quote.organization,
        document=quote,
        content_version=quote.content_version,
        signer_name=signer_name,
        decided_at=decided_at,
        ip=actor.ip or None,
        user_agent=(actor.user_agent or "")[:1000],
        channel=channel,
        channel_label=label,
        recorded_by=actor.saved_user if channel == AcceptanceChannel.STAFF else None,
        terms_version=terms.version if terms else None,
        terms_text=terms.text if terms else "",
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
    )


def _render_and_store(
    *, quote: Document, signer_name: str, decided_at: datetime, actor: Actor, terms
) -> PreparedAcceptance:
    # Imported here: pdf builds on documents.
    from solabooks.pdf.services import document_pdf, pdf_fingerprint

    pdf = document_pdf(document=quote)
    record = _build_record(
        quote=quote,
        signer_name=signer_name,
        decided_at=decided_at,
        actor=actor,
        terms=terms,
        pdf=pdf,
    )
    certificate = render_certificate(record, quote=quote)
    record.certificate_sha256 = hashlib.sha256(certificate).hexdigest()
    prepared = PreparedAcceptance(
        record=record, pdf_fingerprint=pdf_fingerprint(quote), terms_id=terms.pk if terms else None
    )
    record.pdf_name = _store_once(quote.organization_id, "quote", pdf)
    prepared.written.append(record.pdf_name)
    record.certificate_name = _store_once(quote.organization_id, "certificate", certificate)
    prepared.written.append(record.certificate_name)
    return prepared


def prepare_acceptance(
    *, quote: Document, signer_name: str, actor: Actor, decided_at: datetime, terms
) -> PreparedAcceptance:
    """Render and store the accepted PDF and the certificate before the decision's
    transaction, from the quote as it is now, with the terms agreed to (or None). Call it
    only after the decision's own checks have passed once (a refused decision should cost
    no rendering), and keep the decision in `kept_only_if_committed`."""
    return _render_and_store(
        quote=quote, signer_name=signer_name, decided_at=decided_at, actor=actor, terms=terms
    )


@contextmanager
def kept_only_if_committed(prepared: PreparedAcceptance | None) -> Iterator[None]:
    """Wrap the decision's transaction: if it raises, the files prepared for it go."""
    try:
        yield
    except BaseException:
        if prepared is not None:
            _delete(prepared.written)
        raise


def _delete(names: list[str]) -> None:
    storage = private_storage()
    for name in names:
        storage.delete(name)


def record_acceptance(
    *,
    quote: Document,
    signer_name: str,
    decided_at: datetime,
    actor: Actor,
    terms: QuoteTerms | None,
    prepared: PreparedAcceptance | None = None,
) -> AcceptanceRecord:
    """Save the record of the accepted PDF and the certificate. Called in the decision's
    transaction on the locked quote, before its state changes. `prepared` (rendered before
    the lock) is used when the locked quote still prints the same and the terms agreed to
    are the ones it shows; otherwise the files are rendered here, from the locked quote.
    The decision's own Activity covers the record."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_acceptance() runs inside the decision's transaction.")
    from solabooks.pdf.services import pdf_fingerprint

    terms_id = terms.pk if terms else None
    if (
        prepared is None
        or prepared.pdf_fingerprint != pdf_fingerprint(quote)
        or prepared.terms_id != terms_id
    ):
        fresh = _render_and_store(
            quote=quote, signer_name=signer_name, decided_at=decided_at, actor=actor, terms=terms
        )
        if prepared is None:
            prepared = fresh
        else:
            # Something the PDF shows changed while it rendered: the fresh files count, the
            # stale ones go once this commits (and all of them if it does not).
            stale = list(prepared.written)
            transaction.on_commit(lambda: _delete(stale))
            prepared.record = fresh.record
            prepared.pdf_fingerprint, prepared.terms_id = fresh.pdf_fingerprint, fresh.terms_id
            prepared.written.extend(fresh.written)
    record = prepared.record
    record.document = quote
    record.save(force_insert=True)
    return record


def queue_acceptance_confirmation(*, record: AcceptanceRecord, quote: Document) -> None:
    """The customer's confirmation, with the accepted PDF and the certificate attached
    (from the private storage, through the outbox). Only for the customer's own decision,
    and only when the customer has an address on file; the email carries no link."""
    # Imported here: mail builds on documents.
    from solabooks.mail.services import EmailAttachment, queue_email

    to = (quote.customer.email or "").strip()
    if record.channel == AcceptanceChannel.STAFF or not to:
        return
    zone = quote.organization.zone
    queue_email(
        organization=quote.organization,
        to=to,
        template="quote_acceptance_confirmation",
        document=quote,
        context={
            "record": record,
            "organization": quote.organization,
            "number": quote.number,
            "local_time": record.decided_at.astimezone(zone).strftime("%d %b %Y, %H:%M %Z"),
            "utc_time": record.decided_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        },
        attachments=[
            EmailAttachment(acceptance_filename(record, "pdf"), record.pdf_name),
            EmailAttachment(acceptance_filename(record, "certificate"), record.certificate_name),
        ],
    )


def acceptance_file(record: AcceptanceRecord, which: str) -> bytes:
    """The stored bytes of "pdf" or "certificate" (the caller has checked access)."""
    name = {"pdf": record.pdf_name, "certificate": record.certificate_name}[which]
    with private_storage().open(name, "rb") as handle:
        return handle.read()


def acceptance_filename(record: AcceptanceRecord, which: str) -> str:
    from solabooks.pdf.services import pdf_filename

    stem = pdf_filename(record.document).removesuffix(".pdf")
    suffix = "accepted" if which == "pdf" else "acceptance-certificate"
    return f"{stem}-v{record.content_version}-{suffix}.pdf"


def find_accepted_version(*, organization, data: bytes) -> AcceptanceRecord | None:
    """The business's record whose accepted PDF is byte-identical to `data` (by SHA-256),
    or None. Only this business's records are searched."""
    if len(data) > MAX_VERIFY_BYTES:
        raise DomainError("The file is too large to be one of your accepted quotes.")
    digest = hashlib.sha256(data).hexdigest()
    return (
        AcceptanceRecord.objects.for_org(organization)
        .filter(pdf_sha256=digest)
        .select_related("document")
        .first()
    )
