"""Reads the customer pages share. Each takes its scope (business or customer) as argument,
and each runs a fixed number of queries however many rows there are."""

from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum

from solabooks.activity.models import Activity
from solabooks.core.sorting import SortKey, SortKeys
from solabooks.documents.models import OPEN_INVOICE_STATES, Document, Kind
from solabooks.documents.selectors import receivables_by_currency

from .models import Customer

# ?sort= keys of the customer list (core.sorting); no key: by name.
CUSTOMER_SORT_KEYS = SortKeys(
    {
        "name": SortKey(("name",)),
        "email": SortKey(("email",)),
        "currency": SortKey(("currency",)),
        "open_invoices": SortKey(("open_invoices",), descending_first=True),
        "balance": SortKey(("balance",), descending_first=True),
    }
)


def customer_list(*, organization, query: str = "") -> QuerySet[Customer]:
    """The business's customers, optionally matching `query` in name or email.

    Open invoices are annotations of the same grouped query, not per-row lookups:
    `open_invoices` (count), `balance` (what they still owe in the customer's own
    currency) and `open_elsewhere` (open invoices in another currency, which a sum in
    the customer's currency must not hide).
    """
    customers = Customer.objects.for_org(organization)
    if query:
        customers = customers.filter(Q(name__icontains=query) | Q(email__icontains=query))
    open_invoice = Q(documents__kind=Kind.INVOICE, documents__state__in=OPEN_INVOICE_STATES)
    same_currency = Q(documents__currency=F("currency"))
    return customers.annotate(
        open_invoices=Count("documents", filter=open_invoice),
        balance=Sum(
            F("documents__total") - F("documents__amount_paid"),
            filter=open_invoice & same_currency,
            default=Decimal("0"),
        ),
        open_elsewhere=Count("documents", filter=open_invoice & ~same_currency),
    ).order_by("name", "id")


def customer_documents(*, customer: Customer, kind: str | None = None) -> QuerySet[Document]:
    """The customer's documents across kinds, newest first."""
    documents = Document.objects.for_customer(customer)
    if kind:
        documents = documents.filter(kind=kind)
    # The list shows number, kind, dates, state and totals: all columns of the row itself.
    return documents.order_by("-issue_date", "-created_at", "-id")


def customer_open_balances(*, organization, customer: Customer) -> list[dict]:
    """Open (and overdue) invoice balance per currency, as the dashboard computes it."""
    return receivables_by_currency(organization=organization, customer=customer)


def customer_activity(*, customer: Customer) -> QuerySet[Activity]:
    # The activity list shows the document number of each row: join it, don't look it up.
    return Activity.objects.for_customer(customer).select_related("document", "customer", "project")
