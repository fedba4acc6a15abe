"""Reads that pages share. Each takes its scope as an argument."""

from decimal import Decimal

from django.db.models import Count, F, Sum
from django.utils import timezone

from .models import OPEN_INVOICE_STATES, Document, Kind


def receivables_by_currency(*, organization, customer=None) -> list[dict]:
    """Open and overdue balance per currency, in one query."""
    today = timezone.localdate()
    invoices = Document.objects.for_org(organization).filter(
        kind=Kind.INVOICE, state__in=OPEN_INVOICE_STATES
    )
    if customer is not None:
        invoices = invoices.filter(customer=customer)
    rows = (
        invoices.values("currency")
        .annotate(open=Sum(F("total") - F("amount_paid")), count=Count("id"))
        .order_by("currency")
    )
    overdue = dict(
        invoices.filter(due_date__lt=today)
        .values("currency")
        .annotate(overdue=Sum(F("total") - F("amount_paid")))
        .values_list("currency", "overdue")
    )
    return [
        {
            "currency": r["currency"],
            "open": r["open"],
            "count": r["count"],
            "overdue": overdue.get(r["currency"], Decimal("0")),
        }
        for r in rows
    ]


def document_with_lines(*, organization, pk: int) -> Document:
    return (
        Document.objects.for_org(organization)
        .select_related("customer", "organization", "source_document")
        .prefetch_related("lines")
        .get_or_404(pk=pk)
    )
