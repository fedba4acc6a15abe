"""The signed-in customer's pages. Everything reads through `request.portal.customer`
(`for_customer` in the selectors), so no other customer's or business's row is reachable:
a foreign id is a 404 like a made-up one. Read-only, apart from a sent quote's decision."""

from collections.abc import Callable, Hashable

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from solabooks.activity.models import Verb
from solabooks.core.errors import DomainError
from solabooks.core.middleware import request_origin
from solabooks.core.pagecache import (
    RenderedPageCache,
    has_pending_messages,
    personalize,
    render_shareable,
)
from solabooks.documents.acceptance import current_terms
from solabooks.documents.customer_forms import QuoteDecisionForm
from solabooks.documents.models import PaymentMethod
from solabooks.documents.quote_decisions import ACCEPT, DECLINE, decide_quote
from solabooks.documents.selectors import receivables_by_currency
from solabooks.documents.states import can
from solabooks.einvoice.readiness import EINVOICE_KINDS, missing_for_einvoice
from solabooks.tenancy.models import User
from solabooks.tenancy.previews import STAFF_CANNOT_DECIDE, preview_actor, previewing_staff
from solabooks.tenancy.versions import version_key

from .. import access_records, selectors
from ..auth import PortalSession
from ..decorators import portal_login_required


def staff_previewer(request: HttpRequest) -> User | None:
    """The staff member of this business whose session this browser also holds (their
    visit is a preview, not the customer's: tenancy/previews.py), once per request."""
    if not hasattr(request, "staff_previewer"):
        request.staff_previewer = previewing_staff(
            request, organization_id=request.portal.organization.pk
        )
    return request.staff_previewer


def _actor(request: HttpRequest):
    session: PortalSession = request.portal
    staff = staff_previewer(request)
    if staff is not None:
        return preview_actor(request, staff)
    return access_records.portal_actor(
        portal_user=session.user, access=session.access, **request_origin(request)
    )


def _page(request: HttpRequest, items) -> Page:
    # get_page() turns junk or out-of-range ?page= into a real page, never an error.
    return Paginator(items, selectors.PAGE_SIZE).get_page(request.GET.get("page"))


def _context(request: HttpRequest, context: dict, *, nav: str) -> dict:
    session: PortalSession = request.portal
    return {
        "organization": session.organization,
        "customer": session.customer,
        "portal": session,
        "nav": nav,
        "preview": staff_previewer(request) is not None,
        **context,
    }


def _render(request: HttpRequest, template: str, context: dict, *, nav: str) -> HttpResponse:
    return render(request, template, _context(request, context, nav=nav))


# The dashboard and the lists, rendered once per version of what they show and shared by
# every request for that version (core.pagecache): rendering them through the ORM and the
# templates cost ~10 ms of CPU, serving a rendered one a fraction of a millisecond.
PAGES = RenderedPageCache(max_entries=512)


def _page_version(session: PortalSession) -> tuple:
    """Everything a dashboard or list shows besides its own parameters: the business's data
    version (tenancy.versions.version_key: it moves after every change the business's
    services commit, the customer's and the business's own rows included, and every page
    is re-rendered at least once per ANSWER_MAX_AGE), the newest Activity row about the
    customer (their own views and downloads, which the dashboard's recent activity shows),
    the business's today (what is overdue) and whether the header offers Switch business.
    All of it comes with the session check's one query (auth.resolve)."""
    return (
        *version_key(session.organization),
        session.customer.pk,
        session.newest_activity_id,
        session.organization.today(),
        session.can_switch,
    )


def _shared_page(
    request: HttpRequest,
    template: str,
    context: Callable[[], dict],
    *,
    nav: str,
    key: tuple[Hashable, ...],
) -> HttpResponse:
    """The page for this version of the data, rendered at most once per process and given
    this request's nonce and CSRF token. Flashed messages belong to one request only, so a
    request with messages waiting gets a page of its own."""
    if has_pending_messages(request):
        return _render(request, template, context(), nav=nav)
    # The preview banner is part of the page: staff and customers never share one.
    preview = staff_previewer(request) is not None
    full_key = (template, nav, *key, _page_version(request.portal), preview)
    page = PAGES.get_or_render(
        full_key,
        lambda: render_shareable(request, template, _context(request, context(), nav=nav)),
    )
    return HttpResponse(personalize(page, request))


def _page_key(raw) -> int | None:
    """The ?page= value as Paginator.get_page() reads it: an int, anything else is page 1
    (None here). Numbers below 1 all mean the last page."""
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return None
    return max(number, 0)


@require_safe  # read-only: no comments, replies or other writes
@portal_login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    session: PortalSession = request.portal
    return _shared_page(
        request,
        "portal/dashboard.html",
        lambda: {
            "balances": receivables_by_currency(
                organization=session.organization, customer=session.customer
            ),
            "activity": selectors.recent_activity(customer=session.customer),
            "approval_requests": selectors.open_approval_requests(customer=session.customer),
        },
        nav="dashboard",
        key=(),
    )


@require_safe  # read-only: no comments, replies or other writes
@portal_login_required
def document_list(request: HttpRequest, kind: str) -> HttpResponse:
    session: PortalSession = request.portal
    choices = selectors.customer_status_choices(kind)
    status = request.GET.get("status", "")
    if status not in dict(choices):
        status = ""
    title, url_name = selectors.LIST_PAGES[kind]

    def context() -> dict:
        documents = selectors.document_list(
            customer=session.customer,
            kind=kind,
            state=status,
            today=session.organization.today(),
        )
        return {
            "title": title,
            "kind": kind,
            "list_url_name": url_name,
            "states": choices,
            "status": status,
            "page": _page(request, documents),
        }

    return _shared_page(
        request,
        "portal/document_list.html",
        context,
        nav=kind,
        key=(kind, status, _page_key(request.GET.get("page"))),
    )


@require_safe  # read-only: no comments, replies or other writes
@portal_login_required
def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session: PortalSession = request.portal
    document = selectors.document_detail(customer=session.customer, pk=pk)
    access_records.record_document_access(
        session=session, document=document, verb=Verb.VIEWED, actor=_actor(request)
    )
    can_decide = can(document, ACCEPT)
    forms = {}
    if can_decide:
        terms = current_terms(document.organization)
        forms = QuoteDecisionForm.pair(version=document.content_version, terms=terms)
    lines = list(document.lines.all())
    return _render(
        request,
        "portal/document_detail.html",
        {
            "document": document,
            "lines": lines,
            # The XML download link; missing_for_einvoice is cheap (the XML is not built).
            "has_einvoice": document.kind in EINVOICE_KINDS
            and not missing_for_einvoice(document, lines),
            "can_decide": can_decide,
            "credit_note": selectors.credit_note_of(customer=session.customer, invoice=document),
            "accept_form": forms.get(ACCEPT),
            "decline_form": forms.get(DECLINE),
            "back_url_name": selectors.LIST_PAGES.get(document.kind, (None, "portal-payments"))[1],
        },
        nav=document.kind,
    )


@require_safe  # read-only: no comments, replies or other writes
@portal_login_required
def document_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    # Imported late: the PDF app builds on documents and is not needed to load the portal.
    from solabooks.pdf.services import pdf_response

    session: PortalSession = request.portal
    document = selectors.document_detail(customer=session.customer, pk=pk)
    response = pdf_response(document=document)  # document_pdf(), cached by content version
    access_records.record_document_access(
        session=session, document=document, verb=Verb.PDF_DOWNLOADED, actor=_actor(request)
    )
    return response


@require_safe  # read-only: no comments, replies or other writes
@portal_login_required
def document_einvoice_xml(request: HttpRequest, pk: int) -> HttpResponse:
    """The invoice's e-invoice XML (the one inside its PDF), for the customer's accounting
    software; the same access checks as the PDF. A document without one is a 404 that
    says so."""
    from solabooks.einvoice.downloads import unavailable, xml_response

    session: PortalSession = request.portal
    document = selectors.document_detail(customer=session.customer, pk=pk)
    lines = list(document.lines.all())
    response = xml_response(document=document, lines=lines)
    if response is None:
        context = {
            # Customers get the sentence; what staff must fill in is theirs to see.
            "message": unavailable(document, lines).message,
            "back_url": reverse("portal-document", args=[document.pk]),
        }
        return render(request, "einvoice/not_available.html", context, status=404)
    access_records.record_document_access(
        session=session, document=document, verb=Verb.EINVOICE_DOWNLOADED, actor=_actor(request)
    )
    return response


@require_POST
@portal_login_required
def quote_decision(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept / Decline a sent quote, under the same rules as the quote link (one service)."""
    session: PortalSession = request.portal
    document = selectors.document_detail(customer=session.customer, pk=pk)
    if staff_previewer(request) is not None:
        messages.error(request, STAFF_CANNOT_DECIDE)
        return redirect("portal-document", pk=document.pk)
    decision = request.POST.get("op", "")
    if decision not in (ACCEPT, DECLINE):
        messages.error(request, "Please check the form: choose accept or decline.")
        return redirect("portal-document", pk=document.pk)
    form = QuoteDecisionForm(
        request.POST, decision=decision, terms=current_terms(document.organization)
    )
    if not form.is_valid():
        messages.error(
            request,
            "Please check the form: "
            + " ".join(str(e) for errors in form.errors.values() for e in errors),
        )
        return redirect("portal-document", pk=document.pk)
    data = form.cleaned_data
    try:
        quote = decide_quote(
            document=document,
            decision=decision,
            signer_name=data.get("signer_name", ""),
            reason=data.get("reason", ""),
            seen_version=data["version"],
            actor=_actor(request),
            **form.decision_kwargs(),
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, f"Thank you. Quote {quote.number} is {quote.get_state_display().lower()}."
        )
    return redirect("portal-document", pk=document.pk)


@require_safe  # read-only: no comments, replies or other writes
@portal_login_required
def payment_list(request: HttpRequest) -> HttpResponse:
    session: PortalSession = request.portal
    method = request.GET.get("method", "")
    if method not in PaymentMethod.values:
        method = ""
    return _render(
        request,
        "portal/payment_list.html",
        {
            "methods": PaymentMethod.choices,
            "method": method,
            "page": _page(
                request, selectors.payment_list(customer=session.customer, method=method)
            ),
        },
        nav="payments",
    )


@require_safe  # read-only: no comments, replies or other writes
@portal_login_required
def payment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session: PortalSession = request.portal
    payment = selectors.payment_detail(customer=session.customer, pk=pk)
    access_records.record_payment_view(session=session, payment=payment, actor=_actor(request))
    return _render(request, "portal/payment_detail.html", {"payment": payment}, nav="payments")
