from rest_framework.permissions import BasePermission


class IsOrganizationMember(BasePermission):
    """The request acts for exactly one business: its API key's, or the staff session's."""

    def has_permission(self, request, view) -> bool:
        return getattr(request, "api_organization", None) is not None
