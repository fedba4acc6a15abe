"""Staff pages for accepted quotes: the stored accepted PDF and certificate, the "verify a
file" form, and the owner's quote terms. Every read is scoped to the staff member's
business; the files come out of the private storage only through these views."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from solabooks.activity.services import Actor
from solabooks.core.errors import DomainError
from solabooks.tenancy.permissions import StaffViewMixin

from . import selectors
from .acceptance import (
    MAX_TERMS,
    MAX_VERIFY_BYTES,
    acceptance_file,
    acceptance_filename,
    current_terms,
    find_accepted_version,
    set_quote_terms,
)
from .models import AcceptanceRecord, QuoteTerms


def acceptance_file_response(record: AcceptanceRecord, which: str) -> HttpResponse:
    """One of the record's stored files, as a download (shared with the API)."""
    response = HttpResponse(acceptance_file(record, which), content_type="application/pdf")
    filename = acceptance_filename(record, which)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class AcceptanceFileView(StaffViewMixin, View):
    """The accepted PDF or the certificate of one of this business's quotes."""

    which = "pdf"  # or "certificate" (set in urls.py)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        document = selectors.scoped_document(organization=self.org, pk=pk)
        record = AcceptanceRecord.objects.for_org(self.org).get_or_404(document=document)
        return acceptance_file_response(record, self.which)


class VerifyForm(forms.Form):
    file = forms.FileField(label="PDF file", help_text="The PDF you want to check.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_VERIFY_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {MAX_VERIFY_BYTES // (1024 * 1024)} MB: it cannot "
                "be one of your accepted quotes."
            )
        return upload


class VerifyAcceptedPdfView(StaffViewMixin, View):
    """Is this PDF byte-identical to a quote one of our customers accepted? Answers by
    SHA-256, among this business's records only."""

    template_name = "documents/verify_accepted.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"form": VerifyForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = VerifyForm(request.POST, request.FILES)
        context = {"form": form}
        if form.is_valid():
            upload = form.cleaned_data["file"]
            data = upload.read(MAX_VERIFY_BYTES + 1)
            try:
                context["match"] = find_accepted_version(organization=self.org, data=data)
                context["checked"] = True
            except DomainError as error:
                form.add_error("file", error.message)
        status = 200 if form.is_valid() else 400
        return render(request, self.template_name, context, status=status)


class QuoteTermsForm(forms.Form):
    text = forms.CharField(
        label="Quote terms",
        required=False,
        max_length=MAX_TERMS,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=(
            "Shown beside Accept on every quote; the customer must tick “I agree to the "
            "terms”. Leave empty for none. Each change is kept as a new version."
        ),
    )


class QuoteTermsView(StaffViewMixin, View):
    template_name = "documents/quote_terms.html"
    required_action = "manage_settings"

    def _render(self, request: HttpRequest, form: QuoteTermsForm, status: int = 200):
        versions = QuoteTerms.objects.for_org(self.org).select_related("created_by")[:20]
        context = {"form": form, "versions": versions, "settings_tab": "quote-terms"}
        return render(request, self.template_name, context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        terms = current_terms(self.org)
        return self._render(request, QuoteTermsForm(initial={"text": terms.text if terms else ""}))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = QuoteTermsForm(request.POST)
        if not form.is_valid():
            return self._render(request, form, status=400)
        try:
            terms = set_quote_terms(
                organization=self.org, text=form.cleaned_data["text"], actor=Actor.staff(request)
            )
        except DomainError as error:
            form.add_error("text", error.message)
            return self._render(request, form, status=400)
        if terms.text:
            messages.success(request, f"Quote terms saved (version {terms.version}).")
        else:
            messages.success(request, "Quote terms cleared: customers accept without terms.")
        return redirect("quote-terms")
