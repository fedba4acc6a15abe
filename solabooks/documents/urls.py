from django.urls import path

from solabooks.einvoice.views import DocumentEinvoiceXmlView

from . import acceptance_views, views

# Included at "finance/" (see docs/ARCHITECTURE.md for the names).
urlpatterns = [
    path("documents/<slug:kind>/", views.DocumentListView.as_view(), name="document-list"),
    path("documents/<slug:kind>/new/", views.DocumentCreateView.as_view(), name="document-create"),
    path("document/<int:pk>/", views.DocumentDetailView.as_view(), name="document-detail"),
    path("document/<int:pk>/edit/", views.DocumentEditView.as_view(), name="document-edit"),
    path("document/<int:pk>/pdf/", views.DocumentPdfView.as_view(), name="document-pdf"),
    path(
        "document/<int:pk>/print/",
        views.DocumentPdfView.as_view(inline=True),
        name="document-print",
    ),
    # The e-invoice XML alone (invoices and credit notes with e-invoice data).
    path(
        "document/<int:pk>/einvoice.xml",
        DocumentEinvoiceXmlView.as_view(),
        name="document-einvoice-xml",
    ),
    path(
        "document/<int:pk>/activity/",
        views.DocumentActivityView.as_view(),
        name="document-activity",
    ),
    path(
        "document/<int:pk>/state/",
        views.DocumentTransitionView.as_view(),
        name="document-transition",
    ),
    path(
        "document/<int:pk>/reassign/",
        views.DocumentReassignView.as_view(),
        name="document-reassign",
    ),
    path(
        "document/<int:pk>/convert/", views.DocumentConvertView.as_view(), name="document-convert"
    ),
    path(
        "document/<int:pk>/acceptance.pdf",
        acceptance_views.AcceptanceFileView.as_view(which="pdf"),
        name="document-acceptance-pdf",
    ),
    path(
        "document/<int:pk>/acceptance-certificate.pdf",
        acceptance_views.AcceptanceFileView.as_view(which="certificate"),
        name="document-acceptance-certificate",
    ),
    path(
        "quotes/verify/", acceptance_views.VerifyAcceptedPdfView.as_view(), name="verify-accepted"
    ),
    path("settings/quote-terms/", acceptance_views.QuoteTermsView.as_view(), name="quote-terms"),
    path("payments/", views.PaymentListView.as_view(), name="payment-list"),
    path("payments/new/", views.PaymentCreateView.as_view(), name="payment-create"),
    path("payments/<int:pk>/", views.PaymentDetailView.as_view(), name="payment-detail"),
]
