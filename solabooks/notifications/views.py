"""Your account > Notifications: the signed-in member's own switches in the current
business. Thin: services decide."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.generic import TemplateView

from solabooks.activity.services import Actor
from solabooks.tenancy.permissions import StaffViewMixin

from . import services
from .forms import NotificationPreferenceForm

FIELDS = ("quote_decided", "first_viewed", "portal_set_up")


class NotificationSettingsView(StaffViewMixin, TemplateView):
    template_name = "notifications/settings.html"

    def get_context_data(self, **kwargs) -> dict:
        if "form" not in kwargs:
            preference = services.preference_for(organization=self.org, user=self.request.user)
            kwargs["form"] = NotificationPreferenceForm(
                initial={field: getattr(preference, field) for field in FIELDS}
            )
        return super().get_context_data(**kwargs)

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        form = NotificationPreferenceForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        services.update_notification_preferences(
            organization=self.org,
            user=request.user,
            actor=Actor.staff(request),
            **{field: form.cleaned_data[field] for field in FIELDS},
        )
        messages.success(request, "Your notification settings were saved.")
        return redirect("notification-settings")
