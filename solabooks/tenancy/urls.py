from django.urls import path

from . import account_views, views

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("login/", account_views.staff_login, name="staff-login"),
    path("logout/", account_views.staff_logout, name="staff-logout"),
    path("password/forgot/", account_views.forgot_password, name="staff-forgot-password"),
    # Token paths: /reset/, /setup/ and /unlock/ are redacted from logs (core/logging.py).
    path("password/reset/<str:token>", account_views.reset_view, name="staff-reset"),
    path("password/setup/<str:token>", account_views.setup_view, name="staff-setup"),
    path("password/unlock/<str:token>", account_views.unlock_view, name="staff-unlock"),
    path("account/", account_views.account_view, name="staff-account"),
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
