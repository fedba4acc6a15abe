"""Secure links: the customer's page behind a link, its cached PDF, a first PDF render, and
the project links (a project's share page, a time-approval page).

.venv/bin/python bench/bench_links.py [--duration 5]
DATABASE_URL=postgres://postgres@127.0.0.1:5432/solabooks .venv/bin/python bench/bench_links.py

Targets (ratios to the bare /finance/health/ endpoint of the same run):
- GET /finance/i/<token> (a valid link, 5-line invoice): at least 0.40. Every view writes an
  Activity row and touches the link (the product requires it); measured as it is.
- The PDF download, cached (rendered once before the run): at least 0.60. The PDF is the
  link's own URL with ?format=pdf (one URL per link: GET /finance/i/<token>?format=pdf).
- GET /finance/p/<token> (a project share page: 240 entries over four months by three staff
  members, some invoiced, approved, rejected and pending; 50 entries a page): at least 0.40.
- GET /finance/t/<token> (a time-approval page with 200 pending entries, every one with its
  Approve / Reject choice): at least 0.40. Both write their view's Activity row, like the
  document page.
- The first render of a 20-line invoice's PDF (document_pdf() in this process, on a fresh
  document, after one warm-up render of another document so WeasyPrint is loaded): under
  0.5 s. Timed on a few fresh documents; the target holds for the slowest.

The link is made by the sharing service (`issue_link`), which is the only place the raw
token exists; it stays in this process's memory and in wrk's request. Tables print the
path as `/finance/i/{link}`, never the token. The project links are minted the same way, by
`approvals.share_project` and `approvals.request_time_approval`, and read back from the
email each one queued (decrypted in this process, as delivery does); the project's time is
logged, decided and invoiced through the projects services.
"""

import sys
import time
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

PAGE_LINES = 5
PDF_LINES = 20
PDF_SAMPLES = 3  # fresh documents whose first render is timed
LINK_PAGE_TARGET = 0.40
PROJECT_PAGE_TARGET = 0.40
APPROVAL_PAGE_TARGET = 0.40
PROJECT_ENTRIES = 240  # four months of three people's time
APPROVAL_ENTRIES = 200  # pending, in one open request
LINK_PDF_TARGET = 0.60
FIRST_RENDER_LIMIT = 0.5  # seconds

# Filled by seed() (it runs in this process, with the database that gunicorn will serve).
pdf_render_seconds: list[float] = []


def _logo_upload():
    """A small PNG logo, as a business would upload it (it is embedded in every PDF)."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (240, 80), "#1f6feb")
    ImageDraw.Draw(image).rectangle((20, 20, 220, 60), fill="#ffffff")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile("logo.png", buffer.getvalue(), content_type="image/png")


def _lines(rng, count: int):
    from decimal import Decimal

    from solabooks.documents.services import LineInput

    return [
        LineInput(
            f"Consulting, work package {rng.randint(1, 999)}: analysis, design and review",
            Decimal(rng.randint(1, 12)),
            Decimal(rng.randint(2000, 150000)) / 100,
            rng.choice([Decimal("0"), Decimal("8.5"), Decimal("20")]),
        )
        for _ in range(count)
    ]


def seed() -> dict[str, str]:
    import random

    from django.db import transaction

    from solabooks.activity.models import ActorType
    from solabooks.activity.services import Actor
    from solabooks.customers.services import create_customer
    from solabooks.documents.models import Document
    from solabooks.documents.services import create_document, transition_document
    from solabooks.pdf.services import document_pdf
    from solabooks.sharing.services import issue_link
    from solabooks.tenancy.models import Membership, Organization, Role, User
    from solabooks.tenancy.services import update_organization

    rng = random.Random(40)
    with transaction.atomic():
        owner = User.objects.create_user("owner@bench.test", "bench-password-long-enough")
        org = Organization.objects.create(name="Bench Co", reply_to_email="billing@bench.test")
        Membership.objects.create(user=owner, organization=org, role=Role.OWNER)
        actor = Actor(type=ActorType.STAFF, user=owner, label=owner.email)
        org = update_organization(
            organization=org,
            actor=actor,
            address="1 Harbour Street\nPortsmouth PO1 2AB",
            logo=_logo_upload(),
        )
        customer = create_customer(
            organization=org,
            actor=actor,
            name="Acme Bakery Ltd",
            email="accounts@acme-bakery.test",
            currency="USD",
            billing_address="22 Mill Lane\nBristol BS1 4DJ",
        )

        def sent_invoice(lines: int) -> Document:
            invoice = create_document(
                organization=org,
                kind="invoice",
                customer=customer,
                actor=actor,
                lines=_lines(rng, lines),
            )
            return transition_document(document=invoice, action="mark_sent", actor=actor)

        invoice = sent_invoice(PAGE_LINES)
        # The real service mints the link; the raw token exists only in its return value.
        issued = issue_link(document=invoice, actor=actor)
        fresh = [sent_invoice(PDF_LINES) for _ in range(PDF_SAMPLES)]

    # Warm-up render of another document (loads WeasyPrint and its fonts); it also puts the
    # link's PDF in the cache, as a first download would.
    document_pdf(document=Document.objects.get(pk=invoice.pk))
    for document in fresh:
        started = time.perf_counter()
        # Read afresh, as a request would: the organization, customer and lines queries
        # are part of the first render.
        document_pdf(document=Document.objects.get(pk=document.pk))
        pdf_render_seconds.append(time.perf_counter() - started)
    values = {"link": issued.raw_token, **_seed_projects(org, customer, actor, rng)}
    print("  " + cpu_per_request(ENDPOINTS, values), flush=True)
    return values


def _emailed_token(prefix: str, send) -> str:
    """Run `send()` in its own transaction and return the raw token of the one
    /finance/<prefix>/ link it emailed. EMAIL_URL is locmem:// and delivery runs on commit
    (TASK_BACKEND immediate), so the delivered email is in django.core.mail.outbox, with the
    link in clear as in the customer's inbox."""
    import re

    from django.core import mail
    from django.db import transaction

    mail.outbox = []
    with transaction.atomic():
        send()
    found = {
        match.group(1)
        for message in mail.outbox
        for match in re.finditer(rf"/finance/{prefix}/([A-Za-z0-9_\-]+)", message.body)
    }
    if len(found) != 1:
        raise RuntimeError(f"expected one /finance/{prefix}/ link in the email, found {len(found)}")
    return found.pop()


def _log(project, actor, rng, *, count: int, first_day, staff) -> list:
    import datetime
    from decimal import Decimal

    from solabooks.projects.services import EntryInput, add_time_entries

    work = ["Design review", "Front-end build", "Content migration", "Client call", "QA pass"]
    rows = [
        EntryInput(
            date=first_day + datetime.timedelta(days=n * 120 // count),
            hours=Decimal(rng.randint(2, 32)) / 4,
            description=f"{rng.choice(work)}, ticket {rng.randint(100, 999)}",
            staff_member=staff[n % len(staff)],
        )
        for n in range(count)
    ]
    made = []
    for start in range(0, count, 100):  # add_time_entries takes up to 100 at once
        made += add_time_entries(project=project, entries=rows[start : start + 100], actor=actor)
    return made


def _decide(approval_request, *, reject: int = 0) -> None:
    """The customer's decision through the link page's service: all approved, or `reject`
    entries rejected with a comment and the rest approved."""
    from solabooks.activity.models import ActorType
    from solabooks.activity.services import Actor
    from solabooks.projects import customer_decisions
    from solabooks.projects.selectors import request_items

    items = request_items(approval_request)
    decisions = {
        item.pk: ("reject", "Not agreed: please check") if n < reject else ("approve", "")
        for n, item in enumerate(items)
    }
    customer_decisions.decide_time(
        approval_request=approval_request,
        decisions=decisions,
        seen_fingerprint=customer_decisions.request_fingerprint(approval_request, items),
        actor=Actor(type=ActorType.LINK, label="customer", ip="203.0.113.9"),
    )


def _seed_projects(org, customer, actor, rng) -> dict[str, str]:
    """A project with a realistic history behind a share link, and another with an open
    request of APPROVAL_ENTRIES pending entries behind a time-approval link."""
    import datetime
    from decimal import Decimal

    from django.db import transaction
    from django.utils import timezone

    from solabooks.projects import approvals
    from solabooks.projects.invoicing import PER_STAFF_AND_RATE, invoice_approved_time
    from solabooks.projects.services import ProjectInput, create_project
    from solabooks.tenancy.models import Membership, Role, User

    staff = [actor.user]
    for n, role in enumerate((Role.MANAGER, Role.ACCOUNTANT)):
        user = User.objects.create_user(f"staff{n}@bench.test", "bench-password-long-enough")
        user.full_name = f"Staff Member {n}"
        user.save()
        Membership.objects.create(user=user, organization=org, role=role)
        staff.append(user)
    first_day = timezone.localdate() - datetime.timedelta(days=125)

    with transaction.atomic():
        shared = create_project(
            organization=org,
            customer=customer,
            actor=actor,
            data=ProjectInput(
                name="Website redesign",
                description="New site, content migration and a booking form.",
                budget_hours=Decimal("900"),
                budget_amount=Decimal("110000"),
                default_rate=Decimal("120"),
            ),
        )
        entries = _log(shared, actor, rng, count=PROJECT_ENTRIES, first_day=first_day, staff=staff)
        first = approvals.request_time_approval(
            project=shared, actor=actor, entry_ids=[e.pk for e in entries[:100]]
        )
        _decide(first.approval_request, reject=5)
        invoice_approved_time(project=shared, grouping=PER_STAFF_AND_RATE, actor=actor)
        second = approvals.request_time_approval(
            project=shared, actor=actor, entry_ids=[e.pk for e in entries[100:160]]
        )
        _decide(second.approval_request)
        waiting = create_project(
            organization=org,
            customer=customer,
            actor=actor,
            data=ProjectInput(name="Support retainer", default_rate=Decimal("95")),
        )
        _log(waiting, actor, rng, count=APPROVAL_ENTRIES, first_day=first_day, staff=staff)

    def ask_for_approval() -> None:
        sent = approvals.request_time_approval(project=waiting, actor=actor)
        assert sent.approval_request.items.count() == APPROVAL_ENTRIES

    return {
        "project": _emailed_token(
            "p", lambda: approvals.share_project(project=shared, actor=actor)
        ),
        "approval": _emailed_token("t", ask_for_approval),
    }


ENDPOINTS = [
    Endpoint("link page", "/finance/i/{link}"),
    Endpoint("link PDF (cached)", "/finance/i/{link}?format=pdf"),
    Endpoint("project page", "/finance/p/{project}"),
    Endpoint(f"approval page ({APPROVAL_ENTRIES} entries)", "/finance/t/{approval}"),
]
APPROVAL_ENDPOINT = ENDPOINTS[3].name


def main() -> None:
    title = f"Secure links: a {PAGE_LINES}-line invoice's page and PDF"
    args = argument_parser(title, duration=5).parse_args()
    results = run(title, seed, ENDPOINTS, **run_options(args))
    renders = ", ".join(f"{s:.3f}s" for s in pdf_render_seconds)
    print(f"First PDF render of a fresh {PDF_LINES}-line invoice (in-process): {renders}\n")
    targets = [
        ratio_target(results, "link page", LINK_PAGE_TARGET),
        ratio_target(results, "link PDF (cached)", LINK_PDF_TARGET),
        ratio_target(results, "project page", PROJECT_PAGE_TARGET),
        ratio_target(results, APPROVAL_ENDPOINT, APPROVAL_PAGE_TARGET),
        Target(
            f"first render, {PDF_LINES}-line PDF (slowest of {len(pdf_render_seconds)})",
            max(pdf_render_seconds) if pdf_render_seconds else None,
            FIRST_RENDER_LIMIT,
            at_least=False,
            unit="s",
        ),
    ]
    finish(
        results=results,
        targets=targets,
        json_path=args.json,
        pdf_render_seconds=pdf_render_seconds,
    )


if __name__ == "__main__":
    main()
