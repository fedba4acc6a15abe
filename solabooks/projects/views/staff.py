"""Staff pages for projects and time: list, create, edit, the project page (time entries,
totals, budget burn, approval requests), and the actions on it. All three roles."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views import View
from django.views.generic import TemplateView

from solabooks.activity.models import Activity
from solabooks.activity.services import Actor
from solabooks.core.errors import DomainError
from solabooks.core.paging import page_of
from solabooks.customers.models import Customer
from solabooks.tenancy.models import User
from solabooks.tenancy.permissions import StaffViewMixin

from .. import selectors, services, states
from ..forms import (
    ProjectFilterForm,
    ProjectForm,
    ShareForm,
    TimeRowFormSet,
)
from ..models import ApprovalRequest, EntryState, Project, ProjectStatus, TimeEntry

ENTRIES_PER_PAGE = 50
STATUS_ACTIONS = {
    "close": (ProjectStatus.COMPLETED, "Project closed."),
    "reopen": (ProjectStatus.ACTIVE, "Project reopened."),
    "hold": (ProjectStatus.ON_HOLD, "Project put on hold."),
}


def _customers(org):
    return Customer.objects.for_org(org).order_by("name", "id")


def members_of(org):
    return list(User.objects.filter(memberships__organization=org).order_by("full_name", "email"))


class ProjectMixin(StaffViewMixin):
    """A page about one project of the current business; any other business's project (or
    a made-up id) is a 404."""

    def get_project(self) -> Project:
        if not hasattr(self, "_project"):
            self._project = (
                Project.objects.for_org(self.org)
                .select_related("customer", "organization")
                .get_or_404(pk=self.kwargs["pk"])
            )
        return self._project

    def get_entry(self) -> TimeEntry:
        return (
            TimeEntry.objects.for_org(self.org)
            .filter(project=self.get_project())
            .select_related("staff_member")
            .get_or_404(pk=self.kwargs["entry_pk"])
        )

    def get_request(self) -> ApprovalRequest:
        return (
            ApprovalRequest.objects.for_org(self.org)
            .filter(project=self.get_project())
            .get_or_404(pk=self.kwargs["request_pk"])
        )

    def back(self) -> HttpResponse:
        return redirect("project-detail", pk=self.get_project().pk)


class ProjectListView(StaffViewMixin, TemplateView):
    template_name = "projects/project_list.html"

    def get_context_data(self, **kwargs) -> dict:
        customers = list(_customers(self.org))
        filters = ProjectFilterForm(self.request.GET, customers=customers)
        data = filters.cleaned_data if filters.is_valid() else {}
        customer = next((c for c in customers if c.pk == data.get("customer")), None)
        rows = selectors.projects(
            organization=self.org,
            customer=customer,
            status=data.get("status") or "",
            search=data.get("q") or "",
        )
        return super().get_context_data(
            filters=filters,
            page=page_of(self.request, rows),
            filtered=bool(data and any(data.values())),
            **kwargs,
        )


class ProjectCreateView(StaffViewMixin, TemplateView):
    template_name = "projects/project_form.html"

    def form(self, data=None) -> ProjectForm:
        initial = {"customer": self.request.GET.get("customer")}
        return ProjectForm(data, customers=_customers(self.org), initial=initial)

    def get_context_data(self, **kwargs) -> dict:
        kwargs.setdefault("form", self.form())
        return super().get_context_data(**kwargs)

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        form = self.form(request.POST)
        if form.is_valid():
            customer = (
                Customer.objects.for_org(self.org).filter(pk=form.cleaned_data["customer"]).first()
            )
            try:
                project = services.create_project(
                    organization=self.org,
                    customer=customer,
                    data=form.project_input(),
                    actor=Actor.staff(request),
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, f"Project {project.name} created.")
                return redirect("project-detail", pk=project.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ProjectEditView(ProjectMixin, TemplateView):
    template_name = "projects/project_form.html"

    def form(self, data=None) -> ProjectForm:
        project = self.get_project()
        initial = {name: getattr(project, name) for name in services.PROJECT_FIELDS}
        initial["customer"] = project.customer_id
        return ProjectForm(data, customers=_customers(self.org), initial=initial)

    def get_context_data(self, **kwargs) -> dict:
        kwargs.setdefault("form", self.form())
        return super().get_context_data(project=self.get_project(), **kwargs)

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        form = self.form(request.POST)
        if form.is_valid():
            customer = (
                Customer.objects.for_org(self.org).filter(pk=form.cleaned_data["customer"]).first()
            )
            try:
                project = services.update_project(
                    project=self.get_project(),
                    customer=customer,
                    data=form.project_input(),
                    actor=Actor.staff(request),
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, "Project saved.")
                return redirect("project-detail", pk=project.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ProjectStatusView(ProjectMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        action = STATUS_ACTIONS.get(request.POST.get("action", ""))
        if action is None:
            messages.error(request, "Choose close, reopen or put on hold.")
        else:
            services.set_project_status(
                project=self.get_project(), status=action[0], actor=Actor.staff(request)
            )
            messages.success(request, action[1])
        return self.back()


class ProjectDetailView(ProjectMixin, TemplateView):
    template_name = "projects/project_detail.html"

    def time_formset(self, data=None):
        # Each row comes filled with today and the signed-in member, as form_kwargs (not the
        # formset's initial, which would count the rows as existing ones that must validate).
        row_initial = {
            "date": self.org.today(),
            "staff_member": self.request.user.pk,
            "billable": True,
        }
        return TimeRowFormSet(
            data,
            form_kwargs={"members": members_of(self.org), "initial": row_initial},
            prefix="time",
        )

    def get_context_data(self, **kwargs) -> dict:
        project = self.get_project()
        state = self.request.GET.get("state", "")
        state = state if state in EntryState.values else ""
        page = page_of(
            self.request, selectors.entries(project, state=state), per_page=ENTRIES_PER_PAGE
        )
        for entry in page:
            entry.lock_reason = states.lock_reason(entry)
            entry.amount = services.entry_amount(entry, project.currency)
        totals = selectors.time_totals(project)
        requests = selectors.approval_requests(project)
        kwargs.setdefault("formset", self.time_formset())
        return super().get_context_data(
            project=project,
            currency=project.currency,
            page=page,
            state=state,
            states=EntryState.choices,
            totals=totals,
            burns=selectors.budget_burn(project, totals),
            approval_requests=requests,
            open_requests=[r for r in requests if r.is_open],
            invoices=list(selectors.project_invoices(project)),
            ready_to_send=TimeEntry.objects.for_org(self.org)
            .filter(states.allowed("submit"), project=project)
            .count(),
            ready_to_invoice=totals.get(EntryState.APPROVED).billable_hours,
            activity=Activity.objects.for_org(self.org)
            .filter(project=project)
            .select_related("document")[:10],
            share_form=ShareForm(),
            **kwargs,
        )


class TimeAddView(ProjectDetailView):
    """POST from the project page's time rows: every filled row stored, or none."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        formset = self.time_formset(request.POST)
        if formset.is_valid():
            try:
                created = services.add_time_entries(
                    project=self.get_project(),
                    entries=formset.entry_inputs(),
                    actor=Actor.staff(request),
                )
            except DomainError as error:
                messages.error(request, error.message)
            else:
                count = len(created)
                messages.success(
                    request, f"Logged {count} time entr{'y' if count == 1 else 'ies'}."
                )
                return self.back()
        return self.render_to_response(self.get_context_data(formset=formset), status=400)


class ProjectActivityView(ProjectMixin, TemplateView):
    template_name = "projects/project_activity.html"

    def get_context_data(self, **kwargs) -> dict:
        project = self.get_project()
        rows = Activity.objects.for_org(self.org).filter(project=project).select_related("document")
        return super().get_context_data(project=project, page=page_of(self.request, rows), **kwargs)
