"""Staff-side portal actions, mounted under /finance/customers/."""

from django.urls import path

from .views import staff

urlpatterns = [
    path(
        "<int:pk>/portal/enable/",
        staff.EnablePortalAccessView.as_view(),
        name="portal-access-enable",
    ),
    path(
        "<int:pk>/portal/resend/",
        staff.ResendPortalSetupView.as_view(),
        name="portal-access-resend",
    ),
    path(
        "<int:pk>/portal/disable/",
        staff.DisablePortalAccessView.as_view(),
        name="portal-access-disable",
    ),
]
