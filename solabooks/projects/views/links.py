"""The customer's project pages behind secure links: the project share (/finance/p/<token>)
and time approval (/finance/t/<token>).

The same machinery as a document's link (sharing.views.token_page): token headers, CSRF
with the page's own Origin understood, the ordinary 404 for an unknown token after the same
hash-and-lookup, nothing changed by a GET, forms that post back to the page itself ("") so
no response spells the token, and Request access decided after the answer.
"""

from django.contrib import messages
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import render

from solabooks.core.pagecache import (
    RenderedPageCache,
    has_pending_messages,
    personalize_pieces,
    render_shareable,
    split_shareable,
)
from solabooks.sharing.models import LinkPurpose
from solabooks.sharing.selectors import ProjectLinkAccess, find_project_link
from solabooks.sharing.views import (
    BACK_TO_PAGE,
    answer_access_request,
    link_actor,
    token_page,
    unavailable_page,
)
from solabooks.tenancy.previews import (
    STAFF_CANNOT_DECIDE,
    preview_actor,
    previewing_staff,
    record_preview,
)
from solabooks.tenancy.versions import version_key

from .. import link_access
from ..forms import TimeDecisionForm
from ..selectors import customer_project_context, customer_request_context
from .decisions import post_decision

OP_REQUEST_ACCESS = "request_access"
PROJECT_PAGES = RenderedPageCache(max_entries=256)
# An approval page of a few hundred entries is a few hundred kilobytes: fewer of them.
APPROVAL_PAGES = RenderedPageCache(max_entries=64)


def _find(token: str, purpose: str) -> ProjectLinkAccess:
    access = find_project_link(raw_token=token, purpose=purpose)
    if access is None:
        raise Http404
    return access


def _record_view(request: HttpRequest, access: ProjectLinkAccess) -> bool:
    """The customer's view, or (a browser with a staff session of the business) the staff
    member's preview, which is not the customer's (tenancy/previews.py). True for a
    preview: the page then shows the banner."""
    link = access.link
    staff = previewing_staff(request, organization_id=link.organization_id)
    if staff is None:
        link_access.record_project_link_access(link=link, actor=link_actor(request, link))
        return False
    record_preview(
        actor=preview_actor(request, staff),
        organization_id=link.organization_id,
        project_id=link.project_id,
        customer_id=link.customer_id,
        details={"link_id": link.pk, "purpose": link.purpose},
    )
    return True


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", "1")), 10_000))
    except ValueError:
        return 1


@token_page
def project_link_page(request: HttpRequest, token: str) -> HttpResponse:
    """The read-only project share page."""
    if request.method == "POST":
        access = _find(token, LinkPurpose.PROJECT_SHARE)
        if request.POST.get("op") == OP_REQUEST_ACCESS:
            return answer_access_request(request, access.link)
        return HttpResponseBadRequest("Unknown operation.", content_type="text/plain")
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    access = _find(token, LinkPurpose.PROJECT_SHARE)
    if not access.is_active:
        return unavailable_page(request, access.link, access.state, subject="project")
    preview = _record_view(request, access)
    link, project = access.link, access.project
    page = _page_number(request)
    project.organization = link.organization

    def context() -> dict:
        return {
            **customer_project_context(project, page=page),
            "organization": link.organization,
            "link": link,
            "preview": preview,
        }

    template = "projects/link_project.html"
    if has_pending_messages(request):
        return render(request, template, context())
    # Keyed by the business's data version, which moves with every recorded change (and
    # kept at most a minute: version_key, should a version bump be lost).
    # The preview banner is part of the page: staff and customers never share one.
    key = (project.pk, version_key(link.organization), link.expires_at, page, preview)
    pieces = PROJECT_PAGES.get_or_render(
        key, lambda: split_shareable(render_shareable(request, template, context()))
    )
    return HttpResponse(personalize_pieces(pieces, request))


@token_page
def time_approval_link_page(request: HttpRequest, token: str) -> HttpResponse:
    """The entries of one approval request, to approve or reject (POSTs only)."""
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    access = _find(token, LinkPurpose.TIME_APPROVAL)
    if request.method == "POST" and request.POST.get("op") == OP_REQUEST_ACCESS:
        return answer_access_request(request, access.link)
    if not access.is_active:
        return unavailable_page(request, access.link, access.state, subject="project")
    if request.method == "POST":
        return _decide(request, access)
    return _approval_page(request, access, preview=_record_view(request, access))


def _approval_page(
    request,
    access,
    *,
    form: TimeDecisionForm | None = None,
    status: int = 200,
    preview: bool = False,
):
    link = access.link
    approval_request = access.approval_request
    approval_request.project = access.project
    access.project.organization = link.organization

    def context() -> dict:
        context = customer_request_context(approval_request, form=form)
        context.update(organization=link.organization, link=link, preview=preview)
        return context

    template = "projects/link_time_approval.html"
    if form is not None or has_pending_messages(request):
        # Form errors and flashed messages belong to this request alone.
        return render(request, template, context(), status=status)
    # Rendering a request's rows (and their fingerprint) is the page's whole cost; every
    # decision, take-out and edit records an Activity, which moves the data version.
    key = (
        approval_request.pk,
        approval_request.version,
        approval_request.state,
        version_key(link.organization),
        link.expires_at,
        preview,
    )
    pieces = APPROVAL_PAGES.get_or_render(
        key, lambda: split_shareable(render_shareable(request, template, context()))
    )
    return HttpResponse(personalize_pieces(pieces, request), status=status)


def _decide(request: HttpRequest, access: ProjectLinkAccess) -> HttpResponse:
    if previewing_staff(request, organization_id=access.link.organization_id) is not None:
        # The approval is the customer's: a member of the business previewing the link
        # does not decide for them.
        messages.error(request, STAFF_CANNOT_DECIDE)
        return HttpResponseRedirect(BACK_TO_PAGE)
    approval_request = access.approval_request
    approval_request.project = access.project
    return post_decision(
        request,
        approval_request,
        actor=link_actor(request, access.link),
        show_page=lambda form, status: _approval_page(request, access, form=form, status=status),
        back_to_page=lambda: HttpResponseRedirect(BACK_TO_PAGE),
    )
