from django.urls import URLPattern, path

from . import views
from .services import ACCEPT, DECLINE


def _link_urls(prefix: str, name: str) -> list[URLPattern]:
    """One link's URLs: /i/<token> for documents, /q/<token> for quotes (the guide's)."""
    kwargs = {"prefix": prefix}
    return [
        path(f"{prefix}/<str:token>", views.link_page, kwargs, name=name),
        path(f"{prefix}/<str:token>/pdf", views.link_pdf, kwargs, name=f"{name}-pdf"),
        path(
            f"{prefix}/<str:token>/request-access",
            views.link_request_access,
            kwargs,
            name=f"{name}-request-access",
        ),
        path(
            f"{prefix}/<str:token>/account",
            views.link_setup_account,
            kwargs,
            name=f"{name}-account",
        ),
    ]


urlpatterns = [
    path("document/<int:pk>/send/", views.DocumentSendView.as_view(), name="document-send"),
    path(
        "customers/<int:pk>/links/revoke/",
        views.CustomerLinksRevokeView.as_view(),
        name="customer-links-revoke",
    ),
    # The guide's URLs: /finance/i/<token>, and /finance/q/<token> for quotes.
    *_link_urls("i", "link-document"),
    *_link_urls("q", "link-quote"),
    path(
        "q/<str:token>/accept",
        views.link_decide,
        {"prefix": "q", "decision": ACCEPT},
        name="link-quote-accept",
    ),
    path(
        "q/<str:token>/decline",
        views.link_decide,
        {"prefix": "q", "decision": DECLINE},
        name="link-quote-decline",
    ),
]
