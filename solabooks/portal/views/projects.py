"""The signed-in customer's projects: the list, the project page (the same partial as the
project share link) and time approval (the same form and service as the approval link).

Only projects of `request.portal.customer` that the business shows in the portal
(`portal_visible`) are reachable; any other id, of whoever, is the ordinary 404. Decisions
are POSTs; the page that shows them changes nothing.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_safe

from solabooks.projects.forms import TimeDecisionForm
from solabooks.projects.models import ApprovalRequest
from solabooks.projects.selectors import customer_project_context, customer_request_context
from solabooks.projects.views.decisions import post_decision
from solabooks.tenancy.previews import STAFF_CANNOT_DECIDE

from .. import access_records, selectors
from ..auth import PortalSession
from ..decorators import portal_login_required
from .pages import _actor, _page, _page_key, _render, _shared_page, staff_previewer

# What decide_time refuses because of what was typed: the page again, with the message.
# Anything else (changed since shown, already decided, withdrawn) is the page as it is now.


def _entries_page(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", "1")), 10_000))
    except ValueError:
        return 1


@require_safe  # read-only: no comments, replies or other writes
@portal_login_required
def project_list(request: HttpRequest) -> HttpResponse:
    session: PortalSession = request.portal

    def context() -> dict:
        page = _page(request, selectors.portal_projects(customer=session.customer))
        selectors.add_project_summaries(
            list(page.object_list), customer=session.customer, organization=session.organization
        )
        return {"page": page}

    return _shared_page(
        request,
        "portal/project_list.html",
        context,
        nav="projects",
        key=(_page_key(request.GET.get("page")),),
    )


@require_safe  # read-only: no comments, replies or other writes
@portal_login_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session: PortalSession = request.portal
    project = selectors.project_detail(
        customer=session.customer, organization=session.organization, pk=pk
    )
    access_records.record_project_view(session=session, project=project, actor=_actor(request))
    return _render(
        request,
        "portal/project_detail.html",
        {
            **customer_project_context(project, page=_entries_page(request)),
            # Related invoices open in the portal (drafts are never listed).
            "invoice_url": "portal-document",
            "approval_requests": selectors.open_approval_requests(
                customer=session.customer, project=project
            ),
        },
        nav="projects",
    )


@require_http_methods(["GET", "HEAD", "POST"])
@portal_login_required
def approval_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One approval request addressed to this customer: its entries, and (while it waits)
    Approve / Reject per entry and Approve all, posted back to this page."""
    session: PortalSession = request.portal
    approval_request = selectors.approval_request_detail(
        customer=session.customer, organization=session.organization, pk=pk
    )
    if request.method == "POST":
        return _decide(request, approval_request)
    access_records.record_project_view(
        session=session,
        project=approval_request.project,
        actor=_actor(request),
        approval_request=approval_request,
    )
    return _approval_page(request, approval_request)


def _approval_page(
    request: HttpRequest,
    approval_request: ApprovalRequest,
    *,
    form: TimeDecisionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    response = _render(
        request,
        "portal/approval.html",
        customer_request_context(approval_request, form=form),
        nav="projects",
    )
    response.status_code = status
    return response


def _decide(request: HttpRequest, approval_request: ApprovalRequest) -> HttpResponse:
    """As the approval link decides, with the portal account as the actor: its Activity
    names the account, the access, the IP and the browser. Refused to a browser holding a
    staff session of this business: the decision is the customer's."""
    if staff_previewer(request) is not None:
        messages.error(request, STAFF_CANNOT_DECIDE)
        return redirect("portal-approval", pk=approval_request.pk)
    return post_decision(
        request,
        approval_request,
        actor=_actor(request),
        show_page=lambda form, status: _approval_page(
            request, approval_request, form=form, status=status
        ),
        back_to_page=lambda: redirect("portal-approval", pk=approval_request.pk),
    )
