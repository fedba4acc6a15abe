from rest_framework.permissions import BasePermission


class IsOrganizationMember(BasePermission):
    """The request acts for exactly one business: its API key's, or the staff session's
    (through one of the signed-in user's memberships). All three roles may use every API
    endpoint (SPEC 1): the owner-only areas (settings, members, keys) are not in the API."""

    message = "This account does not belong to a business."

    def has_permission(self, request, view) -> bool:
        return getattr(request, "api_organization", None) is not None
