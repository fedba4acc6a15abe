"""Building blocks for the document and payment page tests."""

from decimal import Decimal

from solabooks.documents.models import Document, DocumentLine, Kind, NumberSequence
from solabooks.documents.states import INITIAL_STATE

LINE = {"description": "Consulting", "quantity": "2", "unit_price": "150.00", "tax_rate": "10"}


def document_post(*, customer=None, lines=None, prefix: str = "lines", **fields) -> dict:
    """A document form POST body: the fields, then the lines formset."""
    lines = [LINE] if lines is None else lines
    data = {
        "issue_date": "2025-03-01",
        "notes": "",
        "terms": "",
        f"{prefix}-TOTAL_FORMS": str(len(lines)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "1",
        f"{prefix}-MAX_NUM_FORMS": "200",
    }
    if customer is not None:  # a Customer, or any raw value to post
        data["customer"] = str(getattr(customer, "pk", customer))
    for i, line in enumerate(lines):
        for key, value in line.items():
            data[f"{prefix}-{i}-{key}"] = value
    data.update(fields)
    return data


def bulk_documents(*, customers, kind: str = "invoice", count: int, start: int = 1) -> None:
    """Many documents fast (bypassing the services), for list query-count tests."""
    organization = customers[0].organization
    Document.objects.bulk_create(
        Document(
            organization=organization,
            customer=customers[i % len(customers)],
            kind=kind,
            sequence=start + i,
            number=f"X-{start + i:05d}",
            # A state of the kind's own (a receipt is never a draft: a database constraint).
            state=INITIAL_STATE[kind],
            issue_date="2025-01-01",
            due_date="2025-01-31" if kind == Kind.INVOICE else None,
            currency="USD",
            total=Decimal("100"),
            subtotal=Decimal("100"),
        )
        for i in range(count)
    )


def bulk_lines(document, count: int) -> None:
    DocumentLine.objects.bulk_create(
        DocumentLine(
            document=document,
            position=i,
            description=f"Line {i}",
            quantity=Decimal("1"),
            unit_price=Decimal("1"),
            tax_category="Z",
            line_subtotal=Decimal("1"),
            line_tax=Decimal("0"),
        )
        for i in range(count)
    )


def next_number(organization, kind: str = "invoice") -> int:
    sequence = NumberSequence.objects.filter(organization=organization, kind=kind).first()
    return sequence.next_value if sequence else 1
