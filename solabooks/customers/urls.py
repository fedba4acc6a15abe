from django.urls import path

from . import views

urlpatterns = [
    path("", views.CustomerListView.as_view(), name="customer-list"),
    path("new/", views.CustomerCreateView.as_view(), name="customer-create"),
    path("<int:pk>/", views.CustomerDetailView.as_view(), name="customer-detail"),
    path("<int:pk>/edit/", views.CustomerEditView.as_view(), name="customer-edit"),
    path(
        "<int:pk>/portal-access/",
        views.CustomerPortalAccessView.as_view(),
        name="customer-portal-access",
    ),
    path("<int:pk>/activity/", views.CustomerActivityView.as_view(), name="customer-activity"),
]
