from django.urls import path

from .views import actions, staff

urlpatterns = [
    path("", staff.ProjectListView.as_view(), name="project-list"),
    path("new/", staff.ProjectCreateView.as_view(), name="project-create"),
    path("<int:pk>/", staff.ProjectDetailView.as_view(), name="project-detail"),
    path("<int:pk>/edit/", staff.ProjectEditView.as_view(), name="project-edit"),
    path("<int:pk>/status/", staff.ProjectStatusView.as_view(), name="project-status"),
    path("<int:pk>/time/", staff.TimeAddView.as_view(), name="project-time-add"),
    path(
        "<int:pk>/time/<int:entry_pk>/edit/",
        actions.TimeEditView.as_view(),
        name="time-entry-edit",
    ),
    path(
        "<int:pk>/time/<int:entry_pk>/delete/",
        actions.TimeDeleteView.as_view(),
        name="time-entry-delete",
    ),
    path("<int:pk>/share/", actions.ProjectShareView.as_view(), name="project-share"),
    path(
        "<int:pk>/request-approval/",
        actions.RequestApprovalView.as_view(),
        name="project-request-approval",
    ),
    path(
        "<int:pk>/requests/<int:request_pk>/withdraw/",
        actions.WithdrawRequestView.as_view(),
        name="approval-request-withdraw",
    ),
    path(
        "<int:pk>/requests/<int:request_pk>/take-out/<int:entry_pk>/",
        actions.TakeOutView.as_view(),
        name="approval-request-take-out",
    ),
    path("<int:pk>/invoice/", actions.InvoiceTimeView.as_view(), name="project-invoice"),
    path("<int:pk>/activity/", staff.ProjectActivityView.as_view(), name="project-activity"),
]
