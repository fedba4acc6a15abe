"""/finance/api/: v1 endpoints, the OpenAPI schema and the reference page.

Collections and objects end in a slash (`customers/`, `customers/12/`); actions, which are
all POSTs, do not (`documents/12/send`).
"""

from django.urls import include, path, re_path

from . import reference
from .errors import json_not_found
from .views import (
    acceptance,
    activity,
    customers,
    documents,
    links,
    payments,
    portal,
    project_actions,
    projects,
)

v1 = [
    path("customers/", customers.CustomerListView.as_view(), name="api-customer-list"),
    path("customers/<int:pk>/", customers.CustomerDetailView.as_view(), name="api-customer-detail"),
    path("customers/<int:pk>/links/", links.CustomerLinksView.as_view(), name="api-customer-links"),
    path(
        "customers/<int:pk>/links/revoke",
        links.CustomerLinksRevokeView.as_view(),
        name="api-customer-links-revoke",
    ),
    path(
        "customers/<int:pk>/activity/",
        activity.CustomerActivityView.as_view(),
        name="api-customer-activity",
    ),
    path(
        "customers/<int:pk>/portal-access/",
        portal.PortalAccessView.as_view(),
        name="api-portal-access",
    ),
    path(
        "customers/<int:pk>/portal-access/enable",
        portal.PortalAccessEnableView.as_view(),
        name="api-portal-access-enable",
    ),
    path(
        "customers/<int:pk>/portal-access/resend",
        portal.PortalAccessResendView.as_view(),
        name="api-portal-access-resend",
    ),
    path(
        "customers/<int:pk>/portal-access/disable",
        portal.PortalAccessDisableView.as_view(),
        name="api-portal-access-disable",
    ),
    path("documents/", documents.DocumentListView.as_view(), name="api-document-list"),
    path("documents/<int:pk>/", documents.DocumentDetailView.as_view(), name="api-document-detail"),
    path(
        "documents/<int:pk>/actions/<str:action>",
        documents.DocumentActionView.as_view(),
        name="api-document-action",
    ),
    path(
        "documents/<int:pk>/reassign",
        documents.DocumentReassignView.as_view(),
        name="api-document-reassign",
    ),
    path(
        "documents/<int:pk>/convert",
        documents.DocumentConvertView.as_view(),
        name="api-document-convert",
    ),
    path("documents/<int:pk>/send", links.DocumentSendView.as_view(), name="api-document-send"),
    path(
        "documents/<int:pk>/einvoice.xml",
        documents.DocumentEinvoiceXmlView.as_view(),
        name="api-document-einvoice-xml",
    ),
    path(
        "documents/<int:pk>/acceptance",
        acceptance.DocumentAcceptanceView.as_view(),
        name="api-document-acceptance",
    ),
    path(
        "documents/<int:pk>/acceptance/pdf",
        acceptance.DocumentAcceptancePdfView.as_view(),
        name="api-document-acceptance-pdf",
    ),
    path(
        "documents/<int:pk>/acceptance/certificate",
        acceptance.DocumentAcceptanceCertificateView.as_view(),
        name="api-document-acceptance-certificate",
    ),
    path("documents/<int:pk>/links/", links.DocumentLinksView.as_view(), name="api-document-links"),
    path("links/<int:pk>/revoke", links.LinkRevokeView.as_view(), name="api-link-revoke"),
    path(
        "documents/<int:pk>/activity/",
        activity.DocumentActivityView.as_view(),
        name="api-document-activity",
    ),
    path("projects/", projects.ProjectListView.as_view(), name="api-project-list"),
    path(
        "projects/<int:pk>/",
        projects.ProjectDetailView.as_view(),
        name="api-project-detail",
    ),
    path(
        "projects/<int:pk>/time-entries/",
        projects.TimeEntryListView.as_view(),
        name="api-time-entry-list",
    ),
    path(
        "projects/<int:pk>/time-entries/<int:entry_id>/",
        projects.TimeEntryDetailView.as_view(),
        name="api-time-entry-detail",
    ),
    path(
        "projects/<int:pk>/share",
        project_actions.ProjectShareView.as_view(),
        name="api-project-share",
    ),
    path(
        "projects/<int:pk>/request-approval",
        project_actions.RequestApprovalView.as_view(),
        name="api-project-request-approval",
    ),
    path(
        "projects/<int:pk>/approval-requests/<int:request_id>/withdraw",
        project_actions.WithdrawRequestView.as_view(),
        name="api-approval-request-withdraw",
    ),
    path(
        "projects/<int:pk>/invoice",
        project_actions.ProjectInvoiceView.as_view(),
        name="api-project-invoice",
    ),
    path(
        "projects/<int:pk>/activity/",
        projects.ProjectActivityView.as_view(),
        name="api-project-activity",
    ),
    path("payments/", payments.PaymentListView.as_view(), name="api-payment-list"),
    path("payments/<int:pk>/", payments.PaymentDetailView.as_view(), name="api-payment-detail"),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", reference.schema_view, name="api-schema"),
    path("docs/", reference.reference_view, name="api-docs"),
    # Anything else under /finance/api/ is a JSON 404, never an HTML page.
    re_path(r"^[\s\S]*$", json_not_found),
]
