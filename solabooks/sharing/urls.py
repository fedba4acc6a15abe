from django.urls import path

from . import staff_views, views

urlpatterns = [
    path("document/<int:pk>/send/", staff_views.DocumentSendView.as_view(), name="document-send"),
    path(
        "document/<int:pk>/preview/",
        staff_views.DocumentPreviewView.as_view(),
        name="document-preview",
    ),
    path(
        "customers/<int:pk>/links/revoke/",
        staff_views.CustomerLinksRevokeView.as_view(),
        name="customer-links-revoke",
    ),
    path("links/<int:pk>/revoke/", staff_views.LinkRevokeView.as_view(), name="link-revoke"),
    # The guide's URLs: /finance/i/<token>, and /finance/q/<token> for quotes. One URL per
    # link: the PDF is ?format=pdf and the page's forms post back to it (see views).
    path("i/<str:token>", views.link_page, {"prefix": "i"}, name="link-document"),
    path("q/<str:token>", views.link_page, {"prefix": "q"}, name="link-quote"),
]
