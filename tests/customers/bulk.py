"""Many rows quickly, for "the query count does not grow with the data" tests.

bulk_create skips the services on purpose: these tests are about reading, and making 500
documents through create_document would only slow the suite down.
"""

import datetime
import itertools
from decimal import Decimal

from solabooks.activity.models import Activity, ActorType, Verb
from solabooks.customers.models import Customer
from solabooks.documents.models import Document, Kind, State

# Document numbers are unique per business and kind; one counter keeps them so.
_sequence = itertools.count(1)


def make_customers(organization, count: int) -> list[Customer]:
    return Customer.objects.bulk_create(
        Customer(
            organization=organization,
            name=f"Bulk customer {i:04d}",
            email=f"bulk{i}@client.test",
            currency="USD",
        )
        for i in range(count)
    )


def make_documents(customer, count: int) -> list[Document]:
    today = datetime.date.today()
    kinds = [Kind.INVOICE, Kind.QUOTE, Kind.SALES_ORDER]
    states = {Kind.INVOICE: State.SENT, Kind.QUOTE: State.SENT, Kind.SALES_ORDER: State.DRAFT}
    documents = []
    for _ in range(count):
        i = next(_sequence)
        kind = kinds[i % len(kinds)]
        documents.append(
            Document(
                organization_id=customer.organization_id,
                customer=customer,
                kind=kind,
                number=f"B-{kind}-{i}",
                sequence=i,
                state=states[kind],
                issue_date=today - datetime.timedelta(days=40),
                due_date=today - datetime.timedelta(days=10),
                currency="EUR" if i % 2 else "USD",
                subtotal=Decimal("100"),
                total=Decimal("100"),
                amount_paid=Decimal("0"),
            )
        )
    return Document.objects.bulk_create(documents)


def make_activity(customer, documents, count: int) -> None:
    Activity.objects.bulk_create(
        Activity(
            organization_id=customer.organization_id,
            customer=customer,
            document=documents[i % len(documents)] if documents else None,
            verb=Verb.VIEWED,
            actor_type=ActorType.SYSTEM,
            actor_label="bulk",
        )
        for i in range(count)
    )
