"""Reads for projects: lists, totals per state, budget burn, the month summary customers
see, related invoices. Each is a fixed number of queries, however many entries there are.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.paginator import Paginator
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from solabooks.core.money import ZERO, round_money
from solabooks.documents.models import Document

from . import customer_decisions
from .models import (
    ApprovalItem,
    ApprovalRequest,
    EntryState,
    ItemDecision,
    Project,
    RequestState,
    TimeEntry,
)

AMBER_AT = Decimal("80")
# hours × rate, computed in the database (rounded to the currency's minor unit after).
AMOUNT = ExpressionWrapper(
    F("hours") * F("rate"), output_field=DecimalField(max_digits=24, decimal_places=5)
)


def projects(
    *, organization, customer=None, status: str = "", search: str = ""
) -> QuerySet[Project]:
    rows = Project.objects.for_org(organization).select_related("customer")
    if customer is not None:
        rows = rows.filter(customer=customer)
    if status:
        rows = rows.filter(status=status)
    if search:
        rows = rows.filter(name__icontains=search)
    return rows.order_by("name", "id")


@dataclass
class StateTotal:
    hours: Decimal = ZERO
    billable_hours: Decimal = ZERO
    amount: Decimal = ZERO
    count: int = 0


@dataclass
class Totals:
    currency: str
    by_state: dict[str, StateTotal] = field(default_factory=dict)

    # Not __getitem__: templates try item lookup first, and would find "rows" there.
    def get(self, state: str) -> StateTotal:
        return self.by_state.get(state, StateTotal())

    @property
    def rows(self) -> list[tuple[str, StateTotal]]:
        return [(label, self.get(value)) for value, label in EntryState.choices]

    @property
    def used_hours(self) -> Decimal:
        """Budget burn counts all time except what the customer rejected."""
        return sum(
            (total.hours for state, total in self.by_state.items() if state != "rejected"), ZERO
        )

    @property
    def used_amount(self) -> Decimal:
        return sum(
            (total.amount for state, total in self.by_state.items() if state != "rejected"), ZERO
        )


def time_totals(project: Project) -> Totals:
    """Hours, billable hours and amounts (billable only) per state: one query."""
    totals = Totals(currency=project.currency)
    rows = (
        TimeEntry.objects.for_org(project.organization)
        .filter(project=project)
        .values("state", "billable")
        .annotate(total_hours=Sum("hours"), total_amount=Sum(AMOUNT), count=Count("id"))
        .order_by()
    )
    for row in rows:
        add_totals_row(totals, row)
    return totals


def add_totals_row(totals: Totals, row: dict) -> None:
    """One (state, billable) group of time_totals' query into `totals`; shared with lists
    that total many projects in one query (the portal's Projects page)."""
    total = totals.by_state.setdefault(row["state"], StateTotal())
    total.hours += row["total_hours"]
    total.count += row["count"]
    if row["billable"]:
        total.billable_hours += row["total_hours"]
        total.amount += round_money(row["total_amount"], totals.currency)


@dataclass(frozen=True)
class Burn:
    label: str
    used: Decimal
    budget: Decimal
    unit: str  # "h" or a currency code

    @property
    def percent(self) -> Decimal:
        return (self.used * 100 / self.budget).quantize(Decimal("1"))

    @property
    def bar_percent(self) -> int:
        return int(min(self.percent, Decimal(100)))

    @property
    def level(self) -> str:
        """ok below 80 %, warning from 80 % to 100 %, over past 100 %."""
        if self.used > self.budget:
            return "over"
        if self.percent >= AMBER_AT:
            return "warning"
        return "ok"


def budget_burn(project: Project, totals: Totals) -> list[Burn]:
    burns = []
    if project.budget_hours:
        burns.append(Burn("Hours", totals.used_hours, project.budget_hours, "h"))
    if project.budget_amount:
        burns.append(Burn("Amount", totals.used_amount, project.budget_amount, project.currency))
    return burns


def month_summary(project: Project) -> list[dict]:
    """Hours (and billable amounts) per month and state, newest month first: one query."""
    rows = (
        TimeEntry.objects.for_org(project.organization)
        .filter(project=project)
        .annotate(month=TruncMonth("date"))
        .values("month", "state")
        .annotate(total_hours=Sum("hours"), total_amount=Sum(AMOUNT, filter=Q(billable=True)))
        .order_by("-month")
    )
    months: dict = {}
    for row in rows:
        month = months.setdefault(
            row["month"], {"month": row["month"], "hours": ZERO, "amount": ZERO, "states": {}}
        )
        amount = round_money(row["total_amount"] or ZERO, project.currency)
        month["hours"] += row["total_hours"]
        month["amount"] += amount
        month["states"][row["state"]] = row["total_hours"]
    return list(months.values())


def entries(project: Project, *, state: str = "") -> QuerySet[TimeEntry]:
    rows = (
        TimeEntry.objects.for_org(project.organization)
        .filter(project=project)
        .select_related("staff_member", "invoice")
        .order_by("-date", "-id")
    )
    if state:
        rows = rows.filter(state=state)
    return rows


def project_invoices(project: Project) -> QuerySet[Document]:
    """The invoices made from the project's time (a voided one released its time, and
    leaves the list)."""
    invoice_ids = (
        TimeEntry.objects.for_org(project.organization)
        .filter(project=project, invoice__isnull=False)
        .values("invoice_id")
    )
    return (
        Document.objects.for_org(project.organization)
        .filter(pk__in=invoice_ids)
        .order_by("-issue_date", "-id")
    )


def approval_requests(project: Project) -> list[ApprovalRequest]:
    """The project's requests, newest first, each with its items: two queries."""
    requests = list(
        ApprovalRequest.objects.for_org(project.organization)
        .filter(project=project)
        .select_related("created_by")
        .order_by("-created_at", "-id")
    )
    items = (
        ApprovalItem.objects.for_org(project.organization)
        .filter(request__in=[request.pk for request in requests])
        .order_by("date", "id")
    )
    by_request: dict[int, list[ApprovalItem]] = {}
    for item in items:
        by_request.setdefault(item.request_id, []).append(item)
    for request in requests:
        request.item_list = by_request.get(request.pk, [])
        request.pending_count = sum(
            1 for item in request.item_list if item.decision == ItemDecision.PENDING
        )
    return requests


def open_requests_for_customer(customer) -> QuerySet[ApprovalRequest]:
    """Requests waiting for a customer, in projects the business shows in the portal."""
    return (
        ApprovalRequest.objects.for_customer(customer)
        .filter(state=RequestState.OPEN, project__customer=customer, project__portal_visible=True)
        .select_related("project")
        .order_by("-created_at")
    )


def request_items(approval_request: ApprovalRequest) -> list[ApprovalItem]:
    return list(approval_request.items.order_by("date", "id"))


# --- What the customer sees (link pages and portal) --------------------------------------

CUSTOMER_ENTRIES_PER_PAGE = 50


def customer_project_context(project: Project, *, page: int = 1) -> dict:
    """The project as its customer sees it, in the visibility the business chose: a fixed
    number of queries, the entries paged."""
    totals = time_totals(project)
    context = {
        "project": project,
        "currency": project.currency,
        "totals": totals,
        "burns": budget_burn(project, totals),
        "months": month_summary(project),
        # Drafts are the business's own work in progress. An invoice made from this time
        # but since re-assigned to another customer is theirs now, not this customer's.
        "invoices": list(
            project_invoices(project).filter(customer_id=project.customer_id).exclude(state="draft")
        ),
        "show_rates": project.show_rates,
        "show_staff": project.show_staff,
        "show_entries": project.show_entries,
    }
    if project.show_entries:
        paginator = Paginator(entries(project), CUSTOMER_ENTRIES_PER_PAGE)
        context["entries_page"] = paginator.get_page(page)
    return context


def customer_request_context(approval_request: ApprovalRequest, *, form=None) -> dict:
    """An approval request as the customer decides on it."""

    project = approval_request.project
    items = request_items(approval_request)
    visible = [item for item in items if item.decision != ItemDecision.REMOVED]
    pending = [item for item in visible if item.decision == ItemDecision.PENDING]
    for item in visible:
        item.chosen = form.choice_for(item.pk) if form is not None else ""
        item.typed_comment = form.comment_for(item.pk) if form is not None else ""
    return {
        "project": project,
        "approval_request": approval_request,
        "items": visible,
        "pending": pending,
        "currency": project.currency,
        "show_rates": project.show_rates,
        "show_staff": project.show_staff,
        "total_hours": sum((item.hours for item in visible), ZERO),
        "total_amount": sum((item.amount for item in visible), ZERO),
        "pending_hours": sum((item.hours for item in pending), ZERO),
        "shown": customer_decisions.request_fingerprint(approval_request, items),
        "form": form,
        "can_decide": approval_request.is_open and bool(pending),
    }
