"""Secure links: the customer's page behind a link, its cached PDF, and a first PDF render.

.venv/bin/python bench/bench_links.py [--duration 5]
DATABASE_URL=postgres://postgres@127.0.0.1:5432/solabooks .venv/bin/python bench/bench_links.py

Targets (ratios to the bare /finance/health/ endpoint of the same run):
- GET /finance/i/<token> (a valid link, 5-line invoice): at least 0.40. Every view writes an
  Activity row and touches the link (the product requires it); measured as it is.
- The PDF download, cached (rendered once before the run): at least 0.60. The PDF is the
  link's own URL with ?format=pdf (one URL per link: GET /finance/i/<token>?format=pdf).
- The first render of a 20-line invoice's PDF (document_pdf() in this process, on a fresh
  document, after one warm-up render of another document so WeasyPrint is loaded): under
  0.5 s. Timed on a few fresh documents; the target holds for the slowest.

The link is made by the sharing service (`issue_link`), which is the only place the raw
token exists; it stays in this process's memory and in wrk's request. Tables print the
path as `/finance/i/{link}`, never the token.
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
    values = {"link": issued.raw_token}
    print("  " + cpu_per_request(ENDPOINTS, values), flush=True)
    return values


ENDPOINTS = [
    Endpoint("link page", "/finance/i/{link}"),
    Endpoint("link PDF (cached)", "/finance/i/{link}?format=pdf"),
]


def main() -> None:
    title = f"Secure links: a {PAGE_LINES}-line invoice's page and PDF"
    args = argument_parser(title, duration=5).parse_args()
    results = run(title, seed, ENDPOINTS, **run_options(args))
    renders = ", ".join(f"{s:.3f}s" for s in pdf_render_seconds)
    print(f"First PDF render of a fresh {PDF_LINES}-line invoice (in-process): {renders}\n")
    targets = [
        ratio_target(results, "link page", LINK_PAGE_TARGET),
        ratio_target(results, "link PDF (cached)", LINK_PDF_TARGET),
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
