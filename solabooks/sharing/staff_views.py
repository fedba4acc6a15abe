"""Staff actions on secure links: send a document (a new 24-hour link, emailed), revoke
one link or all of a customer's. The customer's pages behind a link are in views.py."""

from django.contrib import messages
from django.http import (
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views import View

from solabooks.activity.services import Actor
from solabooks.core.confirm import ask_first
from solabooks.core.errors import DomainError
from solabooks.customers.models import Customer
from solabooks.documents.models import Document
from solabooks.documents.quote_decisions import ACCEPT
from solabooks.documents.selectors import full_document
from solabooks.documents.states import can
from solabooks.tenancy.permissions import StaffViewMixin
from solabooks.tenancy.previews import preview_actor, record_preview, refusal_for

from . import services
from .confirmations import link_revoke_confirmation, revoke_all_confirmation
from .forms import SendDocumentForm
from .models import SecureLink
from .services import LINK_LIFETIME
from .views import LINK_DOCUMENT_TEMPLATE, document_page_context

LIFETIME_HOURS = int(LINK_LIFETIME.total_seconds() // 3600)


class DocumentSendView(StaffViewMixin, View):
    """POST from the Send to Customer dialog: a new link, emailed to the address on file."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        document = Document.objects.for_org(self.org).get_or_404(pk=pk)
        form = SendDocumentForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                messages.error(request, errors[0])
            return redirect("document-detail", pk=document.pk)
        # A message field left out entirely means "the default text"; emptied means empty.
        message = form.cleaned_data["message"] if "message" in request.POST else None
        try:
            result = services.send_document(
                document=document,
                actor=Actor.staff(request),
                subject=form.cleaned_data["subject"],
                message=message,
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                f"Sent to {result.sent_to}. The link expires in {LIFETIME_HOURS} hours.",
            )
        return redirect("document-detail", pk=document.pk)


class DocumentPreviewView(StaffViewMixin, View):
    """Preview as customer: the link page's content for a document of this business, with
    the preview banner, without minting a link and without a customer view (the document
    stays un-viewed; PREVIEWED is recorded). The page's forms post back here and are
    refused: decisions are the customer's, or staff's through the quote page's buttons."""

    http_method_names = ["get", "head", "post"]

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        document = full_document(Document.objects.for_org(self.org).get_or_404(pk=pk))
        record_preview(
            actor=preview_actor(request, request.user),
            organization_id=self.org.pk,
            document_id=document.pk,
            customer_id=document.customer_id,
            details={"from": "document page"},
        )
        context = document_page_context(
            document,
            link=None,
            urls={"pdf": reverse("document-pdf", args=[document.pk])},
            can_decide=can(document, ACCEPT),
            preview=True,
        )
        return render(request, LINK_DOCUMENT_TEMPLATE, context)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        document = Document.objects.for_org(self.org).get_or_404(pk=pk)
        messages.error(request, refusal_for(request.POST.get("op", "")))
        return redirect("document-preview", pk=document.pk)


class CustomerLinksRevokeView(StaffViewMixin, View):
    """POST from the Portal Access tab: every link of the customer stops working."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        customer = Customer.objects.for_org(self.org).get_or_404(pk=pk)
        cancel_url = reverse("customer-portal-access", args=[customer.pk])
        asked = ask_first(request, revoke_all_confirmation(customer), cancel_url=cancel_url)
        if asked is not None:
            return asked
        count = services.revoke_customer_links(customer=customer, actor=Actor.staff(request))
        if count:
            messages.success(request, f"Revoked {count} link{pluralize(count)}.")
        else:
            messages.info(request, f"{customer.name} has no links to revoke.")
        return redirect("customer-portal-access", pk=customer.pk)


class LinkRevokeView(StaffViewMixin, View):
    """POST from the Portal Access tab: one link stops working."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        link = (
            SecureLink.objects.for_org(self.org)
            .select_related("document", "project")
            .get_or_404(pk=pk)
        )
        cancel_url = reverse("customer-portal-access", args=[link.customer_id])
        asked = ask_first(request, link_revoke_confirmation(link), cancel_url=cancel_url)
        if asked is not None:
            return asked
        services.revoke_link(link=link, actor=Actor.staff(request))
        number = link.document.number if link.document else f"link #{link.pk}"
        messages.success(request, f"Revoked the link to {number}.")
        return redirect("customer-portal-access", pk=link.customer_id)
