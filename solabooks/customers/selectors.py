"""Reads the customer pages share. Each takes its scope (business or customer) as argument,
and each runs a fixed number of queries however many rows there are."""

from django.db.models import Count, Q, QuerySet

from solabooks.activity.models import Activity
from solabooks.documents.models import OPEN_INVOICE_STATES, Document, Kind
from solabooks.documents.selectors import receivables_by_currency

from .models import Customer


def customer_list(*, organization, query: str = "") -> QuerySet[Customer]:
    """The business's customers, optionally matching `query` in name or email.

    The open-invoice count is an annotation (one grouped query), not a per-row lookup.
    """
    customers = Customer.objects.for_org(organization)
    if query:
        customers = customers.filter(Q(name__icontains=query) | Q(email__icontains=query))
    return customers.annotate(
        open_invoices=Count(
            "documents",
            filter=Q(documents__kind=Kind.INVOICE, documents__state__in=OPEN_INVOICE_STATES),
        )
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
