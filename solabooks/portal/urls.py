"""The customer portal, mounted at /finance/customer-portal/."""

from django.urls import path, re_path

from solabooks.documents.models import Kind

from .views import account, pages, projects

urlpatterns = [
    # The guide's address is /finance/customer-portal/login; the trailing slash works too.
    re_path(r"^login/?$", account.login_view, name="portal-login"),
    path("logout/", account.logout_view, name="portal-logout"),
    path("forgot-password/", account.forgot_password, name="portal-forgot-password"),
    # Token paths: /setup/, /reset/ and /unlock/ are redacted from logs (core/logging.py).
    path("setup/<str:token>", account.setup_view, name="portal-setup"),
    path("reset/<str:token>", account.reset_view, name="portal-reset"),
    path("unlock/<str:token>", account.unlock_view, name="portal-unlock"),
    path("choose/", account.choose_business, name="portal-choose"),
    path("settings/", account.settings_view, name="portal-settings"),
    path("", pages.dashboard, name="portal-dashboard"),
    path("invoices/", pages.document_list, {"kind": Kind.INVOICE}, name="portal-invoices"),
    path("quotes/", pages.document_list, {"kind": Kind.QUOTE}, name="portal-quotes"),
    path("orders/", pages.document_list, {"kind": Kind.SALES_ORDER}, name="portal-orders"),
    path(
        "credit-notes/",
        pages.document_list,
        {"kind": Kind.CREDIT_NOTE},
        name="portal-credit-notes",
    ),
    path("payments/", pages.payment_list, name="portal-payments"),
    path("payments/<int:pk>/", pages.payment_detail, name="portal-payment"),
    path("documents/<int:pk>/", pages.document_detail, name="portal-document"),
    path("documents/<int:pk>/pdf/", pages.document_pdf, name="portal-document-pdf"),
    path(
        "documents/<int:pk>/einvoice.xml",
        pages.document_einvoice_xml,
        name="portal-document-einvoice-xml",
    ),
    path("documents/<int:pk>/decision/", pages.quote_decision, name="portal-quote-decision"),
    path("projects/", projects.project_list, name="portal-projects"),
    path("projects/<int:pk>/", projects.project_detail, name="portal-project"),
    path("approvals/<int:pk>/", projects.approval_page, name="portal-approval"),
]
