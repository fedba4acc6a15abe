"""Demo mailbox pages. Included by solabooks/urls.py only when settings.SOLABOOKS_DEMO."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.mailbox_list, name="demo-mailbox"),
    path("<str:message_id>/", views.mailbox_message, name="demo-mailbox-message"),
    path("<str:message_id>/html/", views.mailbox_message_html, name="demo-mailbox-html"),
]
