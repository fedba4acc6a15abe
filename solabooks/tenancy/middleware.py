from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from solabooks.core import sessions

from .models import Membership

SESSION_KEY = "current_organization_id"
SESSION_ENDED = "You were signed out: your session ended. Please sign in again."


class StaffSessionLifetimeMiddleware:
    """Ends a staff session past its absolute or idle limit (core.sessions), before any
    view or API call sees the user. Runs after AuthenticationMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not sessions.still_alive(request.session, sessions.STAFF)
        ):
            logout(request)
            messages.info(request, SESSION_ENDED)
        return self.get_response(request)


def start_staff_session_clock(sender, request, user, **kwargs) -> None:
    """user_logged_in receiver: every staff sign-in (the login page, a password reset,
    the test client) starts the session's clocks."""
    if request is not None and hasattr(request, "session"):
        sessions.start(request.session, sessions.STAFF)


class CurrentOrganizationMiddleware:
    """Sets request.organization and request.membership for signed-in staff.

    The business comes from the session, and only through one of the user's own
    memberships, so no request can choose a business its user does not belong to.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.organization = None
        request.membership = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            memberships = Membership.objects.filter(user=user).select_related("organization")
            wanted = request.session.get(SESSION_KEY)
            membership = None
            if wanted is not None:
                membership = memberships.filter(organization_id=wanted).first()
            if membership is None:
                membership = memberships.order_by("organization__name", "id").first()
                if membership is not None:
                    request.session[SESSION_KEY] = membership.organization_id
            if membership is not None:
                request.membership = membership
                request.organization = membership.organization
        return self.get_response(request)
