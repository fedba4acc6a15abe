"""The projects and time part of the staff API (/finance/api/v1/projects/…). Like views.py:
each view parses with a serializer, calls one service or selector of solabooks.projects,
and answers with an output serializer; what may happen to an entry is states.py's rule.

Every project is read through `Project.objects.for_org(self.organization)`, and entries
within that project, so another business's ids (or another project's entry) are a 404
like ids that do not exist. Sharing, approval requests and invoicing are in
project_actions.py.

A locked entry answers 409 (errors.CONFLICT_CODES): the request is well formed, the entry
is not in a state that allows it.
"""

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from solabooks.activity.models import Activity
from solabooks.core.money import format_money
from solabooks.projects import selectors, services
from solabooks.projects.hours import format_hours
from solabooks.projects.models import EntryState, Project, TimeEntry
from solabooks.projects.services import EntryInput, ProjectInput

from .. import project_serializers as ps
from .. import serializers as s
from ..base import ApiView
from ..schema import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, errors

PROJECTS, TIME = "Projects", "Time entries"
LOCKED_409 = OpenApiResponse(
    s.ErrorSerializer,
    description="The entry is locked (`error.code` `locked`): approved, invoiced, or waiting "
    "in an open approval request; `error.message` says why and what would unlock it.",
)


def scoped_project(view: ApiView, pk: int) -> Project:
    return (
        Project.objects.for_org(view.organization)
        .select_related("customer", "organization")
        .get_or_404(pk=pk)
    )


def _entry(view: ApiView, project: Project, entry_id: int) -> TimeEntry:
    entry = (
        TimeEntry.objects.for_org(view.organization)
        .filter(project=project)
        .select_related("staff_member")
        .get_or_404(pk=entry_id)
    )
    entry.project = project  # the answer's currency, without another query
    return entry


def _amount_or_hours(value, unit: str, currency: str) -> str:
    return format_hours(value) if unit == "h" else format_money(value, currency)


def _detail(project: Project, code: int = status.HTTP_200_OK) -> Response:
    """The project with its totals per state and budget burn (one query for both)."""
    totals = selectors.time_totals(project)
    currency = project.currency
    project.totals = [
        {
            "state": state,
            "count": totals.get(state).count,
            "hours": totals.get(state).hours,
            "billable_hours": totals.get(state).billable_hours,
            "amount": totals.get(state).amount,
            "currency": currency,
        }
        for state in EntryState.values
    ]
    project.budget = [
        {
            "kind": "hours" if burn.unit == "h" else "amount",
            "used": _amount_or_hours(burn.used, burn.unit, currency),
            "budget": _amount_or_hours(burn.budget, burn.unit, currency),
            "percent": int(burn.percent),
            "level": burn.level,
        }
        for burn in selectors.budget_burn(project, totals)
    ]
    return Response(ps.ProjectDetailOutSerializer(project).data, status=code)


def _project_input(project: Project | None, data: dict[str, Any]) -> ProjectInput:
    # Fields left out keep the project's value (PATCH) or take ProjectInput's default.
    values = {} if project is None else {f: getattr(project, f) for f in services.PROJECT_FIELDS}
    values.update({f: data[f] for f in services.PROJECT_FIELDS if f in data})
    return ProjectInput(**values)


# --- Projects ----------------------------------------------------------------------------


class ProjectListView(ApiView):
    @extend_schema(
        operation_id="projects_list",
        summary="List projects",
        tags=[PROJECTS],
        parameters=[ps.ProjectFilterSerializer],
        responses={200: ps.ProjectOutSerializer(many=True), **errors(*LIST_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        query = self.parse_query(ps.ProjectFilterSerializer)
        projects = selectors.projects(
            organization=self.organization,
            customer=query.get("customer"),
            status=query.get("status", ""),
            search=query.get("q", ""),
        )
        return self.paginated(projects, ps.ProjectOutSerializer)

    @extend_schema(
        operation_id="projects_create",
        summary="Create a project",
        description="Budgets and rates are in the customer's currency.",
        tags=[PROJECTS],
        request=ps.ProjectInSerializer,
        responses={201: ps.ProjectDetailOutSerializer, **errors(*WRITE_ERRORS)},
    )
    def post(self, request: Request) -> Response:
        data = self.parse(ps.ProjectInSerializer)
        project = services.create_project(
            organization=self.organization,
            customer=data["customer"],
            data=_project_input(None, data),
            actor=self.actor(),
        )
        return _detail(project, status.HTTP_201_CREATED)


class ProjectDetailView(ApiView):
    @extend_schema(
        operation_id="projects_read",
        summary="Read a project with its time totals and budget burn",
        tags=[PROJECTS],
        responses={200: ps.ProjectDetailOutSerializer, **errors(*READ_ERRORS)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return _detail(scoped_project(self, pk))

    @extend_schema(
        operation_id="projects_partial_update",
        summary="Change some of a project's details",
        description="Only the fields to change. `status` closes (completed), puts on hold or "
        "reopens (active) the project. A new `customer` moves the project: its open approval "
        "requests are withdrawn and the old customer's links stop working; a project with "
        "invoiced time cannot move.",
        tags=[PROJECTS],
        request=ps.ProjectInSerializer,
        responses={200: ps.ProjectDetailOutSerializer, **errors(*READ_ERRORS, *WRITE_ERRORS)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        project = scoped_project(self, pk)
        data = self.parse(ps.ProjectInSerializer, partial=True)
        updated = services.update_project(
            project=project,
            data=_project_input(project, data),
            customer=data.get("customer"),
            actor=self.actor(),
        )
        return _detail(updated)


# --- Time entries ------------------------------------------------------------------------


class TimeEntryListView(ApiView):
    @extend_schema(
        operation_id="projects_time_entries_list",
        summary="List a project's time entries, newest first",
        tags=[TIME],
        parameters=[ps.EntryFilterSerializer],
        responses={200: ps.TimeEntryOutSerializer(many=True), **errors(*LIST_ERRORS)},
    )
    def get(self, request: Request, pk: int) -> Response:
        project = scoped_project(self, pk)
        query = self.parse_query(ps.EntryFilterSerializer)
        page = self.paginate_queryset(selectors.entries(project, state=query.get("state", "")))
        for entry in page:
            entry.project = project
        return self.get_paginated_response(ps.TimeEntryOutSerializer(page, many=True).data)

    @extend_schema(
        operation_id="projects_time_entries_create",
        summary="Log time: one entry or many in one call",
        description='The body is always `{"entries": [...]}`, with 1 to '
        f"{services.MAX_ENTRIES_PER_CALL} entries (a week's rows, say): every entry is stored, "
        "or none (a 400 names the bad row, as `entries.2.hours` or `Row 3: …`). Hours are "
        'JSON strings: "1.5" or "1:30", more than 0 and at most 24, in steps of 0.01. A '
        "completed project takes no time (reopen it first).",
        tags=[TIME],
        request=ps.TimeEntriesInSerializer,
        responses={201: ps.TimeEntriesOutSerializer, **errors(*READ_ERRORS, *WRITE_ERRORS)},
    )
    def post(self, request: Request, pk: int) -> Response:
        project = scoped_project(self, pk)
        data = self.parse(ps.TimeEntriesInSerializer)
        created = services.add_time_entries(
            project=project,
            entries=[
                EntryInput(
                    date=row["date"],
                    hours=row["hours"],
                    description=row["description"],
                    billable=row["billable"],
                    rate=row.get("rate"),
                    staff_member=row.get("staff_member"),
                )
                for row in data["entries"]
            ],
            actor=self.actor(),
        )
        body = ps.TimeEntriesOutSerializer({"entries": created}).data
        return Response(body, status=status.HTTP_201_CREATED)


class TimeEntryDetailView(ApiView):
    @extend_schema(
        operation_id="projects_time_entries_partial_update",
        summary="Change a time entry",
        description="Only the fields to change. Pending and rejected entries can change (a "
        "rejected one goes back to pending, to be sent for approval again); approved, "
        "invoiced and waiting entries are locked: 409, and nothing changes. A `rate` of null "
        "takes the project's default rate.",
        tags=[TIME],
        request=ps.TimeEntryPatchInSerializer,
        responses={
            200: ps.TimeEntryOutSerializer,
            409: LOCKED_409,
            **errors(*READ_ERRORS, *WRITE_ERRORS),
        },
    )
    def patch(self, request: Request, pk: int, entry_id: int) -> Response:
        entry = _entry(self, scoped_project(self, pk), entry_id)
        data = self.parse(ps.TimeEntryPatchInSerializer, partial=True)
        updated = services.update_time_entry(
            entry=entry,
            data=EntryInput(
                date=data.get("date", entry.date),
                hours=data.get("hours", entry.hours),
                description=data.get("description", entry.description),
                billable=data.get("billable", entry.billable),
                rate=data.get("rate", entry.rate),
                staff_member=data.get("staff_member"),
            ),
            actor=self.actor(),
        )
        return Response(ps.TimeEntryOutSerializer(updated).data)

    @extend_schema(
        operation_id="projects_time_entries_delete",
        summary="Delete a time entry",
        description="Pending and rejected entries only; a locked entry answers 409 and stays.",
        tags=[TIME],
        request=None,
        responses={204: None, 409: LOCKED_409, **errors(413, *READ_ERRORS)},
    )
    def delete(self, request: Request, pk: int, entry_id: int) -> Response:
        entry = _entry(self, scoped_project(self, pk), entry_id)
        services.delete_time_entry(entry=entry, actor=self.actor())
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProjectActivityView(ApiView):
    @extend_schema(
        operation_id="projects_activity",
        summary="A project's activity, newest first",
        description="Time logged, changed and deleted, links sent and opened, approval "
        "requests and the customer's decisions (with IP and user agent), invoicing.",
        tags=["Activity"],
        responses={200: s.ActivityOutSerializer(many=True), **errors(*LIST_ERRORS)},
    )
    def get(self, request: Request, pk: int) -> Response:
        project = scoped_project(self, pk)
        activity = (
            Activity.objects.for_org(self.organization)
            .filter(project=project)
            .select_related("document")
        )
        return self.paginated(activity, s.ActivityOutSerializer)
