"""The customer's project links, beside the document links (/finance/i/, /finance/q/)."""

from django.urls import path

from .views import links

urlpatterns = [
    path("p/<str:token>", links.project_link_page, name="link-project"),
    path("t/<str:token>", links.time_approval_link_page, name="link-time-approval"),
]
