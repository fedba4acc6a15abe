"""Your account > Notifications: the signed-in member's own switches in the current
business, and, for owners, those of the business's reply-to address. Thin: services
decide."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.generic import TemplateView

from solabooks.activity.services import Actor
from solabooks.tenancy.permissions import StaffViewMixin, can

from . import services
from .forms import NotificationPreferenceForm

FIELDS = ("quote_decided", "first_viewed", "portal_set_up")
# The POST's `for`: whose switches it sets.
FOR_ME, FOR_REPLY_TO = "me", "reply_to"
REPLY_TO_PREFIX = "reply_to"


class NotificationSettingsView(StaffViewMixin, TemplateView):
    template_name = "notifications/settings.html"

    def _manages_reply_to(self) -> bool:
        return can(self.membership, "manage_settings")

    def _form_for(self, user, prefix: str | None) -> NotificationPreferenceForm:
        preference = services.preference_for(organization=self.org, user=user)
        return NotificationPreferenceForm(
            prefix=prefix, initial={field: getattr(preference, field) for field in FIELDS}
        )

    def get_context_data(self, **kwargs) -> dict:
        kwargs.setdefault("form", self._form_for(self.request.user, None))
        if self._manages_reply_to() and self.org.reply_to_email:
            kwargs.setdefault("reply_to_form", self._form_for(None, REPLY_TO_PREFIX))
        return super().get_context_data(**kwargs)

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        for_reply_to = request.POST.get("for") == FOR_REPLY_TO
        if for_reply_to and not self._manages_reply_to():
            raise PermissionDenied("Only the business's owner sets the reply-to address's emails.")
        form = NotificationPreferenceForm(
            request.POST, prefix=REPLY_TO_PREFIX if for_reply_to else None
        )
        if not form.is_valid():
            key = "reply_to_form" if for_reply_to else "form"
            return self.render_to_response(self.get_context_data(**{key: form}), status=400)
        services.update_notification_preferences(
            organization=self.org,
            user=None if for_reply_to else request.user,
            actor=Actor.staff(request),
            **{field: form.cleaned_data[field] for field in FIELDS},
        )
        whose = f"{self.org.reply_to_email}'s" if for_reply_to else "Your"
        messages.success(request, f"{whose} notification settings were saved.")
        return redirect("notification-settings")
