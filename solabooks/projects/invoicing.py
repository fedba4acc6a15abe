"""Approved time becomes a draft invoice, once; voiding that invoice releases the time.

The project row is locked while invoicing, so two clicks at once make one invoice: the
second finds nothing approved left. Each invoice line names its entries (TimeEntry
.invoice_line), and the Activity of the invoicing keeps the line-to-entries map for good.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from solabooks.activity.models import Verb
from solabooks.activity.services import Actor, record_activity
from solabooks.core.errors import DomainError
from solabooks.core.money import ZERO
from solabooks.documents.models import Document, Kind, UnitCode
from solabooks.documents.services import MAX_DESCRIPTION, MAX_LINES, LineInput, create_document

from . import states
from .models import EntryState, Project, TimeEntry
from .services import lock_project

PER_ENTRY, PER_STAFF_AND_RATE, PER_DAY = "entry", "staff_rate", "day"
GROUPINGS = {
    PER_ENTRY: "One line per entry",
    PER_STAFF_AND_RATE: "One line per staff member and rate",
    PER_DAY: "One line per day (and rate)",
}


@dataclass
class _Line:
    description: str
    rate: Decimal
    entries: list[TimeEntry]

    @property
    def hours(self) -> Decimal:
        return sum((entry.hours for entry in self.entries), ZERO)


def _staff(entry: TimeEntry) -> str:
    return entry.staff_member.display_name if entry.staff_member else "Unassigned"


def _span(entries: list[TimeEntry]) -> str:
    first, last = entries[0].date, entries[-1].date
    if first == last:
        return f"{first:%d %b %Y}"
    return f"{first:%d %b}–{last:%d %b %Y}"


def _group(entries: list[TimeEntry], grouping: str, project: Project) -> list[_Line]:
    names = project.show_staff
    if grouping == PER_ENTRY:
        return [
            _Line(
                f"{entry.date:%d %b %Y} · {entry.description}"
                + (f" ({_staff(entry)})" if names else ""),
                entry.rate,
                [entry],
            )
            for entry in entries
        ]
    groups: dict[tuple, list[TimeEntry]] = defaultdict(list)
    for entry in entries:
        key = (
            (_staff(entry), entry.rate)
            if grouping == PER_STAFF_AND_RATE
            else (entry.date, entry.rate)
        )
        groups[key].append(entry)
    lines = []
    for (label, rate), members in groups.items():
        if grouping == PER_STAFF_AND_RATE:
            who = label if names else "Time"
            text = f"{project.name}: {who}, {_span(members)}"
        else:
            text = f"{label:%d %b %Y} · {project.name}"
        lines.append(_Line(text, rate, members))
    return lines


def _truncate(text: str) -> str:
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"


@transaction.atomic
def invoice_approved_time(*, project: Project, grouping: str, actor: Actor) -> Document:
    """A draft invoice for the project's customer from every approved, not yet invoiced
    billable entry, grouped as asked; the entries become invoiced."""
    if grouping not in GROUPINGS:
        raise DomainError("Choose one line per entry, per staff member and rate, or per day.")
    project = lock_project(project)
    entries = list(
        TimeEntry.objects.for_org(project.organization)
        .filter(states.allowed("invoice"), project=project)
        .select_related("staff_member")
        .select_for_update(of=("self",))
        .order_by("date", "id")
    )
    if not entries:
        raise DomainError("There is no approved time left to invoice.", code="nothing_to_invoice")
    lines = _group(entries, grouping, project)
    if len(lines) > MAX_LINES:
        raise DomainError(
            f"That would be {len(lines)} lines; an invoice has at most {MAX_LINES}. "
            "Group the time by staff member or by day."
        )
    invoice = create_document(
        organization=project.organization,
        kind=Kind.INVOICE,
        customer=project.customer,
        actor=actor,
        lines=[
            LineInput(
                description=_truncate(line.description),
                quantity=line.hours,
                unit_price=line.rate,
                unit_code=UnitCode.HOUR,
            )
            for line in lines
        ],
        notes=f"Time on project {project.name}.",
    )
    saved_lines = list(invoice.lines.order_by("position"))
    mapping = []
    for line, saved in zip(lines, saved_lines, strict=True):
        ids = [entry.pk for entry in line.entries]
        TimeEntry.objects.filter(states.allowed("invoice"), pk__in=ids).update(
            state=EntryState.INVOICED, invoice=invoice, invoice_line=saved
        )
        mapping.append({"line": saved.position + 1, "entries": ids, "hours": str(line.hours)})
    record_activity(
        organization=project.organization,
        project=project,
        customer=project.customer,
        verb=Verb.TIME_INVOICED,
        actor=actor,
        details={
            "invoice_id": invoice.pk,
            "number": invoice.number,
            "grouping": grouping,
            "lines": mapping,
            "hours": str(sum((line.hours for line in lines), ZERO)),
        },
    )
    return invoice


def release_invoiced_time(*, invoice: Document, actor: Actor) -> int:
    """The invoice was voided: its time is approved again, ready for another invoice.
    Runs in the voiding transaction (documents.services.transition_document)."""
    released = 0
    by_project: dict[int, list[int]] = defaultdict(list)
    for pk, project_id in (
        TimeEntry.objects.for_org(invoice.organization)
        .filter(states.allowed("release"), invoice=invoice)
        .values_list("pk", "project_id")
    ):
        by_project[project_id].append(pk)
    projects = Project.objects.for_org(invoice.organization).in_bulk(list(by_project))
    for project_id, ids in by_project.items():
        released += TimeEntry.objects.filter(states.allowed("release"), pk__in=ids).update(
            state=EntryState.APPROVED, invoice=None, invoice_line=None
        )
        record_activity(
            organization=invoice.organization,
            project=projects[project_id],
            customer=invoice.customer,
            verb=Verb.TIME_RELEASED,
            actor=actor,
            details={"invoice_id": invoice.pk, "number": invoice.number, "entries": ids},
        )
    return released


def billed_project(invoice: Document) -> Project | None:
    """The project whose time the invoice bills, if any (it cannot move to another
    customer: that customer did not approve the time)."""
    entry = (
        TimeEntry.objects.for_org(invoice.organization)
        .filter(invoice=invoice)
        .select_related("project__customer")
        .first()
    )
    return entry.project if entry is not None else None
