"""Every change to documents and payments happens here, one transaction each."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from solabooks.activity.accesslog import RowUpdate
from solabooks.activity.models import Verb
from solabooks.activity.services import Actor, record_activity
from solabooks.core.errors import DomainError, InvalidTransition
from solabooks.core.money import ZERO, format_money, minor_unit_error, round_money
from solabooks.core.prepared import (
    PreparedQuery,
    RelatedColumns,
    column_paths,
    concrete_attnames,
    instances_from_db,
)
from solabooks.customers.models import Customer
from solabooks.tenancy.models import Organization

from .models import (
    DEAD_STATES,
    OPEN_INVOICE_STATES,
    Document,
    DocumentLine,
    Kind,
    NumberSequence,
    Payment,
    PaymentAllocation,
    State,
)

EDITABLE_STATES = {
    Kind.INVOICE: (State.DRAFT, State.SENT),
    Kind.QUOTE: (State.DRAFT, State.SENT),
    Kind.SALES_ORDER: (State.DRAFT, State.CONFIRMED),
    Kind.RECEIPT: (),
}

# The state changes staff can ask for, per kind: action -> (from states, to state).
TRANSITIONS = {
    Kind.INVOICE: {
        "mark_sent": ((State.DRAFT,), State.SENT),
        "void": ((State.DRAFT, State.SENT), State.VOID),
    },
    Kind.QUOTE: {
        "mark_sent": ((State.DRAFT,), State.SENT),
        "mark_accepted": ((State.SENT,), State.ACCEPTED),
        "mark_declined": ((State.SENT,), State.DECLINED),
        "mark_expired": ((State.SENT,), State.EXPIRED),
    },
    Kind.SALES_ORDER: {
        "confirm": ((State.DRAFT,), State.CONFIRMED),
        "fulfil": ((State.CONFIRMED,), State.FULFILLED),
        "cancel": ((State.DRAFT, State.CONFIRMED), State.CANCELLED),
    },
    Kind.RECEIPT: {},
}
ACTION_LABELS = {
    "mark_sent": "Mark as sent",
    "void": "Void",
    "mark_accepted": "Mark accepted",
    "mark_declined": "Mark declined",
    "mark_expired": "Mark expired",
    "confirm": "Confirm",
    "fulfil": "Mark fulfilled",
    "cancel": "Cancel",
}
# Sending a draft moves it to the kind's "sent" state.
SENT_STATE = {Kind.INVOICE: State.SENT, Kind.QUOTE: State.SENT, Kind.SALES_ORDER: State.CONFIRMED}

MAX_LINES = 200
MAX_DESCRIPTION = 500  # DocumentLine.description max_length
# The money columns are DecimalField(max_digits=18, decimal_places=3): anything at or above
# 10**15 would overflow them (a database error, i.e. a 500), so it is refused as a user error.
MAX_AMOUNT = Decimal(10) ** 15


@dataclass(frozen=True)
class LineInput:
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal = ZERO


def prefix_for(organization, kind: str) -> str:
    return {
        Kind.INVOICE: organization.invoice_prefix,
        Kind.QUOTE: organization.quote_prefix,
        Kind.SALES_ORDER: organization.sales_order_prefix,
        Kind.RECEIPT: organization.receipt_prefix,
    }[kind]


def allocate_number(*, organization, kind: str) -> tuple[int, str]:
    """Take the next number of a kind. Must run inside the creating transaction.

    The sequence row is locked (select_for_update on PostgreSQL; SQLite's IMMEDIATE
    transactions serialize writers), so concurrent creators queue and a rolled-back
    creation gives its number back: no gaps, no duplicates.
    """
    NumberSequence.objects.get_or_create(organization=organization, kind=kind)
    sequence = NumberSequence.objects.select_for_update().get(organization=organization, kind=kind)
    value = sequence.next_value
    NumberSequence.objects.filter(pk=sequence.pk).update(next_value=F("next_value") + 1)
    return value, f"{prefix_for(organization, kind)}-{value:04d}"


def _write_lines(document: Document, lines: list[LineInput]) -> None:
    if not lines:
        raise DomainError("A document needs at least one line.")
    if len(lines) > MAX_LINES:
        raise DomainError(f"A document can have at most {MAX_LINES} lines.")
    currency = document.currency
    rows = []
    subtotal = tax_total = ZERO
    for position, line in enumerate(lines):
        description = line.description.strip()
        if not description:
            raise DomainError("Every line needs a description.")
        if len(description) > MAX_DESCRIPTION:
            raise DomainError(f"A line description can be at most {MAX_DESCRIPTION} characters.")
        if not all(Decimal(v).is_finite() for v in (line.quantity, line.unit_price, line.tax_rate)):
            raise DomainError("Quantities, prices and tax rates must be numbers.")
        if line.quantity <= 0:
            raise DomainError("Quantities must be greater than zero.")
        if line.unit_price < 0:
            raise DomainError("Unit prices cannot be negative.")
        if not (ZERO <= line.tax_rate <= 100):
            raise DomainError("Tax rates are percentages from 0 to 100.")
        line_subtotal = round_money(line.quantity * line.unit_price, currency)
        line_tax = round_money(line_subtotal * line.tax_rate / 100, currency)
        if line_subtotal + line_tax >= MAX_AMOUNT:
            raise DomainError(f"Line {position + 1}: the amount is too large.")
        subtotal += line_subtotal
        tax_total += line_tax
        rows.append(
            DocumentLine(
                document=document,
                position=position,
                description=description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                tax_rate=line.tax_rate,
                line_subtotal=line_subtotal,
                line_tax=line_tax,
            )
        )
    if subtotal + tax_total >= MAX_AMOUNT:
        raise DomainError("The document total is too large.")
    DocumentLine.objects.filter(document=document).delete()
    DocumentLine.objects.bulk_create(rows)
    document.subtotal = subtotal
    document.tax_total = tax_total
    document.total = subtotal + tax_total
    if document.amount_paid > document.total:
        raise DomainError("The new total is below what has already been paid on this invoice.")


def _check_customer(organization, customer) -> None:
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
    _check_customer(organization, customer)
    if kind not in Kind.values:
        raise DomainError("Unknown document kind.")
    issue_date = issue_date or organization.today()
    if kind == Kind.INVOICE and due_date is None:
        due_date = issue_date + datetime.timedelta(days=organization.payment_terms_days)
    if kind == Kind.QUOTE and valid_until is None:
        valid_until = issue_date + datetime.timedelta(days=30)
    _check_dates(issue_date=issue_date, due_date=due_date, valid_until=valid_until)
    sequence, number = allocate_number(organization=organization, kind=kind)
    document = Document(
        organization=organization,
        customer=customer,
        kind=kind,
        sequence=sequence,
        number=number,
        state=State.ISSUED if kind == Kind.RECEIPT else State.DRAFT,
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
    document.save()
    _write_lines(document, lines)
    document.save(update_fields=["subtotal", "tax_total", "total"])
    record_activity(
        organization=organization,
        document=document,
        verb=Verb.CREATED,
        actor=actor,
        details={"number": number},
    )
    return document


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
    if not document.is_editable:
        raise InvalidTransition(
            f"A {document.get_state_display().lower()} {document.get_kind_display().lower()} "
            "can no longer be edited."
        )
    _check_dates(issue_date=issue_date, due_date=due_date, valid_until=valid_until)
    document.issue_date = issue_date
    if document.kind == Kind.INVOICE:
        document.due_date = due_date
    if document.kind == Kind.QUOTE:
        document.valid_until = valid_until
    document.notes, document.terms = notes, terms
    _write_lines(document, lines)
    document.content_version += 1
    document.state = _payment_state(document) if document.kind == Kind.INVOICE else document.state
    document.save()
    record_activity(
        organization=document.organization,
        document=document,
        verb=Verb.EDITED,
        actor=actor,
        details={"version": document.content_version},
    )
    return document


@transaction.atomic
def transition_document(*, document: Document, action: str, actor: Actor) -> Document:
    document = lock_document(document)
    allowed = TRANSITIONS.get(document.kind, {})
    if action not in allowed:
        kind = document.get_kind_display().lower()
        article = "an" if kind[0] in "aeiou" else "a"
        raise InvalidTransition(f"“{action}” is not something {article} {kind} can do.")
    from_states, to_state = allowed[action]
    if document.state not in from_states:
        raise InvalidTransition(
            f"{document.number} is {document.get_state_display().lower()}; it cannot be moved to "
            f"{State(to_state).label.lower()}."
        )
    if action == "void" and document.amount_paid > 0:
        raise InvalidTransition(
            "An invoice with payments cannot be voided; remove the payments first."
        )
    previous = document.state
    document.state = to_state
    if to_state == State.SENT and document.sent_at is None:
        document.sent_at = timezone.now()
    document.save(update_fields=["state", "sent_at", "updated_at"])
    verb = Verb.VOIDED if to_state == State.VOID else Verb.STATE_CHANGED
    record_activity(
        organization=document.organization,
        document=document,
        verb=verb,
        actor=actor,
        details={"from": previous, "to": to_state},
    )
    if to_state in DEAD_STATES:
        _invalidate_links(document=document, actor=actor, reason=str(to_state))
    if to_state == State.VOID:
        # Time billed on a voided invoice is approved again, ready for another invoice.
        # Imported here: projects builds on documents, not the other way round.
        from solabooks.projects.invoicing import release_invoiced_time

        release_invoiced_time(invoice=document, actor=actor)
    return document


def available_actions(document: Document) -> list[tuple[str, str]]:
    return [
        (action, ACTION_LABELS[action])
        for action, (from_states, _) in TRANSITIONS.get(document.kind, {}).items()
        if document.state in from_states and not (action == "void" and document.amount_paid > 0)
    ]


def mark_document_sent(*, document: Document) -> Document:
    """Sending a draft marks it sent. Runs inside the sender's transaction."""
    sent_state = SENT_STATE.get(document.kind)
    fields = []
    if document.state == State.DRAFT and sent_state:
        document.state = sent_state
        fields.append("state")
    if document.sent_at is None:
        document.sent_at = timezone.now()
        fields.append("sent_at")
    if fields:
        document.save(update_fields=[*fields, "updated_at"])
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
        ),
    )


def _invalidate_links(*, document: Document, actor: Actor, reason: str) -> None:
    # Links live in the sharing app, which builds on documents; imported late on purpose.
    from solabooks.sharing.services import invalidate_document_links

    invalidate_document_links(document=document, actor=actor, reason=reason)


@transaction.atomic
def reassign_document(*, document: Document, new_customer, actor: Actor) -> Document:
    document = lock_document(document)
    _check_customer(document.organization, new_customer)
    if new_customer.pk == document.customer_id:
        raise DomainError("The document already belongs to that customer.")
    if document.amount_paid > 0:
        raise DomainError("A document with payments cannot be re-assigned.")
    if document.kind == Kind.RECEIPT:
        raise DomainError("A receipt belongs to its payment's customer.")
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
    if quote.kind != Kind.QUOTE:
        raise DomainError("Only quotes can be converted.")
    if quote.state != State.ACCEPTED:
        raise InvalidTransition("Only an accepted quote can be converted.")
    if to_kind not in (Kind.INVOICE, Kind.SALES_ORDER):
        raise DomainError("A quote converts into an invoice or a sales order.")
    if quote.derived_documents.filter(kind=to_kind).exists():
        raise DomainError(
            f"This quote has already been converted into a {Kind(to_kind).label.lower()}."
        )
    lines = [
        LineInput(line.description, line.quantity, line.unit_price, line.tax_rate)
        for line in quote.lines.all()
    ]
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
    record_activity(
        organization=quote.organization,
        document=quote,
        verb=Verb.QUOTE_CONVERTED,
        actor=actor,
        details={"into": created.number, "into_id": created.pk},
    )
    return created


def _payment_state(invoice: Document) -> str:
    if invoice.state in (State.DRAFT, State.VOID):
        return invoice.state
    if invoice.amount_paid <= 0:
        return State.SENT
    if invoice.amount_paid >= invoice.total:
        return State.PAID
    return State.PARTIALLY_PAID


@transaction.atomic
def record_payment(
    *,
    organization,
    customer,
    actor: Actor,
    date: datetime.date,
    amount: Decimal,
    method: str,
    reference: str = "",
    allocations: list[tuple[Document, Decimal]],
    currency: str | None = None,
    issue_receipt: bool = False,
) -> Payment:
    _check_customer(organization, customer)
    currency = currency or customer.currency
    if problem := minor_unit_error(amount, currency):
        raise DomainError(problem)
    if amount <= 0:
        raise DomainError("A payment amount must be greater than zero.")
    if amount >= MAX_AMOUNT:
        raise DomainError("The payment amount is too large.")
    seen = set()
    locked = []
    for invoice, allocated in allocations:
        if invoice.pk in seen:
            raise DomainError(f"{invoice.number} is listed twice.")
        seen.add(invoice.pk)
        invoice = lock_document(invoice)
        if problem := minor_unit_error(allocated, currency):
            raise DomainError(problem)
        if invoice.organization_id != organization.pk or invoice.customer_id != customer.pk:
            raise DomainError("Payments can only be allocated to this customer's invoices.")
        if invoice.kind == Kind.INVOICE and invoice.state == State.DRAFT:
            # A draft has not been issued: no sent date, nothing owed yet.
            raise DomainError(f"{invoice.number} is a draft. Send it or mark it as sent first.")
        if invoice.kind != Kind.INVOICE or invoice.state not in OPEN_INVOICE_STATES:
            raise DomainError(f"{invoice.number} is not an open invoice.")
        if invoice.currency != currency:
            raise DomainError(f"{invoice.number} is in {invoice.currency}, not {currency}.")
        if allocated <= 0:
            raise DomainError("Allocated amounts must be greater than zero.")
        if allocated > invoice.balance_due:
            raise DomainError(
                f"{allocated} is more than the {round_money(invoice.balance_due, currency)} still due "
                f"on {invoice.number}."
            )
        locked.append((invoice, allocated))
    if sum((a for _, a in locked), ZERO) > amount:
        raise DomainError("The allocations add up to more than the payment.")
    payment = Payment(
        organization=organization,
        customer=customer,
        date=date,
        amount=amount,
        currency=currency,
        method=method,
        reference=reference.strip(),
        created_by=actor.saved_user,
    )
    payment.full_clean()
    payment.save()
    for invoice, allocated in locked:
        PaymentAllocation.objects.create(payment=payment, invoice=invoice, amount=allocated)
        invoice.amount_paid += allocated
        invoice.state = _payment_state(invoice)
        invoice.save(update_fields=["amount_paid", "state", "updated_at"])
        record_activity(
            organization=organization,
            document=invoice,
            verb=Verb.PAYMENT_RECORDED,
            actor=actor,
            details={
                "payment_id": payment.pk,
                # As every amount is written: the currency's minor unit ("12.50", not "12.5").
                "amount": format_money(allocated, currency),
                "method": method,
            },
        )
    if issue_receipt:
        issue_receipt_for_payment(payment=payment, actor=actor)
    return payment


@transaction.atomic
def issue_receipt_for_payment(*, payment: Payment, actor: Actor) -> Document:
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if Document.objects.filter(payment=payment).exists():
        raise DomainError("A receipt has already been issued for this payment.")
    allocations = list(payment.allocations.select_related("invoice"))
    if allocations:
        lines = [
            LineInput(f"Payment towards {a.invoice.number}", Decimal("1"), a.amount)
            for a in allocations
        ]
        unallocated = payment.amount - sum((a.amount for a in allocations), ZERO)
        if unallocated > 0:
            lines.append(LineInput("Payment on account", Decimal("1"), unallocated))
    else:
        lines = [LineInput("Payment on account", Decimal("1"), payment.amount)]
    method_label = payment.get_method_display()
    receipt = create_document(
        organization=payment.organization,
        kind=Kind.RECEIPT,
        customer=payment.customer,
        actor=actor,
        lines=lines,
        issue_date=payment.date,
        currency=payment.currency,
        notes=f"Paid by {method_label}"
        + (f", reference {payment.reference}" if payment.reference else ""),
        payment=payment,
    )
    record_activity(
        organization=payment.organization,
        document=receipt,
        verb=Verb.RECEIPT_ISSUED,
        actor=actor,
        details={"payment_id": payment.pk},
    )
    return receipt


def expire_overdue_quotes(*, actor: Actor | None = None) -> int:
    """Move every sent quote whose valid-until date has passed (in its business's time zone)
    to expired. Run daily (`manage.py expire_quotes`); each quote is its own transaction, so
    one that was accepted a moment ago is simply skipped."""
    actor = actor or Actor.system("Quote expiry")
    expired = 0
    candidates = (
        Document.objects.filter(kind=Kind.QUOTE, state=State.SENT, valid_until__isnull=False)
        .select_related("organization")
        .only("pk", "valid_until", "organization__time_zone")
    )
    for quote in candidates.iterator():
        if quote.valid_until >= quote.organization.today():
            continue
        try:
            transition_document(document=quote, action="mark_expired", actor=actor)
        except InvalidTransition:
            continue  # decided in the meantime
        expired += 1
    return expired
