"""Staff actions on a project's time: edit and delete entries, share the project, send
time for approval (and withdraw or take entries out), invoice the approved time."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views import View
from django.views.generic import TemplateView

from solabooks.activity.services import Actor
from solabooks.core.confirm import ask_first
from solabooks.core.errors import DomainError

from .. import approvals, invoicing, selectors, services, states
from ..confirmations import time_entry_delete_confirmation, withdraw_confirmation
from ..forms import InvoiceTimeForm, RequestApprovalForm, ShareForm, TimeEntryForm
from .staff import ProjectMixin, members_of


class TimeEditView(ProjectMixin, TemplateView):
    template_name = "projects/time_entry_form.html"

    def form(self, entry, data=None) -> TimeEntryForm:
        initial = {
            "date": entry.date,
            "staff_member": entry.staff_member_id,
            "hours": f"{entry.hours:f}",
            "description": entry.description,
            "billable": entry.billable,
            "rate": f"{entry.rate.normalize():f}",
        }
        return TimeEntryForm(data, members=members_of(self.org), initial=initial)

    def get_context_data(self, **kwargs) -> dict:
        entry = kwargs.pop("entry", None) or self.get_entry()
        kwargs.setdefault("form", self.form(entry))
        return super().get_context_data(
            project=self.get_project(), entry=entry, lock_reason=states.lock_reason(entry), **kwargs
        )

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        entry = self.get_entry()
        form = self.form(entry, request.POST)
        if form.is_valid():
            try:
                services.update_time_entry(
                    entry=entry, data=form.entry_input(), actor=Actor.staff(request)
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, "Time entry saved.")
                return self.back()
        return self.render_to_response(self.get_context_data(entry=entry, form=form), status=400)


class TimeDeleteView(ProjectMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        entry = self.get_entry()
        confirmation = time_entry_delete_confirmation(entry)
        if (asked := ask_first(request, confirmation, cancel_url=self.back().url)) is not None:
            return asked
        try:
            services.delete_time_entry(entry=entry, actor=Actor.staff(request))
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Time entry deleted.")
        return self.back()


class ProjectShareView(ProjectMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        form = ShareForm(request.POST)
        if not form.is_valid():
            messages.error(request, "The message is too long.")
            return self.back()
        try:
            sent = approvals.share_project(
                project=self.get_project(),
                actor=Actor.staff(request),
                message=form.cleaned_data["message"],
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Shared with {sent.sent_to}. The link expires in 24 hours.")
        return self.back()


class RequestApprovalView(ProjectMixin, TemplateView):
    """Pick the pending billable entries to send (all, by default) and send them."""

    template_name = "projects/request_approval.html"

    def candidates(self):
        project = self.get_project()
        return list(
            selectors.entries(project).filter(states.allowed("submit")).order_by("date", "id")[:500]
        )

    def get_context_data(self, **kwargs) -> dict:
        entries = self.candidates()
        kwargs.setdefault(
            "form",
            RequestApprovalForm(entries=entries, initial={"entries": [e.pk for e in entries]}),
        )
        project = self.get_project()
        for entry in entries:
            entry.amount = services.entry_amount(entry, project.currency)
        return super().get_context_data(
            project=project, entries=entries, currency=project.currency, **kwargs
        )

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        entries = self.candidates()
        form = RequestApprovalForm(request.POST, entries=entries)
        if form.is_valid():
            try:
                sent = approvals.request_time_approval(
                    project=self.get_project(),
                    actor=Actor.staff(request),
                    entry_ids=form.cleaned_data["entries"],
                    message=form.cleaned_data["message"],
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                count = sent.approval_request.items.count()
                messages.success(
                    request,
                    f"Sent {count} entr{'y' if count == 1 else 'ies'} to {sent.sent_to} for approval. "
                    "The link expires in 24 hours.",
                )
                return self.back()
        return self.render_to_response(self.get_context_data(form=form), status=400)


class WithdrawRequestView(ProjectMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        approval_request = self.get_request()
        confirmation = withdraw_confirmation(approval_request)
        if (asked := ask_first(request, confirmation, cancel_url=self.back().url)) is not None:
            return asked
        try:
            approvals.withdraw_approval_request(
                approval_request=approval_request, actor=Actor.staff(request)
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                "Request withdrawn: its link no longer works and its entries can be edited.",
            )
        return self.back()


class TakeOutView(ProjectMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            approvals.take_entry_out_of_request(
                approval_request=self.get_request(),
                entry=self.get_entry(),
                actor=Actor.staff(request),
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Entry taken out of the request; it can be edited now.")
        return self.back()


class InvoiceTimeView(ProjectMixin, TemplateView):
    template_name = "projects/invoice_time.html"

    def get_context_data(self, **kwargs) -> dict:
        project = self.get_project()
        entries = list(
            selectors.entries(project)
            .filter(states.allowed("invoice"))
            .order_by("date", "id")[:1000]
        )
        for entry in entries:
            entry.amount = services.entry_amount(entry, project.currency)
        kwargs.setdefault("form", InvoiceTimeForm())
        return super().get_context_data(
            project=project, entries=entries, currency=project.currency, **kwargs
        )

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        form = InvoiceTimeForm(request.POST)
        if form.is_valid():
            try:
                invoice = invoicing.invoice_approved_time(
                    project=self.get_project(),
                    grouping=form.cleaned_data["grouping"],
                    actor=Actor.staff(request),
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request, f"Draft invoice {invoice.number} created from the approved time."
                )
                return redirect("document-detail", pk=invoice.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)
