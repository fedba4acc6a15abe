"""The customer's pages behind a secure link (staff actions on links: staff_views.py).

The customer pages are reached by a token in the URL. They never change anything on a GET
(mail scanners pre-fetch links), send their own headers (`token_page`), and turn an unknown
token into the ordinary 404 page after the same hash-and-lookup as a real one.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.core.exceptions import SuspiciousOperation
from django.core.handlers.exception import response_for_exception
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import get_resolver
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from solabooks.activity.models import ActorType, Verb
from solabooks.activity.services import Actor
from solabooks.core import ratelimit
from solabooks.core.background import enqueue_after_response
from solabooks.core.errors import DomainError
from solabooks.core.middleware import request_origin
from solabooks.core.pagecache import (
    RenderedPageCache,
    has_pending_messages,
    personalize,
    render_shareable,
)
from solabooks.core.tokenpages import TOKEN_PAGE_HEADERS
from solabooks.documents.acceptance import current_terms
from solabooks.documents.customer_forms import QuoteDecisionForm
from solabooks.documents.models import State
from solabooks.documents.quote_decisions import ACCEPT, DECLINE, decide_quote
from solabooks.documents.selectors import full_document
from solabooks.documents.states import can
from solabooks.pdf.services import pdf_response
from solabooks.tenancy.previews import (
    STAFF_CANNOT_DECIDE,
    STAFF_CANNOT_REQUEST_ACCESS,
    STAFF_CANNOT_SET_UP_ACCOUNT,
    preview_actor,
    previewing_staff,
    record_preview,
)
from solabooks.tenancy.versions import version_key

from . import services, tasks
from .models import SecureLink
from .selectors import QUOTE_PREFIX, LinkAccess, LinkState, find_document_link

# Request access sends email, so it is limited per link and per client address; the counts
# live in the shared cache, so every app server sees the same numbers.
REQUEST_ACCESS_PER_LINK = ratelimit.Limit("link-request-access", max_hits=3, window_seconds=3600)
REQUEST_ACCESS_PER_IP = ratelimit.Limit("link-request-access-ip", max_hits=20, window_seconds=3600)
ACCOUNT_SETUP_PER_LINK = ratelimit.Limit("link-account-setup", max_hits=3, window_seconds=3600)
ACCOUNT_SETUP_PER_IP = ratelimit.Limit("link-account-setup-ip", max_hits=20, window_seconds=3600)

# The same words whatever happened (SECURITY.md: the page must not tell whether anything
# was sent), but plain: where the link went, how long it works, what to do if none came.
ACCESS_REQUESTED_ANSWER = (
    "If this link can be renewed, a new link has been emailed to the address on file."
)
ACCESS_REQUESTED_NEXT = (
    "Open the newest email from us and use its link; it works for 24 hours. This old "
    "link stays closed."
)
ACCOUNT_SETUP_ANSWER = (
    "If an account can be set up, we have emailed instructions to the address on file."
)

# What every token response carries, HTML or not (SPEC 4). HTML pages also get the strict
# CSP of solabooks.core.csp; anything else (the PDF) gets one that allows nothing.
TOKEN_HEADERS = TOKEN_PAGE_HEADERS
NON_HTML_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"
# The methods Django's CSRF middleware lets through unchecked.
CSRF_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def token_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Headers for a page whose URL holds a secret token: never cached, never sent on as a
    Referer, never indexed, never framed. The 404 for an unknown token is rendered here,
    and CSRF is checked here instead of by the middleware, so that a 404 and a refused POST
    carry the headers too. CSRF is Django's own check: under `same-origin` the page's POSTs
    carry a same-origin Origin or Referer (core/tokenpages.py).
    A GET or HEAD has nothing to check (as in the middleware), and the site-wide middleware
    still reads and sets the CSRF cookie for the page's forms."""
    protected = csrf_protect(view)

    @csrf_exempt  # only from the middleware's check: `protected` runs the same check inside
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        handler = view if request.method in CSRF_SAFE_METHODS else protected
        try:
            response = handler(request, *args, **kwargs)
        except Http404 as exception:
            response = get_resolver().resolve_error_handler(404)(request, exception)
        except SuspiciousOperation as exception:
            # A body with too many fields or too large: Django's own 400 (and security
            # log), but with the token headers, like every other answer on this URL.
            response = response_for_exception(request, exception)
        for header, value in TOKEN_HEADERS.items():
            response[header] = value
        if not response.get("Content-Type", "").startswith("text/html"):
            response["Content-Security-Policy"] = NON_HTML_CSP
        return response

    return wrapped


# --- Customer (token) pages -------------------------------------------------------------


def _find(token: str, prefix: str) -> LinkAccess:
    access = find_document_link(raw_token=token, prefix=prefix)
    if access is None:
        raise Http404
    return access


def link_actor(request: HttpRequest, link: SecureLink) -> Actor:
    """The customer behind a link (of any purpose), as Activity records them."""
    return Actor(
        type=ActorType.LINK,
        label=f"link #{link.pk}",
        extra={"link_id": link.pk},
        **request_origin(request),
    )


# SPEC 4: no response but the email may contain the token. So the page never spells its
# own URL: forms post back to it (action="") naming their operation, the PDF is the same
# URL with ?format=pdf, and redirects go to "?" (the page itself, resolved by the browser).
PAGE_TARGETS = {"pdf": "?format=pdf"}
BACK_TO_PAGE = "?"
OP_REQUEST_ACCESS, OP_SETUP_ACCOUNT = "request_access", "setup_account"
LINK_DOCUMENT_TEMPLATE = "sharing/link_document.html"


def _back_to_page() -> HttpResponse:
    return HttpResponseRedirect(BACK_TO_PAGE)


def unavailable_page(
    request: HttpRequest, link: SecureLink, state: LinkState, *, subject: str = "document"
) -> HttpResponse:
    """A link that does not open (any purpose): an expired one may be renewed (Request
    access); any other dead link may not. `subject` names what it opened, for the page."""
    context = {"organization": link.organization, "link": link, "link_subject": subject}
    if state is LinkState.EXPIRED:
        return render(request, "sharing/link_expired.html", context, status=410)
    return render(request, "sharing/link_invalid.html", context, status=410)


def _unavailable(request: HttpRequest, access: LinkAccess) -> HttpResponse:
    return unavailable_page(request, access.link, access.state)


# The document pages behind links, rendered once per version of what they show (see
# core.pagecache and document_page_version).
DOCUMENT_PAGES = RenderedPageCache(max_entries=256)


def document_page_version(access: LinkAccess, *, can_decide: bool) -> tuple:
    """What a link's page shows besides its template: the business's data (version_key: it
    moves after every committed change to the business, its customers and documents, and
    at least once per ANSWER_MAX_AGE; tests/activity_watch.py proves every change records
    the Activity that moves it), which document, the link's expiry, whether the customer
    can still decide (it depends on today's date too), whether the page offers an
    account and the business's today (what is overdue)."""
    link = access.link
    return (
        *version_key(link.organization),
        access.document.pk,
        link.expires_at,
        can_decide,
        link.organization.allow_portal_setup_from_link,
        # Overdue (documents/overdue.py) and its days move with the business's today.
        link.organization.today(),
    )


def document_page_context(
    document,
    *,
    link: SecureLink | None,
    urls: dict[str, str],
    can_decide: bool,
    forms: dict[str, QuoteDecisionForm] | None = None,
    preview: bool = False,
) -> dict:
    """The link page's context for a document read whole (full_document); also the staff
    "Preview as customer" page's (staff_views.DocumentPreviewView), with no link."""
    decision_forms = {}
    if can_decide:
        decision_forms = QuoteDecisionForm.pair(
            version=document.content_version, terms=current_terms(document.organization)
        )
        decision_forms.update(forms or {})
    return {
        "organization": document.organization,
        "document": document,
        "lines": document.lines.all(),
        "link": link,
        "urls": urls,
        "can_decide": can_decide,
        "accept_form": decision_forms.get(ACCEPT),
        "decline_form": decision_forms.get(DECLINE),
        "offer_account": document.organization.allow_portal_setup_from_link,
        "preview": preview,
    }


def _document_page(
    request: HttpRequest,
    access: LinkAccess,
    *,
    forms: dict[str, QuoteDecisionForm] | None = None,
    status: int = 200,
    preview: bool = False,
) -> HttpResponse:
    link, document = access.link, access.document
    can_decide = can(document, ACCEPT)

    def context() -> dict:
        return document_page_context(
            full_document(access.document),
            link=link,
            urls=PAGE_TARGETS,
            can_decide=can_decide,
            forms=forms,
            preview=preview,
        )

    if forms or has_pending_messages(request):
        # Form errors and flashed messages belong to this request alone.
        return render(request, LINK_DOCUMENT_TEMPLATE, context(), status=status)
    # The preview banner is part of what the page shows: staff and customers never share
    # a rendered page.
    key = (*document_page_version(access, can_decide=can_decide), preview)
    page = DOCUMENT_PAGES.get_or_render(
        key, lambda: render_shareable(request, LINK_DOCUMENT_TEMPLATE, context())
    )
    return HttpResponse(personalize(page, request), status=status)


@token_page
def link_page(request: HttpRequest, token: str, prefix: str) -> HttpResponse:
    """The document behind a link. A GET only records that it was opened and changes
    nothing; the page's own forms POST back here naming their operation."""
    if request.method == "POST":
        return _post_to_page(request, token, prefix)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    if request.GET.get("format") == "pdf":
        return _link_pdf(request, token, prefix)
    access = _find(token, prefix)
    if not access.is_active:
        return _unavailable(request, access)
    staff = previewing_staff(request, organization_id=access.link.organization_id)
    if staff is not None:
        _record_preview(request, access, staff)
    else:
        services.record_link_access(
            link=access.link, verb=Verb.VIEWED, actor=link_actor(request, access.link)
        )
    return _document_page(request, access, preview=staff is not None)


def _record_preview(request: HttpRequest, access: LinkAccess, staff, **details) -> None:
    """A member of the link's business opened it: their preview, not the customer's view
    (tenancy/previews.py); the document stays un-viewed."""
    record_preview(
        actor=preview_actor(request, staff),
        organization_id=access.link.organization_id,
        document_id=access.document.pk,
        customer_id=access.document.customer_id,
        details={"link_id": access.link.pk, **details},
    )


def _post_to_page(request: HttpRequest, token: str, prefix: str) -> HttpResponse:
    operation = request.POST.get("op", "")
    if operation == OP_REQUEST_ACCESS:
        return _link_request_access(request, token, prefix)
    if operation == OP_SETUP_ACCOUNT:
        return _link_setup_account(request, token, prefix)
    if prefix == QUOTE_PREFIX and operation in (ACCEPT, DECLINE):  # QuoteDecisionForm's op
        return _link_decide(request, token, prefix, operation)
    _find(token, prefix)  # an unknown token is a 404 before anything else
    return HttpResponseBadRequest("Unknown operation.", content_type="text/plain")


def _link_pdf(request: HttpRequest, token: str, prefix: str) -> HttpResponse:
    access = _find(token, prefix)
    if not access.is_active:
        return _unavailable(request, access)
    response = pdf_response(document=access.document)
    staff = previewing_staff(request, organization_id=access.link.organization_id)
    if staff is not None:
        _record_preview(request, access, staff, format="pdf")
    else:
        services.record_link_access(
            link=access.link, verb=Verb.PDF_DOWNLOADED, actor=link_actor(request, access.link)
        )
    return response


def _link_decide(request: HttpRequest, token: str, prefix: str, decision: str) -> HttpResponse:
    """Accept or Decline, POSTed from the quote page with the version it showed."""
    access = _find(token, prefix)
    if not access.is_active:
        return _unavailable(request, access)
    if previewing_staff(request, organization_id=access.link.organization_id) is not None:
        # The decision is the customer's: a member of the business previewing the link
        # records theirs on the quote page (Mark accepted / declined), as staff.
        messages.error(request, STAFF_CANNOT_DECIDE)
        return _back_to_page()
    terms = current_terms(access.document.organization)
    form = QuoteDecisionForm(request.POST, decision=decision, terms=terms)
    if not form.is_valid():
        return _document_page(request, access, forms={decision: form}, status=400)
    try:
        quote = decide_quote(
            document=access.document,
            decision=decision,
            signer_name=form.cleaned_data.get("signer_name", ""),
            reason=form.cleaned_data.get("reason", ""),
            seen_version=form.cleaned_data["version"],
            actor=link_actor(request, access.link),
            **form.decision_kwargs(),
        )
    except DomainError as error:
        if error.code == "signer_required":
            form.add_error("signer_name", error.message)
            return _document_page(request, access, forms={decision: form}, status=400)
        # Already decided, changed since shown, past its date: reload the page as it is now.
        messages.warning(request, error.message)
    else:
        verb = "accepted" if quote.state == State.ACCEPTED else "declined"
        messages.success(request, f"Thank you. You have {verb} quote {quote.number}.")
    return _back_to_page()


def _link_request_access(request: HttpRequest, token: str, prefix: str) -> HttpResponse:
    """Request access on an expired link. The fresh link goes to the customer's email on
    file, whatever the form posted, and the answer is the same sentence whatever happened:
    the request only counts and enqueues; whether to renew is decided after the answer."""
    # Counted before the lookup: guessing tokens uses up the client's allowance too.
    ip_verdict = ratelimit.hit(REQUEST_ACCESS_PER_IP, request.client_ip)
    access = _find(token, prefix)
    return answer_access_request(request, access.link, ip_verdict=ip_verdict)


def answer_access_request(
    request: HttpRequest, link: SecureLink, *, ip_verdict: ratelimit.Verdict | None = None
) -> HttpResponse:
    """Request access on a link of any purpose: count the client (unless the caller did,
    `ip_verdict`) and the link, enqueue the decision (sharing.tasks.access_requested) and
    answer the same sentence whatever will happen."""
    if previewing_staff(request, organization_id=link.organization_id) is not None:
        # It would email the customer a link as though they had asked.
        messages.error(request, STAFF_CANNOT_REQUEST_ACCESS)
        return _back_to_page()
    if ip_verdict is None:
        ip_verdict = ratelimit.hit(REQUEST_ACCESS_PER_IP, request.client_ip)
    link_verdict = ratelimit.hit(REQUEST_ACCESS_PER_LINK, f"link:{link.pk}")
    allowed = ip_verdict.allowed and link_verdict.allowed
    if allowed:
        actor = link_actor(request, link).to_json()
        enqueue_after_response(tasks.access_requested, link_id=link.pk, actor=actor)
    context = {
        "organization": link.organization,
        "answer": ACCESS_REQUESTED_ANSWER,
        "next_step": ACCESS_REQUESTED_NEXT,
    }
    return render(
        request, "sharing/link_access_requested.html", context, status=200 if allowed else 429
    )


def _link_setup_account(request: HttpRequest, token: str, prefix: str) -> HttpResponse:
    """Set up an account: starts the portal flow for the customer's email on file, after
    the answer (the same sentence whatever the portal decides)."""
    access = _find(token, prefix)
    if not access.is_active:
        return _unavailable(request, access)
    organization = access.link.organization
    if previewing_staff(request, organization_id=organization.pk) is not None:
        messages.error(request, STAFF_CANNOT_SET_UP_ACCOUNT)
        return _back_to_page()
    if not organization.allow_portal_setup_from_link:
        messages.info(
            request,
            f"Setting up an account is not available here. Please contact {organization.name}.",
        )
        return _back_to_page()
    ip_verdict = ratelimit.hit(ACCOUNT_SETUP_PER_IP, request.client_ip)
    link_verdict = ratelimit.hit(ACCOUNT_SETUP_PER_LINK, f"link:{access.link.pk}")
    if ip_verdict.allowed and link_verdict.allowed:
        actor = link_actor(request, access.link).to_json()
        enqueue_after_response(
            tasks.account_setup_requested, customer_id=access.link.customer_id, actor=actor
        )
    messages.info(request, ACCOUNT_SETUP_ANSWER)
    return _back_to_page()
