"""Projects and time: a project of Jane's Bakery with a rate, staff to log time, and the
emailed links read out of mail.outbox, as a customer would get them."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client

from solabooks.activity.services import Actor
from solabooks.projects import approvals
from solabooks.projects.services import EntryInput, ProjectInput, add_time_entries, create_project

PROJECT_LINK = re.compile(r"https?://[^\s\"'<>]+?(/finance/([pt])/([A-Za-z0-9_\-]+))")
DAY = datetime.date(2026, 11, 2)


def link_path_in(message) -> str:
    found = PROJECT_LINK.search(message.body)
    assert found, f"no project link in the email: {message.body!r}"
    return found.group(1)


def newest_link(before: int, to: str) -> str:
    """The link in the one email to `to` delivered since `before` (the outbox may deliver
    other queued emails, such as the business's notice of a decision, in the same run)."""
    sent = [message for message in mail.outbox[before:] if to in message.to]
    assert len(sent) == 1, [message.subject for message in mail.outbox[before:]]
    return link_path_in(sent[0])


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def staff_actor(owner) -> Actor:
    return Actor(type="staff", user=owner, label=owner.email)


@pytest.fixture
def project(org, customer, staff_actor):
    return create_project(
        organization=org,
        customer=customer,
        actor=staff_actor,
        data=ProjectInput(
            name="Website redesign",
            budget_hours=Decimal("40"),
            budget_amount=Decimal("4000"),
            default_rate=Decimal("100"),
        ),
    )


def log(project, actor, *rows):
    """log(project, actor, ("1.5", "Design"), ...) -> entries, on consecutive days."""
    return add_time_entries(
        project=project,
        actor=actor,
        entries=[
            EntryInput(date=DAY + datetime.timedelta(days=n), hours=Decimal(h), description=d)
            for n, (h, d) in enumerate(rows)
        ],
    )


@pytest.fixture
def entries(project, staff_actor):
    return log(project, staff_actor, ("2", "Kick-off"), ("3.5", "Wireframes"), ("1.25", "Review"))


@pytest.fixture
def request_approval(django_capture_on_commit_callbacks, staff_actor):
    """request_approval(project, entry_ids=None) -> (LinkSent, /finance/t/<token>)."""

    def _request(project, **kwargs):
        before = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            result = approvals.request_time_approval(project=project, actor=staff_actor, **kwargs)
        return result, newest_link(before, result.sent_to)

    return _request


@pytest.fixture
def share(django_capture_on_commit_callbacks, staff_actor):
    def _share(project, **kwargs):
        before = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            result = approvals.share_project(project=project, actor=staff_actor, **kwargs)
        return result, newest_link(before, result.sent_to)

    return _share


@pytest.fixture
def customer_client() -> Client:
    return Client(HTTP_USER_AGENT="Mozilla/5.0 (Customer)", REMOTE_ADDR="203.0.113.7")


def customer_actor(link) -> Actor:
    return Actor(
        type="link",
        label=f"link #{link.pk}",
        ip="203.0.113.7",
        user_agent="Mozilla/5.0 (Customer)",
        extra={"link_id": link.pk},
    )
