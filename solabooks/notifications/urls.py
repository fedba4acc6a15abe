from django.urls import path

from . import views

urlpatterns = [
    path(
        "account/notifications/",
        views.NotificationSettingsView.as_view(),
        name="notification-settings",
    ),
]
