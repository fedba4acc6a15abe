"""Staff API with an API key: a 50-document page of the list, and sending a document.

.venv/bin/python bench/bench_api.py [--duration 5] [--email mailbox|smtp|locmem]
DATABASE_URL=postgres://postgres@127.0.0.1:5432/solabooks .venv/bin/python bench/bench_api.py

Targets (ratios to the bare /finance/health/ endpoint of the same run):
- GET /finance/api/v1/documents/?page_size=50 (50 documents) with `Authorization: Bearer`:
  at least 0.30.
- POST /finance/api/v1/documents/<id>/send with a JSON body: at least 0.25. Every call mints
  a new 24-hour link, queues the email in the outbox, delivers it (TASK_BACKEND=immediate:
  in the request, after commit) and records its Activity, as in production.

Email never leaves the machine: by default EMAIL_URL=mailbox:// (.eml files in the run's
work directory, SOLABOOKS_VAR_DIR); `--email smtp` starts a sink SMTP server (aiosmtpd) on
127.0.0.1 in this process and delivers over SMTP to it, like a local relay; `--email
locmem` keeps messages in gunicorn's memory. The per-key rate limit (API_RATE_LIMIT, 600 a
minute by default) is raised for the run, or wrk would measure 429s.
"""

import json
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (
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
SEND_BODY = json.dumps(
    {
        "subject": "Your invoice from Bench Co",
        "message": "Hello,\n\nplease find your invoice at the link below.\n\nThank you!",
    }
)


def seed() -> dict[str, str]:
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
    print("  " + cpu_per_request(ENDPOINTS, values), flush=True)
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


def main() -> None:
    title = "Staff API with an API key"
    parser = argument_parser(title, duration=5)
    parser.add_argument(
        "--email",
        choices=["mailbox", "smtp", "locmem"],
        default="mailbox",
        help="where delivery goes (never off the machine); default: .eml files",
    )
    args = parser.parse_args()
    env = {"API_RATE_LIMIT": BENCH_RATE_LIMIT, "API_RATE_WINDOW": "60"}
    sink = None
    if args.email == "smtp":
        sink = SinkSMTP().__enter__()
        env["EMAIL_URL"] = f"smtp://127.0.0.1:{sink.port}?timeout=5"
    else:
        env["EMAIL_URL"] = f"{args.email}://"
    try:
        results = run(
            f"{title} (email: {args.email})", seed, ENDPOINTS, **run_options(args), env=env
        )
    finally:
        if sink is not None:
            sink.__exit__(None, None, None)
            print(f"SMTP sink received {sink.received} messages\n")
    targets = [
        ratio_target(results, "documents list (50)", LIST_TARGET),
        ratio_target(results, "send document", SEND_TARGET),
    ]
    finish(results=results, targets=targets, json_path=args.json)


if __name__ == "__main__":
    main()
