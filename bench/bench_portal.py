"""Customer portal at scale: a signed-in customer's dashboard and invoice list, on PostgreSQL.

.venv/bin/python bench/bench_portal.py [--duration 5]
DATABASE_URL=postgres://postgres@127.0.0.1:5432/solabooks_bench .venv/bin/python bench/bench_portal.py

Two runs, each in its own child process and on its own new database (created beside the one
DATABASE_URL names, dropped at the end; DATABASE_URL defaults to
postgres://postgres@127.0.0.1:5432/solabooks_bench):
- large: one business with 100,000 invoices, 5,000 of them the signed-in customer's;
- small: the same business shape with 1,000 invoices (50 of them the customer's).

Targets: at 100,000 invoices, the dashboard and the invoice list each at least 0.30 of the
bare /finance/health/ endpoint's req/s; and each page's p99 at 100,000 invoices within 1.3x
of its p99 at 1,000.

The data is written with bulk_create (the services would take an hour for 100,000
invoices) but as the services would leave it: numbers from one sequence per kind and the
sequence row moved past them, line amounts and totals rounded as `_write_lines` does,
amount_paid backed by payments and their allocations (one payment per customer and month),
and the Activity rows the services write (created, sent, payment recorded, voided) with
their dates. States follow age: recent invoices mostly open, old ones mostly paid. Then
VACUUM ANALYZE, as autovacuum would after such a load. The customer signs in through the
portal's login page (a test Client posting the form), and wrk sends the cookies that
browser then holds (session and CSRF).

Besides wrk's figures, each run prints the pages' CPU per request in-process and their
queries' database time (EXPLAIN ANALYZE, median of 5 views); both are far less sensitive
than p99 to other work on the machine.
"""

import argparse
import os
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (
    Endpoint,
    Target,
    argument_parser,
    cpu_per_request,
    finish,
    ratio_target,
    run,
    run_options,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/solabooks_bench"
LARGE, LARGE_FOR_CUSTOMER = 100_000, 5_000
SMALL, SMALL_FOR_CUSTOMER = 1_000, 50
OTHER_CUSTOMERS = 199
RATIO_TARGET = 0.30
P99_GROWTH_LIMIT = 1.3
PORTAL_EMAIL = "accounts@harbour-cafe.test"
PORTAL_PASSWORD = "harbour-cafe-portal-password"  # noqa: S105 (a throw-away database's)
BATCH = 5000

# States by age, as a business's ledger looks: recent invoices are mostly open, older ones
# mostly paid, with a tail of overdue and part-paid ones and a few voided.
RECENT_STATES = ["draft"] + ["sent"] * 6 + ["partially_paid"] + ["paid"] * 2  # <= 45 days
LATE_STATES = ["sent"] * 2 + ["partially_paid"] + ["paid"] * 7  # 46-120 days
OLD_STATES = ["paid"] * 92 + ["void"] * 3 + ["sent"] * 3 + ["partially_paid"] * 2


def state_for(rng, age_days: int) -> str:
    if age_days <= 45:
        return rng.choice(RECENT_STATES)
    return rng.choice(LATE_STATES if age_days <= 120 else OLD_STATES)


def _at(day, hour: int):
    import datetime

    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=datetime.UTC)


class _explicit_timestamps:
    """Let bulk_create keep the created_at / updated_at we give (historic dates), instead of
    auto_now(_add) stamping every row with the same instant. Only for this seed."""

    def __init__(self, *models):
        self.fields = [
            f
            for model in models
            for f in model._meta.concrete_fields
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        ]

    def __enter__(self):
        self.saved = [(f, f.auto_now, f.auto_now_add) for f in self.fields]
        for f in self.fields:
            f.auto_now = f.auto_now_add = False

    def __exit__(self, *exc):
        for f, auto_now, auto_now_add in self.saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


class Laps:
    """Seconds per seeding step, printed as they pass."""

    def __init__(self) -> None:
        import time

        self.clock = time.monotonic
        self.last = self.clock()

    def __call__(self, step: str) -> None:
        now = self.clock()
        print(f"  {step}: {now - self.last:.1f}s", flush=True)
        self.last = now


def make_seed(total: int, for_customer: int):
    def seed() -> dict[str, str]:
        import datetime
        import random
        from decimal import Decimal

        from django.conf import settings
        from django.contrib.auth.hashers import make_password
        from django.db import transaction
        from django.test import Client
        from django.utils import timezone

        from solabooks.activity.models import Activity, ActorType, Verb
        from solabooks.activity.services import Actor
        from solabooks.core.money import round_money
        from solabooks.customers.services import create_customer
        from solabooks.documents.models import (
            Document,
            DocumentLine,
            Kind,
            NumberSequence,
            Payment,
            PaymentAllocation,
            State,
        )
        from solabooks.portal.models import PortalUser
        from solabooks.portal.services import enable_portal_access
        from solabooks.tenancy.models import Membership, Organization, Role, User

        rng = random.Random(total)
        today = timezone.localdate()
        laps = Laps()
        with transaction.atomic():
            owner = User.objects.create_user("owner@bench.test", "bench-password-long-enough")
            org = Organization.objects.create(
                name="Bench Wholesale", reply_to_email="billing@bench.test"
            )
            Membership.objects.create(user=owner, organization=org, role=Role.OWNER)
            actor = Actor(type=ActorType.STAFF, user=owner, label=owner.email)
            customer = create_customer(
                organization=org,
                actor=actor,
                name="Harbour Cafe",
                email=PORTAL_EMAIL,
                currency="USD",
                billing_address="3 Quay Road\nFalmouth TR11 3AA",
            )
            others = [
                create_customer(
                    organization=org,
                    actor=actor,
                    name=f"Customer {n:03d}",
                    email=f"customer{n}@example.test",
                    currency="USD",
                )
                for n in range(OTHER_CUSTOMERS)
            ]
            theirs = set(rng.sample(range(total), for_customer))

            documents, line_sets = [], []
            for index in range(total):
                owner_of = customer if index in theirs else rng.choice(others)
                issue_date = today - datetime.timedelta(days=rng.randint(0, 3 * 365))
                state = state_for(rng, (today - issue_date).days)
                lines, subtotal, tax_total = [], Decimal("0"), Decimal("0")
                for position in range(rng.randint(1, 3)):
                    quantity = Decimal(rng.randint(1, 10))
                    unit_price = Decimal(rng.randint(500, 90000)) / 100
                    tax_rate = rng.choice([Decimal("0"), Decimal("8.5"), Decimal("20")])
                    line_subtotal = round_money(quantity * unit_price, "USD")
                    line_tax = round_money(line_subtotal * tax_rate / 100, "USD")
                    subtotal += line_subtotal
                    tax_total += line_tax
                    lines.append(
                        DocumentLine(
                            position=position,
                            description=f"Wholesale order item {rng.randint(1, 400)}",
                            quantity=quantity,
                            unit_price=unit_price,
                            tax_rate=tax_rate,
                            tax_category="S" if tax_rate > 0 else "Z",
                            line_subtotal=line_subtotal,
                            line_tax=line_tax,
                        )
                    )
                total_amount = subtotal + tax_total
                paid = {
                    "paid": total_amount,
                    "partially_paid": round_money(total_amount / 2, "USD"),
                }.get(state, Decimal("0"))
                created = _at(issue_date, 9)
                sequence = index + 1
                documents.append(
                    Document(
                        organization=org,
                        customer=owner_of,
                        kind=Kind.INVOICE,
                        sequence=sequence,
                        number=f"{org.invoice_prefix}-{sequence:04d}",
                        state=state,
                        issue_date=issue_date,
                        due_date=issue_date + datetime.timedelta(days=org.payment_terms_days),
                        currency="USD",
                        subtotal=subtotal,
                        tax_total=tax_total,
                        total=total_amount,
                        amount_paid=paid,
                        sent_at=None if state == State.DRAFT else _at(issue_date, 10),
                        created_by=owner,
                        created_at=created,
                        updated_at=created,
                    )
                )
                line_sets.append(lines)

            laps("built rows")
            with _explicit_timestamps(Document, Payment, Activity):
                Document.objects.bulk_create(documents, batch_size=BATCH)
                laps("documents")
                NumberSequence.objects.update_or_create(
                    organization=org, kind=Kind.INVOICE, defaults={"next_value": total + 1}
                )
                all_lines = []
                for document, lines in zip(documents, line_sets, strict=True):
                    for line in lines:
                        line.document = document
                        all_lines.append(line)
                DocumentLine.objects.bulk_create(all_lines, batch_size=BATCH)
                laps("lines")

                # A customer pays the month's invoices in one transfer: one payment per
                # customer and month, allocated to each invoice it settles.
                settled = {}
                for document in documents:
                    if document.amount_paid > 0:
                        month = (document.customer_id, document.issue_date.replace(day=1))
                        settled.setdefault(month, []).append(document)
                distinct, payments, paid_documents = [], [], []
                for invoices in settled.values():
                    paid_on = min(
                        today, max(d.issue_date for d in invoices) + datetime.timedelta(days=10)
                    )
                    payment = Payment(
                        organization=org,
                        customer_id=invoices[0].customer_id,
                        date=paid_on,
                        amount=sum(d.amount_paid for d in invoices),
                        currency="USD",
                        method="bank_transfer",
                        created_by=owner,
                        created_at=_at(paid_on, 12),
                    )
                    distinct.append(payment)
                    payments += [payment] * len(invoices)
                    paid_documents += invoices
                Payment.objects.bulk_create(distinct, batch_size=BATCH)
                PaymentAllocation.objects.bulk_create(
                    [
                        PaymentAllocation(payment=p, invoice=d, amount=d.amount_paid)
                        for p, d in zip(payments, paid_documents, strict=True)
                    ],
                    batch_size=BATCH,
                )

                laps("payments")

                def activity(document, verb, at, details):
                    return Activity(
                        organization=org,
                        document=document,
                        customer_id=document.customer_id,
                        verb=verb,
                        actor_type=ActorType.STAFF,
                        actor_user=owner,
                        actor_label=owner.email,
                        details=details,
                        created_at=at,
                    )

                rows = []
                for document in documents:
                    rows.append(
                        activity(
                            document, Verb.CREATED, document.created_at, {"number": document.number}
                        )
                    )
                    if document.state != State.DRAFT:
                        rows.append(
                            activity(
                                document,
                                Verb.STATE_CHANGED,
                                document.sent_at,
                                {"from": "draft", "to": "sent"},
                            )
                        )
                    if document.state == State.VOID:
                        rows.append(
                            activity(
                                document,
                                Verb.VOIDED,
                                _at(document.issue_date, 15),
                                {"from": "sent", "to": "void"},
                            )
                        )
                for payment, document in zip(payments, paid_documents, strict=True):
                    rows.append(
                        activity(
                            document,
                            Verb.PAYMENT_RECORDED,
                            payment.created_at,
                            {
                                "payment_id": payment.pk,
                                "amount": str(document.amount_paid),
                                "method": payment.method,
                            },
                        )
                    )
                Activity.objects.bulk_create(rows, batch_size=BATCH)
                laps("activity")

            # A portal account with a password, then access through the staff service (an
            # existing account is made active at once, with a notice email).
            PortalUser.objects.create(
                email=PORTAL_EMAIL,
                password=make_password(PORTAL_PASSWORD),
                password_changed_at=timezone.now(),
            )
            enable_portal_access(customer=customer, confirmed_email=PORTAL_EMAIL, actor=actor)

        from django.db import connection

        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # What autovacuum does soon after such a load (PostgreSQL 13+ vacuums
                # insert-only tables too): statistics, and the visibility map.
                cursor.execute("VACUUM ANALYZE")
            laps("vacuum analyze")

        print(
            f"  {Document.objects.count()} invoices ({for_customer} Harbour Cafe's), "
            f"{DocumentLine.objects.count()} lines, {Payment.objects.count()} payments, "
            f"{Activity.objects.count()} activity rows",
            flush=True,
        )
        # Sign in through the portal's own login page, as the customer's browser would.
        client = Client(HTTP_HOST="127.0.0.1")
        response = client.post(
            "/finance/customer-portal/login", {"email": PORTAL_EMAIL, "password": PORTAL_PASSWORD}
        )
        if response.status_code != 302 or response["Location"] != "/finance/customer-portal/":
            raise RuntimeError(f"portal sign-in failed: HTTP {response.status_code}")
        if connection.vendor == "postgresql":
            for endpoint in ENDPOINTS:
                sql_per_view[endpoint.name] = sql_time(client, endpoint.path)
        # wrk sends the cookies the customer's browser holds once signed in: the session
        # and the CSRF cookie (set by the first page with a form, the dashboard's Sign out).
        if client.get("/finance/customer-portal/").status_code != 200:
            raise RuntimeError("the portal dashboard did not answer 200")
        names = (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME)
        values = {"portal": "; ".join(f"{name}={client.cookies[name].value}" for name in names)}
        print("  " + cpu_per_request(ENDPOINTS, values), flush=True)
        print("  " + first_render_cpu(client), flush=True)
        return values

    return seed


def first_render_cpu(client, count: int = 5) -> str:
    """CPU ms of each page when it is not in the rendered-page cache (the first view after
    a change): its queries, the ORM and the templates. wrk's figures are of cached pages."""
    import statistics
    import time

    from solabooks.portal.views.pages import PAGES

    parts = []
    for endpoint in ENDPOINTS:
        samples = []
        for _ in range(count):
            PAGES.clear()
            started = time.process_time()
            client.get(endpoint.path)
            samples.append((time.process_time() - started) * 1000)
        parts.append(f"{endpoint.name} {statistics.median(samples):.2f} ms")
    return "first view (not cached), in-process CPU: " + ", ".join(parts)


# Filled by the seed (in the child process that runs one size): the database's own time
# for each page's queries, which the load on the machine blurs far less than wrk's figures.
sql_per_view: dict[str, dict] = {}
SQL_SAMPLES = 5


def sql_time(client, path: str) -> dict:
    """Queries per view of `path`, and their planning + execution time by EXPLAIN ANALYZE
    (median over a few views), in ms."""
    import statistics

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)  # warm the caches
    totals, count = [], 0
    for _ in range(SQL_SAMPLES):
        with CaptureQueriesContext(connection) as captured:
            if client.get(path).status_code != 200:
                raise RuntimeError(f"{path} did not answer 200")
        count = len(captured.captured_queries)
        total = 0.0
        with connection.cursor() as cursor:
            for query in captured.captured_queries:
                if query["sql"].lstrip().upper().startswith("SELECT"):
                    cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + query["sql"])
                    plan = cursor.fetchone()[0][0]
                    total += plan["Planning Time"] + plan["Execution Time"]
        totals.append(total)
    return {"queries": count, "sql_ms": statistics.median(totals)}


ENDPOINTS = [
    Endpoint("portal dashboard", "/finance/customer-portal/", cookie="portal"),
    Endpoint("portal invoice list", "/finance/customer-portal/invoices/", cookie="portal"),
]


def measure_one(args, total: int, for_customer: int) -> list:
    """One size, in this process (Django's settings are per process: one database each)."""
    results = run(
        f"Customer portal, {total:,} invoices ({for_customer:,} the customer's)",
        make_seed(total, for_customer),
        ENDPOINTS,
        **run_options(args),
    )
    for name, sql in sql_per_view.items():
        print(f"  {name}: {sql['queries']} queries, {sql['sql_ms']:.2f} ms in the database")
    print(flush=True)
    return results


def measure_in_child(args, total: int) -> list:
    """Run one size in a child process and read its results back."""
    import json
    import subprocess
    import tempfile

    from bench.harness import Result

    with tempfile.TemporaryDirectory(prefix="bench-portal-") as directory:
        out = Path(directory) / "results.json"
        command = [sys.executable, __file__, "--only", str(total), "--json", str(out)]
        for option in ("duration", "warmup", "connections", "threads", "workers"):
            command += [f"--{option}", str(getattr(args, option))]
        if args.keep:
            command.append("--keep")
        finished = subprocess.run(command, timeout=1200, check=False)
        if not out.exists():
            raise SystemExit(f"the {total:,}-invoice run failed (exit {finished.returncode})")
        data = json.loads(out.read_text())
        return [Result(**row) for row in data["results"]], data["sql"]


def main() -> None:
    import json
    from dataclasses import asdict

    title = "Customer portal"
    parser = argument_parser(title, duration=5)
    parser.add_argument("--only", type=int, choices=[LARGE, SMALL], help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    if not os.environ["DATABASE_URL"].startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench_portal runs on PostgreSQL: DATABASE_URL=postgres://...")
    sizes = {LARGE: LARGE_FOR_CUSTOMER, SMALL: SMALL_FOR_CUSTOMER}
    if args.only:  # a child of the run below
        results = measure_one(args, args.only, sizes[args.only])
        if args.json:
            data = {"results": [asdict(r) for r in results], "sql": sql_per_view}
            args.json.write_text(json.dumps(data, indent=2) + "\n")
        return

    runs, sql = {}, {}
    for total in sizes:
        runs[total], sql[total] = measure_in_child(args, total)
    large, small = runs[LARGE], runs[SMALL]
    targets = [ratio_target(large, e.name, RATIO_TARGET) for e in ENDPOINTS]
    print()
    for endpoint in ENDPOINTS:
        big = next(r for r in large if r.name == endpoint.name)
        little = next(r for r in small if r.name == endpoint.name)
        growth = big.p99_ms / little.p99_ms if big.p99_ms and little.p99_ms else None
        print(
            f"{endpoint.name}: p99 {big.p99_ms} ms at {LARGE:,} invoices, "
            f"{little.p99_ms} ms at {SMALL:,}; req/s {big.requests_per_second} vs "
            f"{little.requests_per_second}; database time per view "
            f"{sql[LARGE][endpoint.name]['sql_ms']:.2f} ms vs "
            f"{sql[SMALL][endpoint.name]['sql_ms']:.2f} ms"
        )
        targets.append(
            Target(
                f"{endpoint.name}: p99 at {LARGE:,} / p99 at {SMALL:,}",
                growth,
                P99_GROWTH_LIMIT,
                at_least=False,
            )
        )
    print()
    finish(
        results=[r for results in runs.values() for r in results],
        targets=targets,
        json_path=args.json,
        runs={str(k): [asdict(r) for r in v] for k, v in runs.items()},
        sql={str(k): v for k, v in sql.items()},
    )


if __name__ == "__main__":
    main()
