"""Over-allocation stays impossible when several payments hit one invoice at the same moment
(PostgreSQL: real connections, real row locks)."""

from decimal import Decimal

import pytest
from django.db import connection

from solabooks.activity.services import Actor
from solabooks.documents.models import Document, Payment
from solabooks.documents.payments import record_payment
from solabooks.documents.services import LineInput, transition_document
from tests.concurrency import run_at_once
from tests.factories import CustomerFactory, OrganizationFactory, make_document

THREADS = 6


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_payments_never_pay_an_invoice_twice():
    if connection.vendor != "postgresql":
        pytest.skip("Needs PostgreSQL row locks and real concurrent connections.")
    organization = OrganizationFactory()
    customer = CustomerFactory(organization=organization)
    invoice = make_document(
        customer=customer, lines=[LineInput("Work", Decimal("1"), Decimal("100"))]
    )
    transition_document(document=invoice, action="mark_sent", actor=Actor.system())

    def pay_in_full() -> str:
        record_payment(
            organization=organization,
            customer=customer,
            actor=Actor.system(),
            date=invoice.issue_date,
            amount=Decimal("100"),
            method="cash",
            allocations=[(invoice, Decimal("100"))],
        )
        return "paid"

    outcomes = run_at_once(pay_in_full, threads=THREADS)
    assert outcomes == ["paid"] + ["refused"] * (THREADS - 1)
    invoice = Document.objects.get(pk=invoice.pk)
    assert (invoice.state, invoice.amount_paid) == ("paid", Decimal("100"))
    assert Payment.objects.filter(customer=customer).count() == 1
