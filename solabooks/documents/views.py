"""Staff pages for documents and payments. Thin on purpose: parse the input with a form,
call a service, and turn a DomainError into a message; every read is scoped to self.org."""

import datetime

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from solabooks.activity.services import Actor
from solabooks.core.confirm import ask_first
from solabooks.core.errors import DomainError
from solabooks.core.money import CURRENCY_MINOR_UNITS
from solabooks.core.paging import page_of
from solabooks.core.sorting import SORT_PARAM, sort_request
from solabooks.pdf.services import pdf_response
from solabooks.tenancy.permissions import StaffViewMixin

from . import payments, selectors, services, states
from .confirmations import reassign_confirmation, transition_confirmation
from .editor_totals import editor_totals
from .forms import (
    ConvertForm,
    DocumentFilterForm,
    DocumentForm,
    LineFormSet,
    PaymentCustomerForm,
    PaymentFilterForm,
    PaymentForm,
    ReassignForm,
    line_initial,
)
from .models import Document, Kind, Payment

# The document page shows this many activity rows (newest first) and the total count.
ACTIVITY_SHOWN = 50
LINES_PREFIX = "lines"


def _kind_or_404(kind: str) -> Kind:
    if kind not in Kind.values:
        raise Http404("Unknown document kind.")
    return Kind(kind)


def filter_params(request: HttpRequest):
    """The list's filters from the query string, or None when there are none: the sort
    order and the page are not filters (a sorted list is not "filtered")."""
    params = request.GET.copy()
    for name in (SORT_PARAM, "page"):
        params.pop(name, None)
    return params or None


class DocumentListView(StaffViewMixin, View):
    def get(self, request: HttpRequest, kind: str) -> HttpResponse:
        kind = _kind_or_404(kind)
        form = DocumentFilterForm(filter_params(request), organization=self.org, kind=kind)
        filters = form.filters()
        documents = selectors.document_list(organization=self.org, kind=kind, **(filters or {}))
        if filters is None:  # a filter we cannot apply must not widen the list
            documents = documents.none()
        documents, sorting = sort_request(request, documents, selectors.DOCUMENT_SORT_KEYS)
        return render(
            request,
            "documents/document_list.html",
            {"kind": kind, "form": form, "page": page_of(request, documents), "sorting": sorting},
        )


class DocumentFormMixin:
    """Shared by create and edit: render the document form with its lines formset."""

    template_name = "documents/document_form.html"

    def render_form(self, form, formset, *, kind: Kind, document: Document | None = None):
        currency = document.currency if document else form.editor_currency(self.org)
        totals = editor_totals(formset, currency)
        context = {
            "form": form,
            "formset": formset,
            "kind": kind,
            "document": document,
            "totals": totals,
            "line_rows": list(zip(formset.forms, totals.lines, strict=True)),
            "minor_units": CURRENCY_MINOR_UNITS,
        }
        return render(self.request, self.template_name, context)


# Kinds another action makes, never this form: where the staff member goes instead, and why.
MADE_ELSEWHERE = {
    Kind.RECEIPT: (
        ("payment-list",),
        "Receipts are issued from payments: record the payment and tick “Issue a receipt”, "
        "or open a payment and issue one.",
    ),
    Kind.CREDIT_NOTE: (
        ("document-list", Kind.INVOICE),
        "Credit notes are issued by voiding a sent invoice: open the invoice and choose "
        "“Void”. They cannot be created on their own.",
    ),
}


class DocumentCreateView(StaffViewMixin, DocumentFormMixin, View):
    def _made_elsewhere(self, kind: Kind) -> HttpResponse | None:
        if kind not in MADE_ELSEWHERE:
            return None
        target, message = MADE_ELSEWHERE[kind]
        messages.info(self.request, message)
        return redirect(*target)

    def get(self, request: HttpRequest, kind: str) -> HttpResponse:
        kind = _kind_or_404(kind)
        if (elsewhere := self._made_elsewhere(kind)) is not None:
            return elsewhere
        today = self.org.today()
        # ?customer=<id> preselects; an id that is not one of this business's customers
        # matches no option of the scoped select, so it preselects nothing.
        initial = {"issue_date": today, "customer": request.GET.get("customer")}
        if kind == Kind.INVOICE:
            initial["due_date"] = today + datetime.timedelta(days=self.org.payment_terms_days)
        if kind == Kind.QUOTE:
            initial["valid_until"] = today + datetime.timedelta(days=30)
        form = DocumentForm(organization=self.org, kind=kind, initial=initial)
        return self.render_form(form, LineFormSet(prefix=LINES_PREFIX), kind=kind)

    def post(self, request: HttpRequest, kind: str) -> HttpResponse:
        kind = _kind_or_404(kind)
        if (elsewhere := self._made_elsewhere(kind)) is not None:
            return elsewhere
        form = DocumentForm(request.POST, organization=self.org, kind=kind)
        formset = LineFormSet(request.POST, prefix=LINES_PREFIX)
        if form.is_valid() and formset.is_valid():
            data = form.cleaned_data
            try:
                document = services.create_document(
                    organization=self.org,
                    kind=kind,
                    customer=data["customer"],
                    actor=Actor.staff(request),
                    lines=formset.line_inputs(),
                    issue_date=data["issue_date"],
                    due_date=data.get("due_date"),
                    valid_until=data.get("valid_until"),
                    currency=data["currency"] or None,
                    notes=data["notes"],
                    terms=data["terms"],
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, f"{document.number} created.")
                return redirect("document-detail", pk=document.pk)
        return self.render_form(form, formset, kind=kind)


class DocumentEditView(StaffViewMixin, DocumentFormMixin, View):
    def _document_or_redirect(self, pk: int) -> Document | HttpResponse:
        document = selectors.document_with_lines(organization=self.org, pk=pk)
        if not document.is_editable:
            messages.error(
                self.request,
                f"{document.number} is {document.get_state_display().lower()} and can no "
                "longer be edited.",
            )
            return redirect("document-detail", pk=document.pk)
        return document

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        document = self._document_or_redirect(pk)
        if isinstance(document, HttpResponse):
            return document
        form = DocumentForm(
            organization=self.org,
            kind=document.kind,
            document=document,
            initial={
                "issue_date": document.issue_date,
                "due_date": document.due_date,
                "valid_until": document.valid_until,
                "notes": document.notes,
                "terms": document.terms,
            },
        )
        formset = LineFormSet(prefix=LINES_PREFIX, initial=line_initial(document))
        return self.render_form(form, formset, kind=document.kind, document=document)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        document = self._document_or_redirect(pk)
        if isinstance(document, HttpResponse):
            return document
        form = DocumentForm(
            request.POST, organization=self.org, kind=document.kind, document=document
        )
        formset = LineFormSet(request.POST, prefix=LINES_PREFIX)
        if form.is_valid() and formset.is_valid():
            data = form.cleaned_data
            try:
                services.update_document(
                    document=document,
                    actor=Actor.staff(request),
                    lines=formset.line_inputs(),
                    issue_date=data["issue_date"],
                    due_date=data.get("due_date"),
                    valid_until=data.get("valid_until"),
                    notes=data["notes"],
                    terms=data["terms"],
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, f"{document.number} saved.")
                return redirect("document-detail", pk=document.pk)
        return self.render_form(form, formset, kind=document.kind, document=document)


class DocumentDetailView(StaffViewMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        document = selectors.document_with_lines(organization=self.org, pk=pk)
        activity = selectors.document_activity(document=document)
        derived = list(document.derived_documents.order_by("kind", "sequence"))
        converted_kinds = {d.kind for d in derived}
        # A receipt stays with its payment's customer, a credit note and the invoice it
        # cancels with theirs (services.reassign_document refuses them too).
        can_reassign = (
            document.kind not in (Kind.RECEIPT, Kind.CREDIT_NOTE)
            and Kind.CREDIT_NOTE not in converted_kinds
            and document.amount_paid == 0
        )
        context = {
            "document": document,
            "organization": self.org,
            "lines": document.lines.all(),  # prefetched by the selector
            # (action, label, what its dialog says first or None)
            "actions": [
                (action, label, transition_confirmation(document, action))
                for action, label in states.available_actions(document)
            ],
            "void_credits": states.can(document, "void")
            and states.issues_credit_note(document.kind, "void", document.state),
            "reassign_confirmation": reassign_confirmation(document) if can_reassign else None,
            "activity": activity[:ACTIVITY_SHOWN],
            "activity_count": activity.count(),
            "activity_shown": ACTIVITY_SHOWN,
            "derived_documents": derived,
            **selectors.quote_decision(document=document),
            "allocations": (
                list(selectors.invoice_allocations(invoice=document)) if document.is_invoice else []
            ),
            "reassign_form": (
                ReassignForm(organization=self.org, document=document) if can_reassign else None
            ),
            "convert_choices": (
                [
                    (kind.value, kind.label)
                    for kind in (Kind.INVOICE, Kind.SALES_ORDER)
                    if kind not in converted_kinds
                ]
                if states.can(document, "convert")
                else []
            ),
        }
        return render(request, "documents/document_detail.html", context)


class DocumentPdfView(StaffViewMixin, View):
    """The document's PDF for staff: from the private storage's cache (pdf app), streamed
    only after the membership and business scoping of every staff page. The same file the
    customer downloads; `inline` (Print) opens it in the browser's viewer, whose Print
    prints the document as the customer gets it, rather than the staff page around it."""

    inline = False

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        document = selectors.document_with_lines(organization=self.org, pk=pk)
        return pdf_response(document=document, inline=self.inline)


class DocumentActivityView(StaffViewMixin, View):
    """Every event of a document, newest first, a page at a time (the document page shows
    the latest ACTIVITY_SHOWN)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        document = selectors.scoped_document(organization=self.org, pk=pk)
        page = page_of(request, selectors.document_activity(document=document))
        return render(
            request, "documents/document_activity.html", {"document": document, "page": page}
        )


class DocumentTransitionView(StaffViewMixin, View):
    """POST action=<name>: one of states.available_actions for the document."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        document = Document.objects.for_org(self.org).select_related("customer").get_or_404(pk=pk)
        action = request.POST.get("action", "")[:40]
        confirmation = transition_confirmation(document, action)
        if confirmation is not None:
            cancel_url = reverse("document-detail", args=[document.pk])
            if (asked := ask_first(request, confirmation, cancel_url=cancel_url)) is not None:
                return asked
        try:
            document = services.transition_document(
                document=document, action=action, actor=Actor.staff(request)
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            said = f"{document.number} is now {document.get_state_display().lower()}."
            credit_note = selectors.credit_note_of(document) if document.is_invoice else None
            if credit_note is not None and action == "void":
                said += f" Credit note {credit_note.number} cancels it."
            messages.success(request, said)
        return redirect("document-detail", pk=document.pk)


class DocumentReassignView(StaffViewMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        document = Document.objects.for_org(self.org).select_related("customer").get_or_404(pk=pk)
        form = ReassignForm(request.POST, organization=self.org, document=document)
        if not form.is_valid():
            messages.error(request, "Choose another of your customers to re-assign to.")
            return redirect("document-detail", pk=document.pk)
        cancel_url = reverse("document-detail", args=[document.pk])
        asked = ask_first(request, reassign_confirmation(document), cancel_url=cancel_url)
        if asked is not None:
            return asked
        try:
            document = services.reassign_document(
                document=document,
                new_customer=form.cleaned_data["customer"],
                actor=Actor.staff(request),
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                f"{document.number} now belongs to {document.customer.name}. "
                "Links sent before no longer work.",
            )
        return redirect("document-detail", pk=document.pk)


class DocumentConvertView(StaffViewMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        quote = Document.objects.for_org(self.org).get_or_404(pk=pk)
        form = ConvertForm(request.POST)
        if not form.is_valid():
            messages.error(request, "A quote converts into an invoice or a sales order.")
            return redirect("document-detail", pk=quote.pk)
        try:
            created = services.convert_quote(
                quote=quote, to_kind=form.cleaned_data["to_kind"], actor=Actor.staff(request)
            )
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("document-detail", pk=quote.pk)
        messages.success(request, f"{quote.number} converted into {created.number}.")
        return redirect("document-detail", pk=created.pk)


class PaymentListView(StaffViewMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        form = PaymentFilterForm(filter_params(request), organization=self.org)
        valid = form.is_valid()
        payments = selectors.payment_list(
            organization=self.org,
            customer=form.cleaned_data["customer"] if valid else None,
            customer_name=form.cleaned_data["customer_name"].strip() if valid else "",
        )
        if form.is_bound and not form.is_valid():
            payments = payments.none()
        payments, sorting = sort_request(request, payments, selectors.PAYMENT_SORT_KEYS)
        return render(
            request,
            "documents/payment_list.html",
            {"form": form, "page": page_of(request, payments), "sorting": sorting},
        )


class PaymentCreateView(StaffViewMixin, View):
    """Two steps on one page: choose the customer (GET ?customer=<id>), then the payment form
    lists that customer's payable invoices with an amount input each."""

    def _payment_form(self, customer, data=None) -> PaymentForm:
        invoices = list(selectors.payable_invoices(customer=customer))
        return PaymentForm(data, customer=customer, invoices=invoices, today=self.org.today())

    def _render(self, chooser, form=None) -> HttpResponse:
        return render(
            self.request, "documents/payment_form.html", {"chooser": chooser, "form": form}
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        bound = "customer" in request.GET
        chooser = PaymentCustomerForm(request.GET if bound else None, organization=self.org)
        if bound and chooser.is_valid():
            return self._render(chooser, self._payment_form(chooser.cleaned_data["customer"]))
        return self._render(chooser)

    def post(self, request: HttpRequest) -> HttpResponse:
        chooser = PaymentCustomerForm(request.POST, organization=self.org)
        if not chooser.is_valid():
            return self._render(chooser)
        customer = chooser.cleaned_data["customer"]
        form = self._payment_form(customer, data=request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                payment = payments.record_payment(
                    organization=self.org,
                    customer=customer,
                    actor=Actor.staff(request),
                    date=data["date"],
                    amount=data["amount"],
                    currency=data["currency"],
                    method=data["method"],
                    reference=data["reference"],
                    allocations=form.allocations(),
                    issue_receipt=data["issue_receipt"],
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, "Payment recorded.")
                return redirect("payment-detail", pk=payment.pk)
        return self._render(chooser, form)


class PaymentDetailView(StaffViewMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        payment = selectors.payment_with_allocations(organization=self.org, pk=pk)
        return render(request, "documents/payment_detail.html", {"payment": payment})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Issue the payment's receipt (the page's only form)."""
        payment = Payment.objects.for_org(self.org).get_or_404(pk=pk)
        try:
            receipt = payments.issue_receipt_for_payment(
                payment=payment, actor=Actor.staff(request)
            )
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("payment-detail", pk=payment.pk)
        messages.success(request, f"Receipt {receipt.number} issued.")
        return redirect("document-detail", pk=receipt.pk)
