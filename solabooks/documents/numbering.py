"""Document numbers: each kind its own gap-free sequence per business, with its prefix."""

from django.db.models import F

from .models import Kind, NumberSequence


def prefix_for(organization, kind: str) -> str:
    return {
        Kind.INVOICE: organization.invoice_prefix,
        Kind.QUOTE: organization.quote_prefix,
        Kind.SALES_ORDER: organization.sales_order_prefix,
        Kind.RECEIPT: organization.receipt_prefix,
        Kind.CREDIT_NOTE: organization.credit_note_prefix,
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


def next_number(*, organization, kind: str) -> str:
    """The number the next document of a kind will most likely get, for a sentence that
    announces it ("credit note CN-0003 will be issued"). Reads only: allocate_number takes
    numbers, and one taken in between moves this along."""
    sequence = NumberSequence.objects.filter(organization=organization, kind=kind).first()
    value = sequence.next_value if sequence is not None else 1
    return f"{prefix_for(organization, kind)}-{value:04d}"
