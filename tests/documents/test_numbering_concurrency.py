"""Gapless, duplicate-free numbering when many invoices are created at the same moment."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from solabooks.activity.services import Actor
from solabooks.documents.models import Document
from solabooks.documents.services import LineInput, create_document
from tests.factories import CustomerFactory, OrganizationFactory

THREADS = 8
PER_THREAD = 3


# transaction=True is the transactional_db fixture: rows really commit, so other connections
# (the threads) see them and the row locks are real.
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_creation_gives_numbers_1_to_n_without_gaps_or_twins():
    if connection.vendor != "postgresql":
        pytest.skip("Needs PostgreSQL row locks and real concurrent connections.")
    organization = OrganizationFactory()
    customer = CustomerFactory(organization=organization)
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def create_some() -> None:
        try:
            start.wait()  # everyone asks for a number at once
            for _ in range(PER_THREAD):
                create_document(
                    organization=organization,
                    kind="invoice",
                    customer=customer,
                    actor=Actor.system(),
                    lines=[LineInput("Work", Decimal("1"), Decimal("10"))],
                )
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connections.close_all()  # each thread has its own connection

    threads = [threading.Thread(target=create_some) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    total = THREADS * PER_THREAD
    rows = list(Document.objects.for_org(organization).values_list("sequence", "number"))
    assert sorted(sequence for sequence, _ in rows) == list(range(1, total + 1))
    assert sorted(number for _, number in rows) == [f"INV-{n:04d}" for n in range(1, total + 1)]
