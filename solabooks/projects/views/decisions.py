"""The customer's decision on an approval request, as both the approval link and the portal
take it: the same form, the same service call, the same answers."""

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from solabooks.activity.services import Actor
from solabooks.core.errors import DomainError

from .. import customer_decisions
from ..forms import TimeDecisionForm
from ..models import ApprovalRequest

OP_DECIDE, OP_APPROVE_ALL = "decide", "approve_all"
# Mistakes in what was typed: the page again, with the message at the form (400).
FORM_ERRORS = frozenset({"comment_required", "bad_comment", "empty"})


def decision_message(decision: customer_decisions.Decision) -> str:
    parts = []
    if decision.approved:
        parts.append(f"approved {decision.approved_hours} hours")
    if decision.rejected:
        count = len(decision.rejected)
        parts.append(f"rejected {count} entr{'y' if count == 1 else 'ies'}")
    return f"Thank you. You have {' and '.join(parts)}."


def post_decision(
    request: HttpRequest,
    approval_request: ApprovalRequest,
    *,
    actor: Actor,
    show_page: Callable[[TimeDecisionForm, int], HttpResponse],
    back_to_page: Callable[[], HttpResponse],
) -> HttpResponse:
    """Decide (op=decide with decision-<id> / comment-<id>, or op=approve_all; both with
    `shown`). A form mistake shows the page again (400); a page that no longer matches,
    an entry already decided or a withdrawn request goes back to the page as it is now,
    with the reason."""
    operation = request.POST.get("op", "")
    if operation not in (OP_DECIDE, OP_APPROVE_ALL):
        return HttpResponseBadRequest("Unknown operation.", content_type="text/plain")
    approve_all = operation == OP_APPROVE_ALL
    form = TimeDecisionForm(request.POST, approve_all=approve_all)
    if not form.is_valid():
        return show_page(form, 400)
    try:
        decision = customer_decisions.decide_time(
            approval_request=approval_request,
            decisions=form.cleaned_data["decisions"],
            approve_all=approve_all,
            seen_fingerprint=form.cleaned_data["shown"],
            actor=actor,
        )
    except DomainError as error:
        if error.code in FORM_ERRORS:
            form.add_error(None, error.message)
            return show_page(form, 400)
        messages.warning(request, error.message)
    else:
        messages.success(request, decision_message(decision))
    return back_to_page()
