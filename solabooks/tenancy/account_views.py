"""Staff account pages: sign in and out, forgot password, the emailed links (reset, first
password, unlock) and Your account (change password). Thin: tenancy.accounts decides."""

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from solabooks.core import ratelimit
from solabooks.core.background import enqueue_after_response
from solabooks.core.errors import DomainError
from solabooks.core.passwords import ChangePasswordForm, NewPasswordForm
from solabooks.core.signin import too_many_attempts
from solabooks.core.tokenpages import TOKEN_PAGE_HEADERS

from . import accounts, tasks
from .forms import ForgotPasswordForm, StaffLoginForm
from .models import StaffTokenPurpose

NEUTRAL_RESET = (
    "If that email has a Solabooks account, we have sent it a link to choose a new password. "
    "The link works for 60 minutes."
)


def _posted(request: HttpRequest) -> QueryDict | None:
    return request.POST if request.method == "POST" else None


def _safe_next(request: HttpRequest) -> bool:
    target = request.GET.get("next")
    return bool(target) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


@never_cache
def staff_login(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = StaffLoginForm(_posted(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        result = accounts.sign_in(
            request=request,
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password"],
        )
        if result.user is not None:
            login(request, result.user)
            return redirect(request.GET.get("next") if _safe_next(request) else "dashboard")
        if result.locked_now:
            # Decided after the answer, so an unknown email is answered just as fast.
            enqueue_after_response(tasks.sign_in_paused, email=form.cleaned_data["email"])
        form.add_error(None, result.error)
        status = result.status
    return render(request, "tenancy/login.html", {"form": form}, status=status)


@require_POST
def staff_logout(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("staff-login")


@never_cache
def forgot_password(request: HttpRequest) -> HttpResponse:
    form = ForgotPasswordForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        verdict = ratelimit.hit(accounts.EMAILS_PER_CLIENT, request.client_ip or "unknown")
        if not verdict.allowed:
            form.add_error(None, too_many_attempts(verdict.retry_after))
            return render(request, "tenancy/forgot_password.html", {"form": form}, status=429)
        # The same for every email: one task; whether there is an account is decided
        # there, after the answer.
        email = accounts.normalize_email(form.cleaned_data["email"])
        enqueue_after_response(tasks.forgot_password, email=email)
        return render(request, "tenancy/neutral.html", {"message": NEUTRAL_RESET})
    return render(request, "tenancy/forgot_password.html", {"form": form})


def _token_page(request: HttpRequest, token: str, purpose: str) -> HttpResponse:
    row = accounts.find_link(token, purpose=purpose)
    if row is None:
        raise Http404
    status = accounts.link_status(row)
    context = {"purpose": purpose, "email": row.user.email}
    if status is not accounts.LinkStatus.VALID:
        context["reason"] = accounts.LINK_REFUSALS[status]
        return render(request, "tenancy/link_invalid.html", context, status=410)
    if purpose == StaffTokenPurpose.UNLOCK:
        if request.method == "POST":
            try:
                accounts.unlock_sign_in(raw_token=token)
            except DomainError as error:
                context["reason"] = error.message
                return render(request, "tenancy/link_invalid.html", context, status=410)
            messages.success(request, "Sign-in is unlocked. Sign in with your password.")
            return redirect("staff-login")
        return render(request, "tenancy/unlock.html", context)
    form = NewPasswordForm(_posted(request), user=row.user)
    if request.method == "POST" and form.is_valid():
        try:
            user = accounts.set_password_from_link(
                raw_token=token, purpose=purpose, password=form.cleaned_data["new_password1"]
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            if request.user.is_authenticated:
                logout(request)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                "Your password was changed. Any other signed-in sessions were signed out."
                if purpose == StaffTokenPurpose.RESET
                else "Your password is set. Welcome to Solabooks.",
            )
            return redirect("dashboard")
    return render(request, "tenancy/set_password.html", {**context, "form": form})


def _with_token_headers(response: HttpResponse) -> HttpResponse:
    for header, value in TOKEN_PAGE_HEADERS.items():
        response[header] = value
    return response


def reset_view(request: HttpRequest, token: str) -> HttpResponse:
    return _with_token_headers(_token_page(request, token, StaffTokenPurpose.RESET))


def setup_view(request: HttpRequest, token: str) -> HttpResponse:
    return _with_token_headers(_token_page(request, token, StaffTokenPurpose.SETUP))


def unlock_view(request: HttpRequest, token: str) -> HttpResponse:
    return _with_token_headers(_token_page(request, token, StaffTokenPurpose.UNLOCK))


@login_required
def account_view(request: HttpRequest) -> HttpResponse:
    """Your account: change your password (every other session of yours ends)."""
    form = ChangePasswordForm(_posted(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            user = accounts.change_password(
                user=request.user,
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password1"],
            )
        except DomainError as error:
            form.add_error(
                "current_password" if error.code == "wrong_password" else None, error.message
            )
        else:
            update_session_auth_hash(request, user)  # this session stays signed in
            messages.success(
                request, "Your password was changed. Any other signed-in sessions were signed out."
            )
            return redirect("staff-account")
    return render(request, "tenancy/account.html", {"form": form})
