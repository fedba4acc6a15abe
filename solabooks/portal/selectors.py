"""Reads for portal pages. Every one takes the customer as its scope and reads through
`for_customer(customer)` (time entries, which name no customer, only of projects read so);
a customer never sees drafts (they were never sent to them), nor a project the business
does not show in the portal."""

import datetime

from django.db.models import Count, QuerySet, Sum

from solabooks.activity.models import Activity, Verb
from solabooks.documents.models import (
    STATES_BY_KIND,
    Document,
    Kind,
    Payment,
    State,
)
from solabooks.documents.overdue import OVERDUE, customer_state_choices, overdue_on
from solabooks.projects.models import ApprovalRequest, Project, TimeEntry
from solabooks.projects.selectors import (
    AMOUNT,
    Totals,
    add_totals_row,
    budget_burn,
    open_requests_for_customer,
)

PAGE_SIZE = 25

# Portal list pages: kind -> (title, url name).
LIST_PAGES = {
    Kind.INVOICE: ("Invoices", "portal-invoices"),
    Kind.QUOTE: ("Quotes", "portal-quotes"),
    Kind.SALES_ORDER: ("Orders", "portal-orders"),
    # Reached from the Invoices page (and its nav item): each cancels one of the invoices.
    Kind.CREDIT_NOTE: ("Credit notes", "portal-credit-notes"),
}

# What a customer may read in "recent activity": what happened to their documents, never
# who on the staff did what, from where.
CUSTOMER_VISIBLE_VERBS = (
    Verb.SENT,
    Verb.STATE_CHANGED,
    Verb.VOIDED,
    Verb.QUOTE_ACCEPTED,
    Verb.QUOTE_DECLINED,
    Verb.PAYMENT_RECORDED,
    Verb.RECEIPT_ISSUED,
    Verb.CREDIT_NOTE_ISSUED,
)


def customer_states(kind: str) -> list[State]:
    return [state for state in STATES_BY_KIND[kind] if state != State.DRAFT]


def customer_status_choices(kind: str) -> list[tuple[str, str]]:
    """The Status filter in the customer's words ("Due", "Paid"…), Overdue for invoices."""
    choices = customer_state_choices(kind, customer_states(kind))
    if kind == Kind.INVOICE:
        choices.insert(1, (OVERDUE, "Overdue"))
    return choices


def customer_documents(*, customer) -> QuerySet[Document]:
    return Document.objects.for_customer(customer).exclude(state=State.DRAFT)


def document_list(
    *, customer, kind: str, state: str = "", today: datetime.date | None = None
) -> QuerySet[Document]:
    """One kind's documents: one query per page whatever the count (no related rows).
    `state` OVERDUE: open invoices due before `today` (the business's)."""
    documents = customer_documents(customer=customer).filter(kind=kind)
    if state == OVERDUE:
        documents = documents.filter(overdue_on(today))
    elif state:
        documents = documents.filter(state=state)
    return documents


def document_detail(*, customer, pk) -> Document:
    return (
        customer_documents(customer=customer)
        .select_related("customer", "organization", "source_document")
        .prefetch_related("lines")
        .get_or_404(pk=pk)
    )


def credit_note_of(*, customer, invoice: Document) -> Document | None:
    """The customer's credit note that cancels `invoice`, if there is one."""
    if invoice.kind != Kind.INVOICE:
        return None
    return (
        customer_documents(customer=customer)
        .filter(kind=Kind.CREDIT_NOTE, source_document=invoice)
        .first()
    )


def payment_list(*, customer, method: str = "") -> QuerySet[Payment]:
    payments = (
        Payment.objects.for_customer(customer)
        .select_related("receipt")
        .annotate(allocated=Sum("allocations__amount"))
        .order_by("-date", "-id")  # an aggregate drops Meta.ordering; pages need an order
    )
    if method:
        payments = payments.filter(method=method)
    return payments


def payment_detail(*, customer, pk) -> Payment:
    payment = Payment.objects.for_customer(customer).select_related("receipt").get_or_404(pk=pk)
    # Allocations go only to this customer's invoices (record_payment checks it); the filter
    # keeps that true here even if it ever were not.
    payment.portal_allocations = list(
        payment.allocations.filter(
            invoice__customer=customer, invoice__organization_id=customer.organization_id
        )
        .select_related("invoice")
        .order_by("invoice__sequence")
    )
    return payment


def recent_activity(*, customer, limit: int = 10) -> list[Activity]:
    """What recently happened to the customer's (non-draft, still theirs) documents."""
    return list(
        Activity.objects.for_customer(customer)
        .filter(verb__in=CUSTOMER_VISIBLE_VERBS, document__customer=customer)
        .exclude(document__state=State.DRAFT)
        .select_related("document")
        .only(
            "id",
            "verb",
            "details",
            "created_at",
            "document__id",
            "document__number",
            "document__kind",
            "document__state",
            "document__currency",
        )[:limit]
    )


# --- Projects: only those the business shows in the portal ---------------------------------


def portal_projects(*, customer) -> QuerySet[Project]:
    return Project.objects.for_customer(customer).filter(portal_visible=True).order_by("name", "id")


def project_detail(*, customer, organization, pk) -> Project:
    project = portal_projects(customer=customer).get_or_404(pk=pk)
    # The rows the scope just matched: the project's selectors read them without a query.
    project.customer, project.organization = customer, organization
    return project


def add_project_summaries(projects: list[Project], *, customer, organization) -> None:
    """Time totals, budget burn and the open approval requests of each project on a list
    page: two queries for the page, however many projects and entries."""
    by_pk = {project.pk: project for project in projects}
    for project in projects:
        project.customer, project.organization = customer, organization
        project.totals = Totals(currency=project.currency)
        project.open_requests = []
    if not by_pk:
        return
    rows = (
        TimeEntry.objects.for_org(organization)
        .filter(project_id__in=by_pk)
        .values("project_id", "state", "billable")
        .annotate(total_hours=Sum("hours"), total_amount=Sum(AMOUNT), count=Count("id"))
        .order_by()
    )
    for row in rows:
        add_totals_row(by_pk[row["project_id"]].totals, row)
    for approval_request in open_requests_for_customer(customer).filter(project_id__in=by_pk):
        by_pk[approval_request.project_id].open_requests.append(approval_request)
    for project in projects:
        project.burns = budget_burn(project, project.totals)


def open_approval_requests(*, customer, project: Project | None = None) -> list[ApprovalRequest]:
    """Requests waiting for this customer's decision, in projects shown in the portal."""
    requests = open_requests_for_customer(customer)
    if project is not None:
        requests = requests.filter(project=project)
    return list(requests)


def approval_request_detail(*, customer, organization, pk) -> ApprovalRequest:
    """One of this customer's approval requests (open or not), in a project that is still
    theirs and shown in the portal; anything else is the ordinary 404."""
    approval_request = (
        ApprovalRequest.objects.for_customer(customer)
        .filter(project__customer=customer, project__portal_visible=True)
        .select_related("project")
        .get_or_404(pk=pk)
    )
    approval_request.project.customer = customer
    approval_request.project.organization = organization
    approval_request.organization = organization
    return approval_request
