from decimal import Decimal

import pytest

from solabooks.activity.services import Actor
from solabooks.core.errors import DomainError
from solabooks.documents.payments import record_payment
from solabooks.documents.services import LineInput, create_document
from tests.factories import make_document

pytestmark = pytest.mark.django_db


def test_totals_are_decimal_and_rounded_to_the_currency_minor_unit(customer):
    document = make_document(
        customer=customer,
        lines=[LineInput("Widget", Decimal("3"), Decimal("10.005"), Decimal("20"))],
    )
    assert document.subtotal == Decimal("30.02")
    assert document.tax_total == Decimal("6.00")
    assert document.total == Decimal("36.02")
    assert document.number == "INV-0001"


def test_over_allocation_is_refused(customer):
    invoice = make_document(customer=customer, state="sent")
    with pytest.raises(DomainError):
        record_payment(
            organization=customer.organization,
            customer=customer,
            actor=Actor.system(),
            date=invoice.issue_date,
            amount=invoice.total + 1,
            method="cash",
            allocations=[(invoice, invoice.total + 1)],
        )


def test_customer_of_another_business_is_refused(org, foreign_customer):
    with pytest.raises(DomainError):
        create_document(
            organization=org,
            kind="invoice",
            customer=foreign_customer,
            actor=Actor.system(),
            lines=[LineInput("x", Decimal("1"), Decimal("1"))],
        )


def test_a_draft_invoice_cannot_take_a_payment(customer):
    draft = make_document(customer=customer)
    with pytest.raises(DomainError, match="draft"):
        record_payment(
            organization=customer.organization, customer=customer, actor=Actor.system(),
            date=draft.issue_date, amount=draft.total, method="cash",
            allocations=[(draft, draft.total)],
        )  # fmt: skip
    draft.refresh_from_db()
    assert (draft.state, draft.amount_paid, draft.sent_at) == ("draft", 0, None)
