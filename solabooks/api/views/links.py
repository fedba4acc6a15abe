"""Sending a document and its secure links: send, list, revoke.

Part of the staff REST API (see api/views/__init__.py for what every view does).
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from solabooks.documents.models import Document
from solabooks.sharing import services as sharing_services
from solabooks.sharing.models import SecureLink

from .. import link_serializers as ls
from ..base import ApiView
from ..link_serializers import EXPIRY_NOTE, EXPIRY_OVERRIDDEN_NOTE, requested_expiry
from ..reads import scoped_document, send_answer
from ..schema import (
    LINKS,
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    errors,
)
from .customers import customer_or_404


class DocumentSendView(ApiView):
    @extend_schema(
        operation_id="documents_send",
        summary="Email the customer a secure link to the document",
        description=(
            "Queues the email to the customer's email on file with a new secure link. "
            "**The link expires 24 hours after it is created, always.** A custom expiry "
            "(`expires_in` as seconds or an ISO-8601 duration, or `expires_at` as a date-time, "
            "or any other value) is accepted and overridden to 24 hours, and the answer says "
            "so with `expiry_overridden: true`. The link's token is only in the email: it is "
            "never part of any API answer. Sending a draft marks it sent."
        ),
        tags=[LINKS],
        request=ls.SendInSerializer,
        responses={
            202: OpenApiResponse(ls.SendOutSerializer, description="The email is queued."),
            **errors(*READ_ERRORS, *WRITE_ERRORS),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        # Neither lines nor customer: send_document re-reads the document under its lock.
        document = scoped_document(organization=self.organization, pk=pk)
        data = self.parse(ls.SendInSerializer)
        result = sharing_services.send_document(
            document=document,
            actor=self.actor(),
            subject=data.get("subject"),
            message=data.get("message"),
            requested_expiry=requested_expiry(data),
        )
        body = {
            "link": result.link,
            "sent_to": result.sent_to,
            "subject": result.subject,
            "expiry_overridden": result.expiry_overridden,
            "expiry_note": EXPIRY_OVERRIDDEN_NOTE if result.expiry_overridden else EXPIRY_NOTE,
        }
        return Response(send_answer(body), status=status.HTTP_202_ACCEPTED)


def _links(view: ApiView):
    return SecureLink.objects.for_org(view.organization).select_related("document")


class DocumentLinksView(ApiView):
    @extend_schema(
        operation_id="documents_links",
        summary="List a document's secure links",
        tags=[LINKS],
        responses={200: ls.LinkOutSerializer(many=True), **errors(*LIST_ERRORS)},
    )
    def get(self, request: Request, pk: int) -> Response:
        document = Document.objects.for_org(self.organization).get_or_404(pk=pk)
        return self.paginated(_links(self).filter(document=document), ls.LinkOutSerializer)


class CustomerLinksView(ApiView):
    @extend_schema(
        operation_id="customers_links",
        summary="List a customer's secure links",
        tags=[LINKS],
        responses={200: ls.LinkOutSerializer(many=True), **errors(*LIST_ERRORS)},
    )
    def get(self, request: Request, pk: int) -> Response:
        customer = customer_or_404(self, pk)
        return self.paginated(_links(self).filter(customer=customer), ls.LinkOutSerializer)


class CustomerLinksRevokeView(ApiView):
    @extend_schema(
        operation_id="customers_links_revoke",
        summary="Revoke all of a customer's secure links",
        description="Expired links too (they could still be renewed). Revoked links cannot "
        "be renewed: the customer is told to contact the business.",
        tags=[LINKS],
        request=None,
        responses={200: ls.RevokedOutSerializer, **errors(413, *READ_ERRORS)},
    )
    def post(self, request: Request, pk: int) -> Response:
        customer = customer_or_404(self, pk)
        count = sharing_services.revoke_customer_links(customer=customer, actor=self.actor())
        return Response(ls.RevokedOutSerializer({"revoked": count}).data)


class LinkRevokeView(ApiView):
    @extend_schema(
        operation_id="links_revoke",
        summary="Revoke one secure link",
        description="The link stops working at once and cannot be renewed; revoking a "
        "revoked link changes nothing.",
        tags=[LINKS],
        request=None,
        responses={200: ls.LinkOutSerializer, **errors(413, *READ_ERRORS)},
    )
    def post(self, request: Request, pk: int) -> Response:
        link = _links(self).get_or_404(pk=pk)
        link = sharing_services.revoke_link(link=link, actor=self.actor())
        return Response(ls.LinkOutSerializer(link).data)
