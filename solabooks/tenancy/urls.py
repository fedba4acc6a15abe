from django.urls import path

from . import views

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("login/", views.staff_login, name="staff-login"),
    path("logout/", views.staff_logout, name="staff-logout"),
    path("switch/", views.switch_organization, name="switch-organization"),
    path("no-business/", views.no_organization, name="no-organization"),
    # Owner only.
    path("settings/", views.OrganizationSettingsView.as_view(), name="organization-settings"),
    path("settings/members/", views.MemberListView.as_view(), name="member-list"),
    path("settings/members/<int:pk>/role/", views.MemberRoleView.as_view(), name="member-role"),
    path(
        "settings/members/<int:pk>/remove/", views.MemberRemoveView.as_view(), name="member-remove"
    ),
    path("settings/api-keys/", views.ApiKeyListView.as_view(), name="api-key-list"),
    path(
        "settings/api-keys/<int:pk>/revoke/",
        views.ApiKeyRevokeView.as_view(),
        name="api-key-revoke",
    ),
]
