"""Projects and time entries: every staff change, one transaction each, with its Activity.

Sharing a project and the customer's approval of time are in approvals.py; turning
approved time into an invoice (and voiding it back) in invoicing.py. Which entries may
change at all is states.py's rule, asked here before every change.
"""

import datetime
from dataclasses import dataclass, fields
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from solabooks.activity.models import Verb
from solabooks.activity.services import Actor, record_activity
from solabooks.core.errors import DomainError
from solabooks.core.money import ZERO, round_money
from solabooks.core.numbers import plain_text
from solabooks.sharing.models import SecureLink

from . import states
from .hours import InvalidHours, check_hours
from .models import ApprovalRequest, Project, ProjectStatus, RequestState, TimeEntry

MAX_NAME = 200
MAX_DESCRIPTION = 500
MAX_PROJECT_DESCRIPTION = 10_000
MAX_ENTRIES_PER_CALL = 100
# DecimalField(max_digits=14, decimal_places=3) for rates; 18/3 for budgets.
MAX_RATE = Decimal(10) ** 11
MAX_BUDGET_AMOUNT = Decimal(10) ** 15
MAX_BUDGET_HOURS = Decimal(10) ** 8
FIRST_YEAR, LAST_YEAR = 1900, 2999


@dataclass(frozen=True)
class ProjectInput:
    name: str
    description: str = ""
    status: str = ProjectStatus.ACTIVE
    budget_hours: Decimal | None = None
    budget_amount: Decimal | None = None
    default_rate: Decimal = ZERO
    show_entries: bool = True
    show_rates: bool = True
    show_staff: bool = True
    portal_visible: bool = False


PROJECT_FIELDS = tuple(field.name for field in fields(ProjectInput))


@dataclass(frozen=True)
class EntryInput:
    date: datetime.date
    hours: Decimal
    description: str
    billable: bool = True
    # None: the project's default rate.
    rate: Decimal | None = None
    # None: the person logging it.
    staff_member: object = None


def _clean_project(data: ProjectInput, *, currency: str) -> ProjectInput:
    name = " ".join((data.name or "").split())
    if not name:
        raise DomainError("A project needs a name.")
    if len(name) > MAX_NAME:
        raise DomainError(f"A project name can be at most {MAX_NAME} characters.")
    description = (data.description or "").strip()
    if len(description) > MAX_PROJECT_DESCRIPTION:
        raise DomainError(f"A description can be at most {MAX_PROJECT_DESCRIPTION:,} characters.")
    if data.status not in ProjectStatus.values:
        raise DomainError("Choose active, on hold or completed.")
    for label, value, limit in (
        ("budget in hours", data.budget_hours, MAX_BUDGET_HOURS),
        ("budget amount", data.budget_amount, MAX_BUDGET_AMOUNT),
    ):
        if value is not None and not (ZERO < value < limit):
            raise DomainError(f"The {label} must be more than 0 (or left empty).")
    if data.budget_hours is not None and data.budget_hours != round(data.budget_hours, 2):
        raise DomainError("The budget in hours goes in steps of 0.01.")
    budget_amount = data.budget_amount
    if budget_amount is not None:
        budget_amount = round_money(budget_amount, currency)
        # Once rounded to the currency, 0.004 USD (or 0.4 JPY) is no budget at all, and the
        # column's check constraint would refuse it with an IntegrityError.
        if budget_amount <= ZERO:
            raise DomainError("The budget amount must be more than 0 (or left empty).")
    if not (ZERO <= data.default_rate < MAX_RATE):
        raise DomainError("The hourly rate cannot be negative.")
    if data.default_rate != round(data.default_rate, 3):
        raise DomainError("An hourly rate has at most 3 decimals.")
    return ProjectInput(
        **{
            **{name_: getattr(data, name_) for name_ in PROJECT_FIELDS},
            "name": name,
            "description": description,
            "budget_amount": budget_amount,
        }
    )


def _check_customer(organization, customer) -> None:
    if customer is None or customer.organization_id != organization.pk:
        raise DomainError("Choose one of this business's customers.")


@transaction.atomic
def create_project(*, organization, customer, data: ProjectInput, actor: Actor) -> Project:
    _check_customer(organization, customer)
    data = _clean_project(data, currency=customer.currency)
    project = Project.objects.create(
        organization=organization,
        customer=customer,
        created_by=actor.saved_user,
        **{name: getattr(data, name) for name in PROJECT_FIELDS},
    )
    record_activity(
        organization=organization,
        project=project,
        customer=customer,
        verb=Verb.PROJECT_CREATED,
        actor=actor,
        details={"name": project.name},
    )
    return project


def lock_project(project: Project) -> Project:
    return (
        Project.objects.select_for_update(of=("self",))
        .select_related("organization", "customer")
        .get(pk=project.pk)
    )


def _as_text(value) -> str | bool | None:
    return plain_text(value) if isinstance(value, Decimal) else value


@transaction.atomic
def update_project(*, project: Project, data: ProjectInput, actor: Actor, customer=None) -> Project:
    """Edit a project. Moving it to another customer withdraws its open approval requests
    and ends every link the old customer holds (a link names its customer)."""
    project = lock_project(project)
    new_customer = customer or project.customer
    _check_customer(project.organization, new_customer)
    data = _clean_project(data, currency=new_customer.currency)
    changed = {}
    for name in PROJECT_FIELDS:
        before, after = getattr(project, name), getattr(data, name)
        if before != after:
            changed[name] = {"from": _as_text(before), "to": _as_text(after)}
            setattr(project, name, after)
    moved = new_customer.pk != project.customer_id
    if moved:
        # Approved time was approved by this customer: it must not be invoiced to another.
        if project.time_entries.filter(state__in=("approved", "invoiced")).exists():
            raise DomainError(
                "This project has approved or invoiced time for its customer; it cannot move "
                "to another."
            )
        if new_customer.currency != project.customer.currency:
            raise DomainError(
                f"The project's rates and budget are in {project.customer.currency}; "
                f"{new_customer.name} is billed in {new_customer.currency}. Start a new "
                "project for that customer instead."
            )
        changed["customer"] = {"from": project.customer.name, "to": new_customer.name}
        for approval_request in ApprovalRequest.objects.filter(
            project=project, state=RequestState.OPEN
        ):
            from .approvals import close_request_for_move

            close_request_for_move(approval_request=approval_request, actor=actor)
        # Revoked, not only dead while the customers differ: moving the project back must
        # not bring the old links back to life (as with a re-assigned document's links).
        links_revoked = SecureLink.objects.filter(project=project, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_reason="reassigned"
        )
        project.customer = new_customer
    if not changed:
        return project
    project.save()
    details = {"changed": changed}
    if moved:
        details["links_revoked"] = links_revoked
    record_activity(
        organization=project.organization,
        project=project,
        customer=project.customer,
        verb=Verb.PROJECT_EDITED,
        actor=actor,
        details=details,
    )
    return project


@transaction.atomic
def set_project_status(*, project: Project, status: str, actor: Actor) -> Project:
    """Close (completed), put on hold, or reopen (active) a project."""
    if status not in ProjectStatus.values:
        raise DomainError("Choose active, on hold or completed.")
    project = lock_project(project)
    if project.status == status:
        return project
    previous = project.status
    project.status = status
    project.save(update_fields=["status", "updated_at"])
    record_activity(
        organization=project.organization,
        project=project,
        customer=project.customer,
        verb=Verb.PROJECT_EDITED,
        actor=actor,
        details={"changed": {"status": {"from": previous, "to": status}}},
    )
    return project


# --- Time entries ------------------------------------------------------------------------


def _member_ids(organization) -> set[int]:
    return set(organization.memberships.values_list("user_id", flat=True))


def _clean_entry(data: EntryInput, *, project: Project, members: set[int], actor: Actor, row: str):
    try:
        hours = check_hours(Decimal(data.hours))
    except InvalidHours as error:
        raise DomainError(f"{row}{error}") from None
    description = " ".join((data.description or "").split())
    if not description:
        raise DomainError(f"{row}Describe the work.")
    if len(description) > MAX_DESCRIPTION:
        raise DomainError(f"{row}A description can be at most {MAX_DESCRIPTION} characters.")
    if not isinstance(data.date, datetime.date) or not (FIRST_YEAR <= data.date.year <= LAST_YEAR):
        raise DomainError(f"{row}Enter a date between {FIRST_YEAR} and {LAST_YEAR}.")
    rate = project.default_rate if data.rate is None else Decimal(data.rate)
    if not rate.is_finite() or not (ZERO <= rate < MAX_RATE):
        raise DomainError(f"{row}The rate cannot be negative.")
    if rate != round(rate, 3):
        raise DomainError(f"{row}A rate has at most 3 decimals.")
    staff_member = data.staff_member or actor.saved_user
    if staff_member is not None and staff_member.pk not in members:
        raise DomainError(f"{row}Choose a member of this business.")
    return {
        "date": data.date,
        "hours": hours,
        "description": description,
        "billable": bool(data.billable),
        "rate": rate,
        "staff_member": staff_member,
    }


def _check_open(project: Project) -> None:
    if project.status == ProjectStatus.COMPLETED:
        raise DomainError("This project is completed: reopen it to log time.")


@transaction.atomic
def add_time_entries(
    *, project: Project, entries: list[EntryInput], actor: Actor
) -> list[TimeEntry]:
    """Log one or many entries (a week's rows) at once: all are stored, or none."""
    if not entries:
        raise DomainError("Add at least one time entry.")
    if len(entries) > MAX_ENTRIES_PER_CALL:
        raise DomainError(f"Add at most {MAX_ENTRIES_PER_CALL} entries at once.")
    project = lock_project(project)
    _check_open(project)
    members = _member_ids(project.organization)
    many = len(entries) > 1
    rows = [
        TimeEntry(
            organization=project.organization,
            project=project,
            created_by=actor.saved_user,
            **_clean_entry(
                data,
                project=project,
                members=members,
                actor=actor,
                row=f"Row {number}: " if many else "",
            ),
        )
        for number, data in enumerate(entries, 1)
    ]
    # SQLite (3.35+) and PostgreSQL both return the new ids from one INSERT.
    created = TimeEntry.objects.bulk_create(rows)
    record_activity(
        organization=project.organization,
        project=project,
        customer=project.customer,
        verb=Verb.TIME_LOGGED,
        actor=actor,
        details={
            "entries": [entry.pk for entry in created],
            "hours": plain_text(sum((entry.hours for entry in created), ZERO)),
        },
    )
    return created


def lock_entry(entry: TimeEntry) -> TimeEntry:
    return (
        TimeEntry.objects.select_for_update(of=("self",))
        .select_related("project__organization", "project__customer", "staff_member")
        .get(pk=entry.pk, organization_id=entry.organization_id)
    )


def entry_values(entry: TimeEntry) -> dict:
    return {
        "date": entry.date.isoformat(),
        "hours": plain_text(entry.hours),
        "description": entry.description,
        "billable": entry.billable,
        "rate": plain_text(entry.rate),
        "staff_member": entry.staff_member_id,
    }


@transaction.atomic
def update_time_entry(*, entry: TimeEntry, data: EntryInput, actor: Actor) -> TimeEntry:
    """Change a pending or rejected entry (a rejected one goes back to pending, to be sent
    for approval again). Approved, invoiced and waiting entries are locked (states.py)."""
    entry = lock_entry(entry)
    project = entry.project
    new_state = states.check(entry, "edit")
    before = entry_values(entry)
    cleaned = _clean_entry(
        data, project=project, members=_member_ids(project.organization), actor=actor, row=""
    )
    if data.staff_member is None:
        cleaned["staff_member"] = entry.staff_member  # unchanged unless named
    for name, value in cleaned.items():
        setattr(entry, name, value)
    after = entry_values(entry)
    changed = {
        name: {"from": before[name], "to": after[name]}
        for name in after
        if before[name] != after[name]
    }
    was_rejected = entry.state != new_state
    if not changed and not was_rejected:
        return entry
    entry.state = new_state
    entry.save()
    record_activity(
        organization=project.organization,
        project=project,
        customer=project.customer,
        verb=Verb.TIME_EDITED,
        actor=actor,
        details={"entry": entry.pk, "changed": changed, "reopened": was_rejected},
    )
    return entry


@transaction.atomic
def delete_time_entry(*, entry: TimeEntry, actor: Actor) -> None:
    entry = lock_entry(entry)
    states.check(entry, "delete")
    project = entry.project
    values = {"entry": entry.pk, **entry_values(entry), "state": entry.state}
    entry.delete()
    record_activity(
        organization=project.organization,
        project=project,
        customer=project.customer,
        verb=Verb.TIME_DELETED,
        actor=actor,
        details=values,
    )


def entry_amount(entry: TimeEntry, currency: str) -> Decimal:
    return round_money(entry.hours * entry.rate, currency)
