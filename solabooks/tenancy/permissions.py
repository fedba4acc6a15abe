"""What each role may do (SPEC 1). Views ask these; they never compare role strings."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import redirect

from .models import Role

# All three roles: customers, documents, payments, sending, portal access, links,
# activity, projects and time. Owners alone: settings, branding, members, API keys.
OWNER_ONLY = frozenset({"manage_settings", "manage_members", "manage_api_keys"})


def can(membership, action: str) -> bool:
    if membership is None:
        return False
    if action in OWNER_ONLY:
        return membership.role == Role.OWNER
    return True


class StaffViewMixin(LoginRequiredMixin):
    """A staff page of the current business. Sets self.org and self.membership."""

    required_action: str | None = None

    def dispatch(self, request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if request.organization is None:
            return redirect("no-organization")
        if self.required_action and not can(request.membership, self.required_action):
            raise PermissionDenied("Only the business's owner can do this.")
        self.org = request.organization
        self.membership = request.membership
        return super().dispatch(request, *args, **kwargs)


class OwnerRequiredMixin(StaffViewMixin):
    required_action = "manage_settings"
