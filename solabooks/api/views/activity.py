"""A document's and a customer's activity.

Part of the staff REST API (see api/views/__init__.py for what every view does).
"""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from solabooks.customers import selectors as customer_selectors
from solabooks.documents import selectors as document_selectors
from solabooks.documents.models import Document

from .. import serializers as s
from ..base import ApiView
from ..schema import (
    ACTIVITY,
    LIST_ERRORS,
    errors,
)
from .customers import customer_or_404


class DocumentActivityView(ApiView):
    @extend_schema(
        operation_id="documents_activity",
        summary="A document's activity, newest first",
        tags=[ACTIVITY],
        responses={200: s.ActivityOutSerializer(many=True), **errors(*LIST_ERRORS)},
    )
    def get(self, request: Request, pk: int) -> Response:
        document = Document.objects.for_org(self.organization).get_or_404(pk=pk)
        activity = document_selectors.document_activity(document=document)
        return self.paginated(activity.select_related("document"), s.ActivityOutSerializer)


class CustomerActivityView(ApiView):
    @extend_schema(
        operation_id="customers_activity",
        summary="A customer's activity, newest first",
        tags=[ACTIVITY],
        responses={200: s.ActivityOutSerializer(many=True), **errors(*LIST_ERRORS)},
    )
    def get(self, request: Request, pk: int) -> Response:
        customer = customer_or_404(self, pk)
        activity = customer_selectors.customer_activity(customer=customer)
        return self.paginated(activity, s.ActivityOutSerializer)
