"""Reads that pages share. Each takes its scope as an argument."""

from decimal import Decimal

from django.db.models import Case, Count, F, Q, QuerySet, Sum, Value, When

from solabooks.activity.models import Activity, Verb
from solabooks.core.sorting import SortKey, SortKeys

from .models import (
    OPEN_INVOICE_STATES,
    AcceptanceRecord,
    Document,
    Kind,
    Payment,
    PaymentAllocation,
    State,
)
from .overdue import overdue_on


def receivables_by_currency(*, organization, customer=None) -> list[dict]:
    """Open and overdue balance per currency, in one query.

    It reads only the open invoices' index (Document.Meta: document_open_invoices_idx holds
    the currency, due date, total and amount paid of open invoices), so a dashboard costs
    the same however many paid invoices the business or customer has.
    """
    today = organization.today()
    invoices = Document.objects.for_org(organization).filter(
        kind=Kind.INVOICE, state__in=OPEN_INVOICE_STATES
    )
    if customer is not None:
        invoices = invoices.filter(customer=customer)
    balance = F("total") - F("amount_paid")
    rows = (
        invoices.values("currency")
        .annotate(
            open=Sum(balance),
            count=Count("*"),
            overdue=Sum(balance, filter=Q(due_date__lt=today), default=Decimal("0")),
        )
        .order_by("currency")
    )
    return [
        {
            "currency": r["currency"],
            "open": r["open"],
            "count": r["count"],
            "overdue": r["overdue"],
        }
        for r in rows
    ]


def overdue_invoices(*, organization, limit: int = 5) -> list[Document]:
    """The business's overdue invoices (overdue.py), longest overdue first: the dashboard's
    few rows, read from the open invoices' index."""
    return list(
        Document.objects.for_org(organization)
        .filter(overdue_on(organization.today()))
        .select_related("customer")
        .order_by("due_date", "sequence")[:limit]
    )


def document_with_lines(*, organization, pk: int) -> Document:
    return (
        Document.objects.for_org(organization)
        .select_related("customer", "organization", "source_document")
        .prefetch_related("lines")
        .get_or_404(pk=pk)
    )


def scoped_document(*, organization, pk: int) -> Document:
    """One of the business's documents with its customer (404 for any other id)."""
    return Document.objects.for_org(organization).select_related("customer").get_or_404(pk=pk)


# What is still owed on an invoice (0 for a draft, a paid or a void one): the Balance column.
OPEN_BALANCE = Case(
    When(state__in=OPEN_INVOICE_STATES, then=F("total") - F("amount_paid")),
    default=Value(Decimal("0")),
)

# ?sort= keys of the staff document lists (core.sorting); no key: Meta.ordering.
DOCUMENT_SORT_KEYS = SortKeys(
    {
        "number": SortKey(("sequence",)),
        "customer": SortKey(("customer__name",)),
        "issue_date": SortKey(("issue_date", "sequence"), descending_first=True),
        # Soonest first: the longest overdue on top (invoices without a due date last).
        "due_date": SortKey(("due_date", "sequence")),
        "total": SortKey(("total",), descending_first=True),
        "balance": SortKey((OPEN_BALANCE,), descending_first=True),
        "state": SortKey(("state",)),
    }
)

# ?sort= keys of the payment list; no key: newest first.
PAYMENT_SORT_KEYS = SortKeys(
    {
        "date": SortKey(("date",), descending_first=True),
        "customer": SortKey(("customer__name",)),
        "amount": SortKey(("amount",), descending_first=True),
        "method": SortKey(("method",)),
        "reference": SortKey(("reference",)),
    }
)


def document_list(
    *,
    organization,
    kind: str,
    state: str = "",
    customer=None,
    customer_name: str = "",
    number: str = "",
    overdue: bool = False,
) -> QuerySet[Document]:
    """One kind's documents for the list page: one query per page, whatever the row count.

    `overdue`: open invoices whose due date is before the business's today (overdue.py).
    The order is the model's (newest first) unless the page sorts it (DOCUMENT_SORT_KEYS).
    """
    documents = Document.objects.for_org(organization).filter(kind=kind).select_related("customer")
    if kind == Kind.CREDIT_NOTE:  # the list names the invoice each one credits
        documents = documents.select_related("source_document")
    if state:
        documents = documents.filter(state=state)
    if customer is not None:
        documents = documents.filter(customer=customer)
    if customer_name:
        documents = documents.filter(customer__name__icontains=customer_name)
    if number:
        documents = documents.filter(number__icontains=number)
    if overdue:
        documents = documents.filter(overdue_on(organization.today()))
    return documents


def credit_note_of(invoice: Document) -> Document | None:
    """The credit note that cancels `invoice`, if one was issued (one at most: the
    one_credit_note_per_invoice constraint)."""
    return (
        Document.objects.for_org(invoice.organization_id)
        .filter(kind=Kind.CREDIT_NOTE, source_document=invoice)
        .first()
    )


def document_activity(*, document: Document) -> QuerySet[Activity]:
    """A document's activity, newest first (the model's ordering)."""
    return Activity.objects.for_org(document.organization_id).filter(document=document)


def quote_decision(*, document: Document) -> dict:
    """What the staff quote page shows of the customer's decision: the acceptance record,
    or the decline (with the customer's reason, or who recorded it)."""
    if document.kind != Kind.QUOTE:
        return {}
    if document.state == State.ACCEPTED:
        record = AcceptanceRecord.objects.for_org(document.organization_id).filter(
            document=document
        )
        return {"acceptance": record.select_related("recorded_by").first()}
    if document.state == State.DECLINED:
        declined = (
            document_activity(document=document)
            .filter(Q(verb=Verb.QUOTE_DECLINED) | Q(details__to=State.DECLINED))
            .first()
        )
        return {"declined": declined}
    return {}


def invoice_allocations(*, invoice: Document) -> QuerySet[PaymentAllocation]:
    """The payments allocated to an invoice, oldest payment first."""
    return (
        PaymentAllocation.objects.filter(
            invoice=invoice, payment__organization_id=invoice.organization_id
        )
        .select_related("payment")
        .order_by("payment__date", "payment_id")
    )


def payable_invoices(*, customer) -> QuerySet[Document]:
    """A customer's invoices that still have something to pay, oldest due first: the open
    ones (states.TRANSITIONS "pay" starts from these; a draft takes no payment)."""
    return (
        Document.objects.for_customer(customer)
        .filter(kind=Kind.INVOICE, state__in=OPEN_INVOICE_STATES, total__gt=F("amount_paid"))
        .order_by(F("due_date").asc(nulls_last=True), "sequence")
    )


def payment_list(*, organization, customer=None, customer_name: str = "") -> QuerySet[Payment]:
    """Payments with their customer, receipt and allocated sum: one query per page."""
    payments = (
        Payment.objects.for_org(organization)
        .select_related("customer", "receipt")
        .annotate(allocated=Sum("allocations__amount"))
        .order_by("-date", "-id")  # an aggregate drops Meta.ordering
    )
    if customer is not None:
        payments = payments.filter(customer=customer)
    if customer_name:
        payments = payments.filter(customer__name__icontains=customer_name)
    return payments


def payment_with_allocations(*, organization, pk) -> Payment:
    return (
        Payment.objects.for_org(organization)
        .select_related("customer", "receipt")
        .prefetch_related("allocations__invoice")
        .get_or_404(pk=pk)
    )


def full_document(document: Document) -> Document:
    """A document read whole, with its business and customer (what rendering it needs),
    for a caller holding a lean instance (a secure link's loads only a few columns)."""
    return (
        Document.objects.for_org(document.organization_id)
        .select_related("organization", "customer", "source_document")
        .get(pk=document.pk)
    )
