"""/finance/api/: v1 endpoints, the OpenAPI schema and the reference page.

Collections and objects end in a slash (`customers/`, `customers/12/`); actions, which are
all POSTs, do not (`documents/12/send`).
"""

from django.urls import include, path, re_path

from . import project_action_views, project_views, reference, views
from .errors import json_not_found

v1 = [
    path("customers/", views.CustomerListView.as_view(), name="api-customer-list"),
    path("customers/<int:pk>/", views.CustomerDetailView.as_view(), name="api-customer-detail"),
    path("customers/<int:pk>/links/", views.CustomerLinksView.as_view(), name="api-customer-links"),
    path(
        "customers/<int:pk>/links/revoke",
        views.CustomerLinksRevokeView.as_view(),
        name="api-customer-links-revoke",
    ),
    path(
        "customers/<int:pk>/activity/",
        views.CustomerActivityView.as_view(),
        name="api-customer-activity",
    ),
    path(
        "customers/<int:pk>/portal-access/",
        views.PortalAccessView.as_view(),
        name="api-portal-access",
    ),
    path(
        "customers/<int:pk>/portal-access/enable",
        views.PortalAccessEnableView.as_view(),
        name="api-portal-access-enable",
    ),
    path(
        "customers/<int:pk>/portal-access/resend",
        views.PortalAccessResendView.as_view(),
        name="api-portal-access-resend",
    ),
    path(
        "customers/<int:pk>/portal-access/disable",
        views.PortalAccessDisableView.as_view(),
        name="api-portal-access-disable",
    ),
    path("documents/", views.DocumentListView.as_view(), name="api-document-list"),
    path("documents/<int:pk>/", views.DocumentDetailView.as_view(), name="api-document-detail"),
    path(
        "documents/<int:pk>/actions/<str:action>",
        views.DocumentActionView.as_view(),
        name="api-document-action",
    ),
    path(
        "documents/<int:pk>/reassign",
        views.DocumentReassignView.as_view(),
        name="api-document-reassign",
    ),
    path(
        "documents/<int:pk>/convert",
        views.DocumentConvertView.as_view(),
        name="api-document-convert",
    ),
    path("documents/<int:pk>/send", views.DocumentSendView.as_view(), name="api-document-send"),
    path("documents/<int:pk>/links/", views.DocumentLinksView.as_view(), name="api-document-links"),
    path("links/<int:pk>/revoke", views.LinkRevokeView.as_view(), name="api-link-revoke"),
    path(
        "documents/<int:pk>/activity/",
        views.DocumentActivityView.as_view(),
        name="api-document-activity",
    ),
    path("projects/", project_views.ProjectListView.as_view(), name="api-project-list"),
    path(
        "projects/<int:pk>/",
        project_views.ProjectDetailView.as_view(),
        name="api-project-detail",
    ),
    path(
        "projects/<int:pk>/time-entries/",
        project_views.TimeEntryListView.as_view(),
        name="api-time-entry-list",
    ),
    path(
        "projects/<int:pk>/time-entries/<int:entry_id>/",
        project_views.TimeEntryDetailView.as_view(),
        name="api-time-entry-detail",
    ),
    path(
        "projects/<int:pk>/share",
        project_action_views.ProjectShareView.as_view(),
        name="api-project-share",
    ),
    path(
        "projects/<int:pk>/request-approval",
        project_action_views.RequestApprovalView.as_view(),
        name="api-project-request-approval",
    ),
    path(
        "projects/<int:pk>/approval-requests/<int:request_id>/withdraw",
        project_action_views.WithdrawRequestView.as_view(),
        name="api-approval-request-withdraw",
    ),
    path(
        "projects/<int:pk>/invoice",
        project_action_views.ProjectInvoiceView.as_view(),
        name="api-project-invoice",
    ),
    path(
        "projects/<int:pk>/activity/",
        project_views.ProjectActivityView.as_view(),
        name="api-project-activity",
    ),
    path("payments/", views.PaymentListView.as_view(), name="api-payment-list"),
    path("payments/<int:pk>/", views.PaymentDetailView.as_view(), name="api-payment-detail"),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", reference.schema_view, name="api-schema"),
    path("docs/", reference.reference_view, name="api-docs"),
    # Anything else under /finance/api/ is a JSON 404, never an HTML page.
    re_path(r"^[\s\S]*$", json_not_found),
]
