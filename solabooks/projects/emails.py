"""The projects app's emails: a project shared, time sent for approval and a fresh link
(to the customer's email on file), and the customer's decision (to the business).

Links carry the raw token only as `secret_url` (encrypted in the outbox, `{{ link_url }}`
in the templates), never in the context.
"""

from decimal import Decimal

from django.conf import settings
from django.urls import reverse

from solabooks.core.money import ZERO
from solabooks.mail.services import queue_email
from solabooks.sharing.models import SecureLink
from solabooks.sharing.selectors import PROJECT_PREFIXES

URL_NAMES = {"p": "link-project", "t": "link-time-approval"}


def link_url(*, link: SecureLink, raw_token: str) -> str:
    name = URL_NAMES[PROJECT_PREFIXES[link.purpose]]
    return settings.BASE_URL + reverse(name, kwargs={"token": raw_token})


def _base(project, link: SecureLink | None = None) -> dict:
    context = {"project": project, "organization": project.organization}
    if link is not None:
        context["expires_at"] = link.expires_at
    return context


def queue_project_shared(*, project, link: SecureLink, raw_token: str, message: str):
    return queue_email(
        organization=project.organization,
        to=link.sent_to,
        template="project_shared",
        context={**_base(project, link), "message": message},
        customer=project.customer,
        secret_url=link_url(link=link, raw_token=raw_token),
    )


def queue_approval_requested(*, approval_request, project, link, raw_token: str, items):
    hours = sum((item.hours for item in items), ZERO)
    amount = sum((item.amount for item in items), ZERO)
    return queue_email(
        organization=project.organization,
        to=link.sent_to,
        template="time_approval_requested",
        context={
            **_base(project, link),
            "message": approval_request.message,
            "count": len(items),
            "hours": hours,
            "amount": amount,
            "currency": project.currency,
        },
        customer=project.customer,
        secret_url=link_url(link=link, raw_token=raw_token),
    )


def queue_fresh_project_link(*, project, link: SecureLink, raw_token: str):
    return queue_email(
        organization=project.organization,
        to=link.sent_to,
        template="project_fresh_link",
        context={**_base(project, link), "is_approval": link.purpose == "time_approval"},
        customer=project.customer,
        secret_url=link_url(link=link, raw_token=raw_token),
    )


def business_recipient(approval_request) -> str:
    """The business's reply-to address; failing that, the member who sent the request."""
    organization = approval_request.organization
    if organization.reply_to_email:
        return organization.reply_to_email
    creator = approval_request.created_by
    return creator.email if creator is not None else ""


def queue_time_decided(*, approval_request, project, approved, rejected):
    """One email per decision to the business, summarising it (none when it has no
    address at all: the project page and Activity still show the decision)."""
    to = business_recipient(approval_request)
    if not to:
        return None
    hours: Decimal = sum((item.hours for item in approved), ZERO)
    return queue_email(
        organization=project.organization,
        to=to,
        template="time_decided",
        context={
            **_base(project),
            "customer": project.customer,
            "approved": approved,
            "rejected": rejected,
            "approved_hours": hours,
            "project_url": settings.BASE_URL + reverse("project-detail", args=[project.pk]),
        },
        customer=project.customer,
    )
