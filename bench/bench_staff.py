"""Staff pages of a business with 1,000 invoices: the dashboard and the invoice list.

.venv/bin/python -m bench.bench_staff [--duration 10]
DATABASE_URL=postgres://postgres@127.0.0.1:5432/solabooks .venv/bin/python -m bench.bench_staff
"""

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Endpoint, create_bench_business, main, staff_session_cookie

INVOICES = 1000
CUSTOMERS = 40


def seed() -> dict[str, str]:
    import datetime
    import random
    from decimal import Decimal

    from django.db import transaction
    from django.utils import timezone

    from solabooks.documents.payments import record_payment
    from solabooks.documents.services import LineInput, create_document, transition_document

    rng = random.Random(1000)
    today = timezone.localdate()
    with transaction.atomic():
        owner, org, actor, customers = create_bench_business(customers=CUSTOMERS)
        for n in range(INVOICES):
            customer = rng.choice(customers)
            lines = [
                LineInput(
                    f"Service item {rng.randint(1, 99)}",
                    Decimal(rng.randint(1, 10)),
                    Decimal(rng.randint(1000, 90000)) / 100,
                    rng.choice([Decimal("0"), Decimal("8.5"), Decimal("20")]),
                )
                for _ in range(rng.randint(1, 4))
            ]
            issue_date = today - datetime.timedelta(days=rng.randint(0, 365))
            invoice = create_document(
                organization=org,
                kind="invoice",
                customer=customer,
                actor=actor,
                lines=lines,
                issue_date=issue_date,
            )
            roll = n % 10
            if roll >= 3:  # 70% sent, some of those paid in full or in part
                invoice = transition_document(document=invoice, action="mark_sent", actor=actor)
            if roll >= 7:
                amount = invoice.total if roll >= 8 else (invoice.total / 2).quantize(Decimal("1"))
                record_payment(
                    organization=org,
                    customer=customer,
                    actor=actor,
                    date=min(today, issue_date + datetime.timedelta(days=10)),
                    amount=amount,
                    method="bank_transfer",
                    allocations=[(invoice, amount)],
                )
    return {"staff": staff_session_cookie(owner, org)}


ENDPOINTS = [
    Endpoint("dashboard", "/finance/", cookie="staff"),
    Endpoint("invoice list", "/finance/documents/invoice/", cookie="staff"),
]

if __name__ == "__main__":
    main(f"Staff pages, {INVOICES} invoices", seed, ENDPOINTS)
