"""The two wrappers every portal view wears: private-page headers and the session check."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.defaults import page_not_found

from solabooks.core.tokenpages import TOKEN_PAGE_HEADERS

from . import auth


def portal_headers(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The headers of link pages, on every portal page: they show a customer's finances or
    carry a token in the URL, so they are never cached, indexed, framed or referred to
    another origin. CSRF is checked here (Django's own check), so that a refused POST and
    a 404 carry these headers too."""
    protected = csrf_protect(view)

    @csrf_exempt  # only from the middleware's check: `protected` runs it, token included
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            response = protected(request, *args, **kwargs)
        except Http404 as exception:
            # The same not-found page as anywhere else, but with these headers too: the URL
            # of an unknown token must not leak through a Referer either.
            response = page_not_found(request, exception)
        for header, value in TOKEN_PAGE_HEADERS.items():
            response[header] = value
        return response

    return wrapper


def refuse(request: HttpRequest, resolution: auth.Resolution) -> HttpResponse:
    """End a session the current state no longer allows, and say why on the login page."""
    if resolution.outcome is auth.Outcome.CHOOSE:
        return redirect("portal-choose")
    if resolution.outcome is auth.Outcome.ACCESS_OFF:
        auth.sign_out(request)
        messages.error(request, auth.access_turned_off(resolution.business_name))
    elif resolution.outcome is auth.Outcome.CREDENTIALS_CHANGED:
        auth.sign_out(request)
        messages.warning(request, "Your password was changed. Please sign in again.")
    elif resolution.outcome is auth.Outcome.SESSION_ENDED:
        auth.sign_out(request)
        messages.info(request, "Your session ended. Please sign in again.")
    return redirect("portal-login")


def portal_login_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Checks the portal session against the current state on every request and sets
    `request.portal` (a `PortalSession`). Refused sessions end here, with a message."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        resolution = auth.resolve(request)
        if resolution.outcome is auth.Outcome.OK:
            request.portal = resolution.session
            return view(request, *args, **kwargs)
        return refuse(request, resolution)

    return portal_headers(wrapper)
