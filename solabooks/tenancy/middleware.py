from django.http import HttpRequest, HttpResponse

from .models import Membership

SESSION_KEY = "current_organization_id"


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
