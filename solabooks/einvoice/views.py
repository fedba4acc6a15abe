"""The staff download of a document's e-invoice XML (the portal's is in portal/views, the
API's in api/views/documents.py): the membership and business scoping of every staff page,
then einvoice.downloads."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from solabooks.documents import selectors
from solabooks.tenancy.permissions import StaffViewMixin

from .downloads import unavailable, xml_response


class DocumentEinvoiceXmlView(StaffViewMixin, View):
    """The XML embedded in the document's PDF, alone; a 404 that says what is missing when
    the document has none."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        document = selectors.document_with_lines(organization=self.org, pk=pk)
        lines = list(document.lines.all())
        response = xml_response(document=document, lines=lines)
        if response is not None:
            return response
        why = unavailable(document, lines)
        context = {
            "message": why.message,
            "missing": why.missing,
            "back_url": reverse("document-detail", args=[document.pk]),
        }
        return render(request, "einvoice/not_available.html", context, status=404)
