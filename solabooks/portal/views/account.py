"""Signing in and out, choosing a business, setup / reset links, and Settings."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from solabooks.activity.models import ActorType
from solabooks.activity.services import Actor
from solabooks.core import ratelimit
from solabooks.core.background import enqueue_after_response
from solabooks.core.errors import DomainError
from solabooks.core.middleware import request_origin

from .. import access_records, accounts, auth, tasks
from ..decorators import portal_headers, portal_login_required, refuse
from ..forms import (
    ChangePasswordForm,
    ChooseBusinessForm,
    ForgotPasswordForm,
    LoginForm,
    NewPasswordForm,
)
from ..models import PortalAccess, PortalUser, TokenPurpose
from ..tokens import RENEWABLE, TokenStatus, access_is_usable, find_token, token_status

NEUTRAL_RESET = (
    "If that email has a portal account, we have sent it a link to choose a new password. "
    "The link works for 60 minutes."
)
NEUTRAL_NEW_LINK = (
    "If this account can still be opened, we have emailed a new link to the address on "
    "file. It works for 60 minutes."
)


def _actor(
    request: HttpRequest, *, portal_user: PortalUser | None, access=None, label: str = ""
) -> Actor:
    """The customer as an actor; before sign-in, labelled with the address they gave."""
    origin = request_origin(request)
    if portal_user is None:
        return Actor(type=ActorType.PORTAL, label=label, **origin)
    return access_records.portal_actor(portal_user=portal_user, access=access, **origin)


def _posted(request: HttpRequest) -> QueryDict | None:
    """The POST data for a bound form, even when empty (an empty POST is still a submission
    and must show its errors)."""
    return request.POST if request.method == "POST" else None


def _client_throttled(request: HttpRequest) -> int | None:
    """Seconds to wait when this client asked for too many emails, else None. Counts the
    request (atomically): the same for every email, so it tells nothing about accounts."""
    verdict = ratelimit.hit(accounts.CUSTOMER_EMAILS_PER_CLIENT, request.client_ip or "unknown")
    return None if verdict.allowed else verdict.retry_after


def _enter(
    request: HttpRequest, user: PortalUser, *, prefer: PortalAccess | None = None
) -> HttpResponse:
    """After a sign-in: straight into the only business, or the chooser for several."""
    accesses = list(auth.usable_accesses(user))
    if not accesses:
        auth.sign_out(request)
        messages.error(request, auth.NO_BUSINESS)
        return redirect("portal-login")
    chosen = None
    if prefer is not None:
        chosen = next((a for a in accesses if a.pk == prefer.pk), None)
    if chosen is None and len(accesses) == 1:
        chosen = accesses[0]
    if chosen is None:
        return redirect("portal-choose")
    auth.enter_access(request, chosen, can_switch=len(accesses) > 1)
    session = auth.PortalSession(user=user, access=chosen)
    access_records.record_sign_in(
        session=session, actor=_actor(request, portal_user=user, access=chosen)
    )
    return redirect("portal-dashboard")


@portal_headers
def login_view(request: HttpRequest) -> HttpResponse:
    resolution = auth.resolve(request)
    if resolution.outcome is auth.Outcome.OK:
        return redirect("portal-dashboard")
    if resolution.outcome is auth.Outcome.SESSION_ENDED and request.method == "POST":
        auth.sign_out(request)  # signing in again: the old session just goes
    elif resolution.outcome in (
        auth.Outcome.CHOOSE,
        auth.Outcome.ACCESS_OFF,
        auth.Outcome.CREDENTIALS_CHANGED,
        auth.Outcome.SESSION_ENDED,
    ):
        # The chooser, or a stale session ended here with its message.
        return refuse(request, resolution)
    form = LoginForm(_posted(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        attempt = auth.attempt_login(
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password"],
            client_ip=request.client_ip,
        )
        if attempt.user is not None:
            auth.sign_in(request, attempt.user)
            return _enter(request, attempt.user)
        if attempt.locked_now:
            # Decided after the answer, so an unknown email is answered just as fast.
            enqueue_after_response(tasks.sign_in_paused, email=form.cleaned_data["email"])
        form.add_error(None, attempt.error)
        status = 429 if attempt.throttled else 200
    return render(request, "portal/login.html", {"form": form}, status=status)


@require_POST
@portal_headers
def logout_view(request: HttpRequest) -> HttpResponse:
    auth.sign_out(request)
    messages.success(request, "You have signed out.")
    return redirect("portal-login")


@portal_headers
def forgot_password(request: HttpRequest) -> HttpResponse:
    form = ForgotPasswordForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        wait = _client_throttled(request)
        if wait is not None:
            form.add_error(None, auth.too_many_attempts(wait))
            return render(request, "portal/forgot_password.html", {"form": form}, status=429)
        # The request does the same for every email: one task; whether there is an account,
        # and which link to send, is decided there, after the answer.
        email = auth.normalize_email(form.cleaned_data["email"])
        actor = _actor(request, portal_user=None, label=email)
        enqueue_after_response(tasks.forgot_password, email=email, actor=actor.to_json())
        return render(request, "portal/neutral.html", {"message": NEUTRAL_RESET})
    return render(request, "portal/forgot_password.html", {"form": form})


def _token_page(request: HttpRequest, token: str, *, purpose: str) -> HttpResponse:
    """Setup and reset links. A GET only shows a form: nothing is used up by a mail scanner."""
    row = find_token(token, purpose=purpose)
    if row is None:
        raise Http404
    status = token_status(row)
    access = row.access
    context = {
        "purpose": purpose,
        "organization": access.organization if access else None,
        "customer": access.customer if access else None,
        "email": row.portal_user.email,
    }
    if status is TokenStatus.REVOKED:
        return render(
            request, "portal/token_invalid.html", {**context, "renewable": False}, status=410
        )
    if status in RENEWABLE:
        if request.method == "POST" and request.POST.get("action") == "request_new":
            wait = _client_throttled(request)
            if wait is not None:
                messages.error(request, auth.too_many_attempts(wait))
            else:
                actor = _actor(request, portal_user=row.portal_user)
                enqueue_after_response(
                    tasks.new_link_requested, token_id=row.pk, actor=actor.to_json()
                )
                return render(
                    request, "portal/neutral.html", {**context, "message": NEUTRAL_NEW_LINK}
                )
        return render(
            request,
            "portal/token_invalid.html",
            {**context, "renewable": True, "reason": accounts.TOKEN_REFUSALS[status]},
            status=410,
        )
    form = NewPasswordForm(_posted(request), user=row.portal_user)
    if request.method == "POST" and request.POST.get("action") != "request_new" and form.is_valid():
        password = form.cleaned_data["new_password1"]
        actor = _actor(request, portal_user=row.portal_user, access=access)
        try:
            if purpose == TokenPurpose.SETUP:
                access = accounts.complete_setup(raw_token=token, password=password, actor=actor)
            else:
                access = accounts.reset_password(
                    raw_token=token, password=password, actor=actor
                ).access
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            user = PortalUser.objects.get(pk=row.portal_user_id)
            auth.sign_in(request, user)
            messages.success(
                request,
                "Your account is set up."
                if purpose == TokenPurpose.SETUP
                else "Your password was changed.",
            )
            return _enter(request, user, prefer=access)
    return render(request, "portal/set_password.html", {**context, "form": form})


@portal_headers
def setup_view(request: HttpRequest, token: str) -> HttpResponse:
    return _token_page(request, token, purpose=TokenPurpose.SETUP)


@portal_headers
def reset_view(request: HttpRequest, token: str) -> HttpResponse:
    return _token_page(request, token, purpose=TokenPurpose.RESET)


@portal_headers
def unlock_view(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed unlock link. A GET only shows a button (a mail scanner unlocks nothing);
    the POST resumes sign-in and sends the person to the sign-in page."""
    row = find_token(token, purpose=TokenPurpose.UNLOCK)
    if row is None:
        raise Http404
    status = token_status(row)
    context = {"organization": row.access.organization if row.access else None}
    if status is not TokenStatus.VALID:
        context["reason"] = accounts.TOKEN_REFUSALS[status]
        return render(request, "portal/unlock.html", context, status=410)
    if request.method == "POST":
        try:
            accounts.unlock_sign_in(raw_token=token)
        except DomainError as error:
            context["reason"] = error.message
            return render(request, "portal/unlock.html", context, status=410)
        messages.success(request, "Sign-in is unlocked. Sign in with your password.")
        return redirect("portal-login")
    return render(request, "portal/unlock.html", {**context, "email": row.portal_user.email})


@portal_headers
def choose_business(request: HttpRequest) -> HttpResponse:
    """A person with access at several businesses picks one (and can switch later)."""
    resolution = auth.resolve(request)
    if resolution.outcome not in (auth.Outcome.OK, auth.Outcome.CHOOSE):
        return refuse(request, resolution)
    user = resolution.user
    accesses = list(auth.usable_accesses(user))
    if not accesses:
        auth.sign_out(request)
        messages.error(request, auth.NO_BUSINESS)
        return redirect("portal-login")
    if request.method == "POST":
        form = ChooseBusinessForm(request.POST)
        wanted = form.cleaned_data["access"] if form.is_valid() else None
        chosen = next((a for a in accesses if a.pk == wanted), None)
        if chosen is None or not access_is_usable(chosen, user):
            raise Http404
        return _enter(request, user, prefer=chosen)
    current = resolution.session.access.pk if resolution.session else None
    return render(request, "portal/choose.html", {"accesses": accesses, "current": current})


@portal_login_required
def settings_view(request: HttpRequest) -> HttpResponse:
    session = request.portal
    form = ChangePasswordForm(_posted(request), user=session.user)
    if request.method == "POST" and form.is_valid():
        try:
            user = accounts.change_password(
                portal_user=session.user,
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password1"],
            )
        except DomainError as error:
            form.add_error(
                "current_password" if error.code == "wrong_password" else None, error.message
            )
        else:
            auth.keep_session_after_password_change(request, user)
            messages.success(
                request, "Your password was changed. Any other signed-in sessions were signed out."
            )
            return redirect("portal-settings")
    return render(
        request,
        "portal/settings.html",
        {
            "form": form,
            "organization": session.organization,
            "customer": session.customer,
            "portal": session,
            "nav": "settings",
        },
    )
