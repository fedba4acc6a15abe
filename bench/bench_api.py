"""Staff API with an API key: a 50-document page of the list, and sending a document.

.venv/bin/python bench/bench_api.py [--duration 5] [--email mailbox|smtp|locmem]
DATABASE_URL=postgres://postgres@127.0.0.1:5432/solabooks .venv/bin/python bench/bench_api.py

Targets (ratios to the bare /finance/health/ endpoint of the same run):
- GET /finance/api/v1/documents/?page_size=50 (50 documents) with `Authorization: Bearer`:
  at least 0.30.
- POST /finance/api/v1/documents/<id>/send with a JSON body: at least 0.25. Every call mints
  a new 24-hour link, commits the email to the outbox with its delivery task and records its
  Activity, and answers 202 ("the email is queued"), as in production.

Delivery runs as production runs it (README, ARCHITECTURE): TASK_BACKEND=database, the
request commits the outbox row and the task row, and a `manage.py db_worker` started beside
gunicorn (same settings, same database, on the same cores) delivers them during the run.
The bench used to deliver inside the request (TASK_BACKEND=immediate, the embedded default
of a demo), which measured the mail server's round trip as part of the API call, something
no production request does. Nothing is left out of the account either: after the run the
script waits for the worker to empty the queue, then checks that every outbox message the
run queued was sent (none queued, sending or failed, one per link minted) and exits 1
otherwise; `--immediate` measures the old in-request delivery for comparison.

Email never leaves the machine: by default EMAIL_URL=mailbox:// (.eml files in the run's
work directory, SOLABOOKS_VAR_DIR); `--email smtp` starts a sink SMTP server (aiosmtpd) on
127.0.0.1 in this process and delivers over SMTP to it, like a local relay; `--email
locmem` keeps messages in the worker's memory. The per-key rate limit (API_RATE_LIMIT, 600 a
minute by default) is raised for the run, or wrk would measure 429s.
"""

import json
import os
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench.harness as harness
from bench.harness import (
    REPO,
    Endpoint,
    argument_parser,
    cpu_per_request,
    create_bench_business,
    finish,
    free_port,
    ratio_target,
    run,
    run_options,
)

CUSTOMERS = 40
DOCUMENTS = 300
PAGE_SIZE = 50
LIST_TARGET = 0.30
SEND_TARGET = 0.25
# Far above what wrk can do in a run; the limit itself stays on (one counter a request).
BENCH_RATE_LIMIT = "100000000"
DRAIN_TIMEOUT = 300  # seconds for the worker to catch up after the run
SEND_BODY = json.dumps(
    {
        "subject": "Your invoice from Bench Co",
        "message": "Hello,\n\nplease find your invoice at the link below.\n\nThank you!",
    }
)


def seed(endpoints: list[Endpoint] | None = None) -> dict[str, str]:
    import datetime
    import random
    from decimal import Decimal

    from django.db import transaction
    from django.test import Client
    from django.utils import timezone

    from solabooks.documents.services import LineInput, create_document, transition_document
    from solabooks.tenancy.services import create_api_key

    rng = random.Random(300)
    today = timezone.localdate()
    with transaction.atomic():
        owner, org, actor, customers = create_bench_business(customers=CUSTOMERS)
        documents = []
        for n in range(DOCUMENTS):
            kind = "quote" if n % 5 == 4 else "invoice"
            document = create_document(
                organization=org,
                kind=kind,
                customer=rng.choice(customers),
                actor=actor,
                lines=[
                    LineInput(
                        f"Service item {rng.randint(1, 99)}",
                        Decimal(rng.randint(1, 10)),
                        Decimal(rng.randint(1000, 90000)) / 100,
                        rng.choice([Decimal("0"), Decimal("20")]),
                    )
                    for _ in range(rng.randint(1, 4))
                ],
                issue_date=today - datetime.timedelta(days=rng.randint(0, 365)),
            )
            if n % 3:
                document = transition_document(document=document, action="mark_sent", actor=actor)
            documents.append(document)
        to_send = next(d for d in documents if d.kind == "invoice" and d.state == "sent")
        key = create_api_key(organization=org, actor=actor, name="Bench sync")

    authorization = f"Authorization: Bearer {key.raw_key}"
    # The list answers a full page (what the target is about), checked once before the run.
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {key.raw_key}")
    answer = client.get(f"/finance/api/v1/documents/?page_size={PAGE_SIZE}")
    if answer.status_code != 200 or len(answer.json()["results"]) != PAGE_SIZE:
        raise RuntimeError(f"the documents list did not answer {PAGE_SIZE} documents")
    values = {"auth": authorization, "send_id": str(to_send.pk)}
    print("  " + cpu_per_request(endpoints or ENDPOINTS, values), flush=True)
    if os.environ.get("TASK_BACKEND") == "database":
        WORKER.start()
    return values


ENDPOINTS = [
    Endpoint(
        "documents list (50)",
        f"/finance/api/v1/documents/?page_size={PAGE_SIZE}",
        headers=("auth",),
    ),
    Endpoint(
        "send document",
        "/finance/api/v1/documents/{send_id}/send",
        headers=("auth",),
        method="POST",
        body=SEND_BODY,
        status=202,
    ),
]


class Worker:
    """`manage.py db_worker` beside gunicorn, as production runs it (same environment and
    database); after the run, `drain()` waits for the queue to empty and accounts for
    every email the run queued."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.log: Path | None = None

    def start(self) -> None:
        # Called from the seed: the run's environment is this process's now.
        self.log = Path(os.environ["SOLABOOKS_VAR_DIR"]) / "db_worker.log"
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--no-startup-delay", "--no-reload"],
            cwd=REPO,
            env=dict(os.environ),
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        print(f"db_worker started (pid {self.process.pid})", flush=True)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def wait_idle(self, timeout: float = DRAIN_TIMEOUT) -> None:
        """Wait until the worker has delivered everything queued so far (between endpoints:
        its catching up would otherwise load the cores while the next one is measured)."""
        from django.db import connections
        from django_tasks.base import TaskResultStatus
        from django_tasks_db.models import DBTaskResult

        from solabooks.mail.models import OutboxMessage, OutboxState

        if self.process is None:
            return
        started = time.monotonic()
        # Both queues: a delivery task whose message an earlier task's sweep already sent
        # still runs (and finds nothing to do).
        unsent = OutboxMessage.objects.filter(state__in=(OutboxState.QUEUED, OutboxState.SENDING))
        unrun = DBTaskResult.objects.filter(
            status__in=(TaskResultStatus.READY, TaskResultStatus.RUNNING)
        )
        try:
            while (unsent.exists() or unrun.exists()) and self.process.poll() is None:
                if time.monotonic() - started > timeout:
                    break
                time.sleep(0.2)
        finally:
            connections.close_all()

    def drain(self, timeout: float = DRAIN_TIMEOUT) -> str:
        """Wait for the worker to deliver everything, stop it, and account for the mail;
        returns a problem ("" when every queued email was sent)."""
        from django.db import connections
        from django.db.models import Count

        from solabooks.mail.models import OutboxMessage, OutboxState
        from solabooks.sharing.models import SecureLink

        started = time.monotonic()
        self.wait_idle(timeout)
        waited = time.monotonic() - started
        try:
            self.stop()
            states = dict(
                OutboxMessage.objects.values_list("state").annotate(n=Count("id")).order_by()
            )
            links = SecureLink.objects.count()
        finally:
            connections.close_all()
        sent = states.get(OutboxState.SENT, 0)
        print(
            f"delivery: db_worker sent {sent} of {sum(states.values())} emails "
            f"({links} links minted); the queue emptied {waited:.1f}s after the run\n",
            flush=True,
        )
        if sent != sum(states.values()) or sent != links:
            print(self.log.read_text()[-3000:], flush=True)
            return f"not every queued email was delivered: {states}, {links} links"
        return ""


WORKER = Worker()


def account_for_delivery(results: list[harness.Result]) -> None:
    """After measuring, while the run's database still exists: every queued email sent."""
    if WORKER.process is not None:
        problem = WORKER.drain()
        if problem:
            send = next(r for r in results if r.name == "send document")
            send.problem = problem


class SinkSMTP:
    """A local SMTP server that accepts and drops every message (counts them)."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd)
                sink.received += 1
                return "250 OK"

        self.received = 0
        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> "SinkSMTP":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


def main(
    *,
    title: str = "Staff API with an API key",
    endpoints: list[Endpoint] | None = None,
    targets: tuple[tuple[str, float], ...] = (
        ("documents list (50)", LIST_TARGET),
        ("send document", SEND_TARGET),
    ),
    settings_module: str | None = None,
) -> None:
    """Run the API bench (bench_send_floor.py runs it with other endpoints and settings)."""
    endpoints = endpoints or ENDPOINTS
    parser = argument_parser(title, duration=5)
    parser.add_argument(
        "--email",
        choices=["mailbox", "smtp", "locmem"],
        default="mailbox",
        help="where delivery goes (never off the machine); default: .eml files",
    )
    parser.add_argument(
        "--immediate",
        action="store_true",
        help="deliver inside the send request (TASK_BACKEND=immediate) instead of db_worker",
    )
    args = parser.parse_args()
    env = {
        "API_RATE_LIMIT": BENCH_RATE_LIMIT,
        "API_RATE_WINDOW": "60",
        "TASK_BACKEND": "immediate" if args.immediate else "database",
    }
    if settings_module:
        env["DJANGO_SETTINGS_MODULE"] = settings_module
    sink = None
    if args.email == "smtp":
        sink = SinkSMTP().__enter__()
        env["EMAIL_URL"] = f"smtp://127.0.0.1:{sink.port}?timeout=5"
    else:
        env["EMAIL_URL"] = f"{args.email}://"
    delivery = "in the request" if args.immediate else "db_worker"
    try:
        results = run(
            f"{title} (email: {args.email}, delivery: {delivery})",
            partial(seed, endpoints),
            endpoints,
            **run_options(args),
            env=env,
            settle=WORKER.wait_idle,
            after_measure=account_for_delivery,
        )
    finally:
        WORKER.stop()
        if sink is not None:
            sink.__exit__(None, None, None)
            print(f"SMTP sink received {sink.received} messages\n")
    finish(
        results=results,
        targets=[ratio_target(results, name, bound) for name, bound in targets],
        json_path=args.json,
    )


if __name__ == "__main__":
    main()
