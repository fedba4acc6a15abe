from django.urls import path

from . import views

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("login/", views.staff_login, name="staff-login"),
    path("logout/", views.staff_logout, name="staff-logout"),
    path("switch/", views.switch_organization, name="switch-organization"),
    path("no-business/", views.no_organization, name="no-organization"),
]
