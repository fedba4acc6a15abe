"""Project actions of the staff API: share the project, send time for approval, withdraw a
request, invoice approved time. Each parses, calls one service of solabooks.projects and
answers; the project comes from projects.scoped_project (another business's: 404),
an approval request from within that project.

Share and request-approval answer 202 like a document's send: the link (id, expiry, state;
never its token), `sent_to` and `expiry_overridden`. Nothing left to send or to invoice
is a 409, as is an entry that cannot be sent (errors.CONFLICT_CODES).
"""

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from solabooks.documents import selectors as document_selectors
from solabooks.projects import approvals, invoicing
from solabooks.projects.models import ApprovalItem, ApprovalRequest

from .. import project_serializers as ps
from .. import serializers as s
from ..base import ApiView
from ..link_serializers import EXPIRY_NOTE, EXPIRY_OVERRIDDEN_NOTE, requested_expiry
from ..schema import READ_ERRORS, WRITE_ERRORS, errors
from .projects import scoped_project

APPROVAL = "Project sharing and time approval"
LINK_NOTE = (
    "**The link expires 24 hours after it is created, always.** A custom expiry "
    "(`expires_in`, `expires_at`, any value) is accepted and overridden to 24 hours, and the "
    "answer says so with `expiry_overridden: true`. The link's token is only in the email: "
    "it is never part of any API answer."
)


def _sent(result: approvals.LinkSent) -> dict[str, Any]:
    return {
        "link": result.link,
        "sent_to": result.sent_to,
        "expiry_overridden": result.expiry_overridden,
        "expiry_note": EXPIRY_OVERRIDDEN_NOTE if result.expiry_overridden else EXPIRY_NOTE,
    }


def _with_items(view: ApiView, approval_request: ApprovalRequest) -> ApprovalRequest:
    items = list(
        ApprovalItem.objects.for_org(view.organization)
        .filter(request=approval_request)
        .order_by("date", "id")
    )
    for item in items:
        item.request = approval_request  # the currency, without a query per item
    approval_request.item_list = items
    return approval_request


class ProjectShareView(ApiView):
    @extend_schema(
        operation_id="projects_share",
        summary="Email the customer a secure link to the project (read only)",
        description="Queues the email to the customer's email on file with a new project "
        "link. The customer sees what the project's visibility settings allow. " + LINK_NOTE,
        tags=[APPROVAL],
        request=ps.ProjectSendInSerializer,
        responses={
            202: OpenApiResponse(ps.ProjectSendOutSerializer, description="The email is queued."),
            **errors(*READ_ERRORS, *WRITE_ERRORS),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        project = scoped_project(self, pk)
        data = self.parse(ps.ProjectSendInSerializer)
        result = approvals.share_project(
            project=project,
            actor=self.actor(),
            message=data.get("message"),
            requested_expiry=requested_expiry(data),
        )
        body = ps.ProjectSendOutSerializer(_sent(result)).data
        return Response(body, status=status.HTTP_202_ACCEPTED)


class RequestApprovalView(ApiView):
    @extend_schema(
        operation_id="projects_request_approval",
        summary="Send time to the customer for approval",
        description="Sends the named pending billable entries (`entries`), or else every "
        "pending billable entry not already waiting, to the customer's email on file with a "
        "time-approval link. The entries are locked until the customer decides or the request "
        "is withdrawn. An entry that cannot be sent (approved, invoiced, not billable, already "
        "waiting) answers 409 `locked`; nothing pending to send answers 409 "
        "`nothing_to_send`; ids that are not this project's time answer 400. " + LINK_NOTE,
        tags=[APPROVAL],
        request=ps.RequestApprovalInSerializer,
        responses={
            202: OpenApiResponse(
                ps.RequestApprovalOutSerializer, description="The email is queued."
            ),
            409: OpenApiResponse(
                s.ErrorSerializer,
                description="An entry cannot be sent (`locked`), or there is no pending "
                "billable time to send (`nothing_to_send`).",
            ),
            **errors(*READ_ERRORS, *WRITE_ERRORS),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        project = scoped_project(self, pk)
        data = self.parse(ps.RequestApprovalInSerializer)
        result = approvals.request_time_approval(
            project=project,
            actor=self.actor(),
            entry_ids=data.get("entries"),
            message=data.get("message"),
            requested_expiry=requested_expiry(data),
        )
        body = _sent(result)
        body["approval_request"] = _with_items(self, result.approval_request)
        answer = ps.RequestApprovalOutSerializer(body).data
        return Response(answer, status=status.HTTP_202_ACCEPTED)


class WithdrawRequestView(ApiView):
    @extend_schema(
        operation_id="projects_approval_request_withdraw",
        summary="Withdraw an approval request",
        description="Its links stop working and its undecided entries unlock; decisions the "
        "customer already made stay. A request that is no longer open answers 400.",
        tags=[APPROVAL],
        request=None,
        responses={200: ps.ApprovalRequestOutSerializer, **errors(400, 413, *READ_ERRORS)},
    )
    def post(self, request: Request, pk: int, request_id: int) -> Response:
        project = scoped_project(self, pk)
        approval_request = (
            ApprovalRequest.objects.for_org(self.organization)
            .filter(project=project)
            .get_or_404(pk=request_id)
        )
        withdrawn = approvals.withdraw_approval_request(
            approval_request=approval_request, actor=self.actor()
        )
        return Response(ps.ApprovalRequestOutSerializer(_with_items(self, withdrawn)).data)


class ProjectInvoiceView(ApiView):
    @extend_schema(
        operation_id="projects_invoice",
        summary="Invoice the project's approved time",
        description="A draft invoice to the project's customer from every approved billable "
        "entry not yet invoiced, one line per entry, per staff member and rate, or per day "
        "and rate; those entries become invoiced (voiding the invoice releases them). With "
        "no approved time left to invoice: 409 `nothing_to_invoice`.",
        tags=[APPROVAL],
        request=ps.InvoiceInSerializer,
        responses={
            201: s.DocumentOutSerializer,
            409: OpenApiResponse(
                s.ErrorSerializer,
                description="No approved time is left to invoice (`nothing_to_invoice`).",
            ),
            **errors(*READ_ERRORS, *WRITE_ERRORS),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        project = scoped_project(self, pk)
        data = self.parse(ps.InvoiceInSerializer)
        invoice = invoicing.invoice_approved_time(
            project=project, grouping=data["grouping"], actor=self.actor()
        )
        fresh = document_selectors.document_with_lines(
            organization=self.organization, pk=invoice.pk
        )
        return Response(s.DocumentOutSerializer(fresh).data, status=status.HTTP_201_CREATED)
