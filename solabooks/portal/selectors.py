"""Reads for portal pages. Every one takes the customer as its scope and reads through
`for_customer(customer)`; a customer never sees drafts (they were never sent to them)."""

from django.db.models import QuerySet, Sum

from solabooks.activity.models import Activity, Verb
from solabooks.documents.models import STATES_BY_KIND, Document, Kind, Payment, State

PAGE_SIZE = 25

# Portal list pages: kind -> (title, url name).
LIST_PAGES = {
    Kind.INVOICE: ("Invoices", "portal-invoices"),
    Kind.QUOTE: ("Quotes", "portal-quotes"),
    Kind.SALES_ORDER: ("Orders", "portal-orders"),
}

# What a customer may read in "recent activity": what happened to their documents, never
# who on the staff did what, from where.
CUSTOMER_VISIBLE_VERBS = (
    Verb.SENT,
    Verb.STATE_CHANGED,
    Verb.VOIDED,
    Verb.QUOTE_ACCEPTED,
    Verb.QUOTE_DECLINED,
    Verb.PAYMENT_RECORDED,
    Verb.RECEIPT_ISSUED,
)


def customer_states(kind: str) -> list[State]:
    return [state for state in STATES_BY_KIND[kind] if state != State.DRAFT]


def customer_documents(*, customer) -> QuerySet[Document]:
    return Document.objects.for_customer(customer).exclude(state=State.DRAFT)


def document_list(*, customer, kind: str, state: str = "") -> QuerySet[Document]:
    """One kind's documents: one query per page whatever the count (no related rows)."""
    documents = customer_documents(customer=customer).filter(kind=kind)
    if state:
        documents = documents.filter(state=state)
    return documents


def document_detail(*, customer, pk) -> Document:
    return (
        customer_documents(customer=customer)
        .select_related("customer", "organization")
        .prefetch_related("lines")
        .get_or_404(pk=pk)
    )


def payment_list(*, customer, method: str = "") -> QuerySet[Payment]:
    payments = (
        Payment.objects.for_customer(customer)
        .select_related("receipt")
        .annotate(allocated=Sum("allocations__amount"))
        .order_by("-date", "-id")  # an aggregate drops Meta.ordering; pages need an order
    )
    if method:
        payments = payments.filter(method=method)
    return payments


def payment_detail(*, customer, pk) -> Payment:
    payment = Payment.objects.for_customer(customer).select_related("receipt").get_or_404(pk=pk)
    # Allocations go only to this customer's invoices (record_payment checks it); the filter
    # keeps that true here even if it ever were not.
    payment.portal_allocations = list(
        payment.allocations.filter(
            invoice__customer=customer, invoice__organization_id=customer.organization_id
        )
        .select_related("invoice")
        .order_by("invoice__sequence")
    )
    return payment


def recent_activity(*, customer, limit: int = 10) -> list[Activity]:
    """What recently happened to the customer's (non-draft, still theirs) documents."""
    return list(
        Activity.objects.for_customer(customer)
        .filter(verb__in=CUSTOMER_VISIBLE_VERBS, document__customer=customer)
        .exclude(document__state=State.DRAFT)
        .select_related("document")
        .only(
            "id",
            "verb",
            "details",
            "created_at",
            "document__id",
            "document__number",
            "document__kind",
            "document__state",
        )[:limit]
    )
