"""Every change to a document happens here, one transaction each, with its Activity:
create, edit, state actions, re-assign, convert, expire. Payments are in payments.py,
numbers in numbering.py, the state rules in states.py."""

import datetime
from functools import partial

from django.db import transaction
from django.utils import timezone

from solabooks.activity.accesslog import RowUpdate
from solabooks.activity.models import Verb
from solabooks.activity.services import Actor, record_activity
from solabooks.core.errors import DomainError, InvalidTransition
from solabooks.core.prepared import (
    PreparedQuery,
    RelatedColumns,
    column_paths,
    concrete_attnames,
    instances_from_db,
)
from solabooks.customers.models import Customer
from solabooks.tenancy.models import Organization

from . import states
from .acceptance import (
    PreparedAcceptance,
    kept_only_if_committed,
    prepare_acceptance,
    record_acceptance,
)
from .lines import (  # noqa: F401  (LineInput and the limits are imported from here)
    MAX_AMOUNT,
    MAX_DESCRIPTION,
    MAX_LINES,
    LineInput,
    line_inputs_of,
    write_lines,
)
from .models import (
    Document,
    Kind,
    Payment,
    State,
)
from .numbering import allocate_number

# What an edit changes besides the lines (saved with the state by states.apply).
EDITED_FIELDS = (
    "issue_date",
    "due_date",
    "valid_until",
    "notes",
    "terms",
    "subtotal",
    "tax_total",
    "total",
    "content_version",
)


def check_customer_belongs(organization, customer) -> None:
    if customer.organization_id != organization.pk:
        raise DomainError("That customer belongs to another business.")


@transaction.atomic
def create_document(
    *,
    organization,
    kind: str,
    customer,
    actor: Actor,
    lines: list[LineInput],
    issue_date: datetime.date | None = None,
    due_date: datetime.date | None = None,
    valid_until: datetime.date | None = None,
    currency: str | None = None,
    notes: str = "",
    terms: str = "",
    source_document: Document | None = None,
    payment: Payment | None = None,
) -> Document:
    check_customer_belongs(organization, customer)
    if kind not in Kind.values:
        raise DomainError("Unknown document kind.")
    issue_date = issue_date or organization.today()
    if kind == Kind.INVOICE and due_date is None:
        due_date = issue_date + datetime.timedelta(days=organization.payment_terms_days)
    if kind == Kind.QUOTE and valid_until is None:
        valid_until = issue_date + datetime.timedelta(days=30)
    if kind == Kind.CREDIT_NOTE:
        _check_credited_invoice(source_document, customer=customer)
    _check_dates(issue_date=issue_date, due_date=due_date, valid_until=valid_until)
    sequence, number = allocate_number(organization=organization, kind=kind)
    document = Document(
        organization=organization,
        customer=customer,
        kind=kind,
        sequence=sequence,
        number=number,
        issue_date=issue_date,
        due_date=due_date if kind == Kind.INVOICE else None,
        valid_until=valid_until if kind == Kind.QUOTE else None,
        currency=currency or customer.currency,
        notes=notes,
        terms=terms,
        source_document=source_document,
        payment=payment,
        created_by=actor.saved_user,
    )
    states.start(document)
    document.save()
    write_lines(document, lines)
    document.save(update_fields=["subtotal", "tax_total", "total"])
    record_activity(
        organization=organization,
        document=document,
        verb=Verb.CREATED,
        actor=actor,
        details={"number": number},
    )
    return document


def _check_credited_invoice(source: Document | None, *, customer) -> None:
    # A credit note cancels one invoice of its customer (credit_notes.issue_credit_note,
    # when a sent invoice is voided); the staff form and the API never get this far.
    if source is None or source.kind != Kind.INVOICE or source.customer_id != customer.pk:
        raise DomainError(
            "Credit notes are issued by voiding a sent invoice; they cannot be created "
            "on their own."
        )


def _check_dates(*, issue_date, due_date, valid_until) -> None:
    if due_date and due_date < issue_date:
        raise DomainError("The due date cannot be before the issue date.")
    if valid_until and valid_until < issue_date:
        raise DomainError("The valid-until date cannot be before the issue date.")


_LOCKED_COLUMNS: RelatedColumns = (
    (Document, "", concrete_attnames(Document)),
    (Organization, "organization__", concrete_attnames(Organization)),
    (Customer, "customer__", concrete_attnames(Customer)),
)
# Every change of a document starts here (send, edit, void, payments...): compiling this
# select_related() query cost more than all of send's writes together.
_LOCK_DOCUMENT = PreparedQuery(
    lambda pk: (
        Document.objects.select_for_update(of=("self",))
        .filter(pk=pk)
        .values_list(*column_paths(_LOCKED_COLUMNS))
        .order_by()
    ),
    pk=int,
)


def lock_document(document: Document) -> Document:
    """Re-read a document under a row lock, so concurrent changes queue. Its business and
    customer come in the same query (every service reads them); only the document's row is
    locked. Call inside a transaction."""
    row = _LOCK_DOCUMENT.first(pk=document.pk)
    if row is None:
        raise Document.DoesNotExist(f"Document {document.pk} no longer exists.")
    locked, organization, customer = instances_from_db(_LOCKED_COLUMNS, row)
    locked.organization = organization
    locked.customer = customer
    return locked


@transaction.atomic
def update_document(
    *,
    document: Document,
    actor: Actor,
    lines: list[LineInput],
    issue_date: datetime.date,
    due_date: datetime.date | None = None,
    valid_until: datetime.date | None = None,
    notes: str = "",
    terms: str = "",
) -> Document:
    document = lock_document(document)
    states.check(document, "edit")
    _check_dates(issue_date=issue_date, due_date=due_date, valid_until=valid_until)
    document.issue_date = issue_date
    if document.kind == Kind.INVOICE:
        document.due_date = due_date
    if document.kind == Kind.QUOTE:
        document.valid_until = valid_until
    document.notes, document.terms = notes, terms
    write_lines(document, lines)
    document.content_version += 1
    return states.apply(
        document,
        "edit",
        actor=actor,
        details={"version": document.content_version},
        fields=EDITED_FIELDS,
    )


def transition_document(*, document: Document, action: str, actor: Actor) -> Document:
    """One of the staff buttons (states.available_actions), from the page or the API."""
    prepared = None
    if action == "mark_accepted" and states.can(document, action):
        # The customer decided outside Solabooks: the record says staff recorded it, with
        # no typed name and no terms agreed. Rendered before the row lock (acceptance.py).
        prepared = prepare_acceptance(
            quote=document, signer_name="", actor=actor, decided_at=timezone.now(), terms=None
        )
    with kept_only_if_committed(prepared):
        return _transition_locked(document=document, action=action, actor=actor, prepared=prepared)


@transaction.atomic
def _transition_locked(
    *, document: Document, action: str, actor: Actor, prepared: PreparedAcceptance | None
) -> Document:
    document = lock_document(document)
    previous = document.state
    if action == "mark_accepted" and states.can(document, action):
        record_acceptance(
            quote=document,
            signer_name="",
            decided_at=prepared.record.decided_at if prepared else timezone.now(),
            actor=actor,
            terms=None,
            prepared=prepared,
        )
    states.apply(document, action, actor=actor, button=True)
    if states.issues_credit_note(document.kind, action, previous):
        # The customer has this invoice: the same transaction issues what cancels it.
        # Imported here: credit_notes builds on this module.
        from .credit_notes import issue_credit_note

        issue_credit_note(invoice=document, actor=actor)
    if states.is_dead(document):
        _invalidate_links(document=document, actor=actor, reason=str(document.state))
    if document.state == State.VOID:
        # Time billed on a voided invoice is approved again, ready for another invoice.
        # Imported here: projects builds on documents, not the other way round.
        from solabooks.projects.invoicing import release_invoiced_time

        release_invoiced_time(invoice=document, actor=actor)
    return document


def first_view_update(*, document: Document, at: datetime.datetime) -> tuple[RowUpdate, ...]:
    """The bookkeeping a customer's view writes on its document (through the access log):
    the first view sets the "viewed" flag, later ones nothing. only_if_null keeps the first
    value when two first views race; the flag shows in the business's data, so writing it
    moves the business's data version."""
    if document.viewed_at is not None:
        return ()
    document.viewed_at = at
    return (
        RowUpdate(
            Document,
            document.pk,
            "viewed_at",
            at,
            only_if_null=True,
            organization_id=document.organization_id,
            on_first_write=partial(_notify_first_view, document_id=document.pk, at=at),
        ),
    )


def _notify_first_view(*, document_id: int, at: datetime.datetime) -> None:
    # Notifications build on documents; imported late on purpose.
    from solabooks.notifications.services import note_first_view

    note_first_view(document_id=document_id, at=at)


def _invalidate_links(*, document: Document, actor: Actor, reason: str) -> None:
    # Links live in the sharing app, which builds on documents; imported late on purpose.
    from solabooks.sharing.services import invalidate_document_links

    invalidate_document_links(document=document, actor=actor, reason=reason)


@transaction.atomic
def reassign_document(*, document: Document, new_customer, actor: Actor) -> Document:
    document = lock_document(document)
    check_customer_belongs(document.organization, new_customer)
    if new_customer.pk == document.customer_id:
        raise DomainError("The document already belongs to that customer.")
    if document.amount_paid > 0:
        raise DomainError("A document with payments cannot be re-assigned.")
    if document.kind == Kind.RECEIPT:
        raise DomainError("A receipt belongs to its payment's customer.")
    if document.kind == Kind.CREDIT_NOTE:
        raise DomainError("A credit note belongs to the customer of the invoice it cancels.")
    if document.derived_documents.filter(kind=Kind.CREDIT_NOTE).exists():
        raise DomainError(
            "This invoice was cancelled by a credit note to its customer; it stays theirs."
        )
    # Imported here: projects builds on documents, not the other way round.
    from solabooks.projects.invoicing import billed_project

    project = billed_project(document)
    if project is not None:
        raise DomainError(
            f"This invoice bills time {project.customer.name} approved on project "
            f"{project.name}; void it to release the time instead of re-assigning it."
        )
    old_customer = document.customer
    document.customer = new_customer
    document.content_version += 1
    document.save(update_fields=["customer", "content_version", "updated_at"])
    # Every outstanding link to the document dies with the move, in this transaction.
    _invalidate_links(document=document, actor=actor, reason="reassigned")
    record_activity(
        organization=document.organization,
        document=document,
        verb=Verb.REASSIGNED,
        actor=actor,
        details={
            "from_customer": old_customer.name,
            "from_customer_id": old_customer.pk,
            "to_customer": new_customer.name,
            "to_customer_id": new_customer.pk,
        },
    )
    # The old customer's own history records that the document left them: their Activity
    # tab says so, and their portal pages, which key on their newest Activity row
    # (portal/views/pages.py), drop it on the next request.
    record_activity(
        organization=document.organization,
        customer=old_customer,
        verb=Verb.REASSIGNED,
        actor=actor,
        details={
            "document_id": document.pk,
            "document_number": document.number,
            "to_customer": new_customer.name,
            "to_customer_id": new_customer.pk,
        },
    )
    return document


@transaction.atomic
def convert_quote(*, quote: Document, to_kind: str, actor: Actor) -> Document:
    quote = lock_document(quote)
    checked = states.check(quote, "convert")
    if to_kind not in (Kind.INVOICE, Kind.SALES_ORDER):
        raise DomainError("A quote converts into an invoice or a sales order.")
    if quote.derived_documents.filter(kind=to_kind).exists():
        raise DomainError(
            f"This quote has already been converted into a {Kind(to_kind).label.lower()}."
        )
    lines = line_inputs_of(quote)
    created = create_document(
        organization=quote.organization,
        kind=to_kind,
        customer=quote.customer,
        actor=actor,
        lines=lines,
        currency=quote.currency,
        notes=quote.notes,
        terms=quote.terms,
        source_document=quote,
    )
    states.apply(
        quote,
        "convert",
        actor=actor,
        checked=checked,
        details={"into": created.number, "into_id": created.pk},
    )
    return created


def expire_overdue_quotes(*, actor: Actor | None = None) -> int:
    """Move every sent quote whose valid-until date has passed (in its business's time zone)
    to expired. Run daily (`manage.py expire_quotes`); each quote is its own transaction, so
    one that was accepted (or given a later date) a moment ago is simply skipped."""
    actor = actor or Actor.system("Quote expiry")
    expired = 0
    candidates = (
        Document.objects.filter(states.allowed(Kind.QUOTE, "expire"), valid_until__isnull=False)
        .select_related("organization")
        .only("pk", "valid_until", "organization__time_zone")
    )
    for quote in candidates.iterator():
        if quote.valid_until >= quote.organization.today():
            continue
        try:
            expire_quote(quote=quote, actor=actor)
        except InvalidTransition:
            continue  # decided in the meantime
        expired += 1
    return expired


@transaction.atomic
def expire_quote(*, quote: Document, actor: Actor) -> Document:
    """A sent quote past its valid-until date becomes expired (states: "expire")."""
    return states.apply(lock_document(quote), "expire", actor=actor)
