import datetime
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from solabooks.activity.models import Activity, Verb
from solabooks.mail.delivery import (
    MAX_ATTEMPTS,
    Delivery,
    claim_message,
    deliver_due_messages,
    deliver_message,
    retry_delay,
)
from solabooks.mail.models import OutboxMessage, OutboxState
from solabooks.mail.services import LINK_PLACEHOLDER, queue_email
from solabooks.mail.tasks import deliver_outbox_message
from tests.factories import make_document
from tests.mail.helpers import dump_all_tables, queue_link_email, secret_link

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(customer):
    return make_document(customer=customer)


def verbs(document) -> list[str]:
    return list(
        Activity.objects.filter(document=document).order_by("id").values_list("verb", flat=True)
    )


def test_delivered_right_after_commit_with_the_link_and_a_stable_message_id(
    document, django_capture_on_commit_callbacks
):
    url = secret_link()
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_link_email(document, secret_url=url)

    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["jane@bakery.test"]
    assert sent.extra_headers["Message-ID"] == message.message_id
    assert url in sent.body and LINK_PLACEHOLDER not in sent.body
    html = sent.alternatives[0][0]
    assert f'href="{url}"' in html and LINK_PLACEHOLDER not in html
    message.refresh_from_db()
    assert message.state == OutboxState.SENT
    assert message.sent_at is not None and message.attempts == 1
    assert message.secret_url_encrypted == ""  # wiped once sent


def test_after_delivery_no_table_holds_the_token(document, django_capture_on_commit_callbacks):
    url = secret_link()
    token = url.rsplit("/", 1)[1]
    with django_capture_on_commit_callbacks(execute=True):
        queue_link_email(document, secret_url=url)
    assert token in mail.outbox[0].body  # it did go out, in the email
    dump = dump_all_tables()
    assert token not in dump
    assert OutboxMessage.objects.get().secret_url_encrypted == ""


def test_delivery_shows_in_the_document_activity(document, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_link_email(document, secret_url=secret_link())
    delivered = Activity.objects.get(document=document, verb=Verb.EMAIL_DELIVERED)
    assert delivered.details == {"to": "jane@bakery.test", "message_id": message.message_id}
    assert delivered.customer == document.customer
    assert delivered.actor_type == "system"


def test_a_message_is_sent_once_however_often_delivery_runs(document):
    message = queue_link_email(document, secret_url=secret_link())
    assert deliver_message(message.pk) == Delivery.SENT
    assert deliver_message(message.pk) == Delivery.SKIPPED
    deliver_outbox_message.call(message.pk)
    assert deliver_due_messages() == 0
    assert len(mail.outbox) == 1


def test_claim_is_granted_once(document):
    message = queue_link_email(document, secret_url=secret_link())
    assert claim_message(message.pk) is True
    assert claim_message(message.pk) is False
    message.refresh_from_db()
    assert message.state == OutboxState.SENDING and message.attempts == 1


def test_failure_requeues_with_backoff_and_keeps_the_secret_out_of_errors(document, settings):
    settings.EMAIL_BACKEND = "tests.mail.helpers.DownBackend"
    url = secret_link()
    token = url.rsplit("/", 1)[1]
    message = queue_link_email(document, secret_url=url)
    before = timezone.now()

    assert deliver_message(message.pk) == Delivery.RETRYING

    message.refresh_from_db()
    assert message.state == OutboxState.QUEUED
    assert message.attempts == 1
    assert message.next_attempt_at >= before + datetime.timedelta(seconds=30)
    assert "SMTPServerDisconnected" in message.last_error
    assert token not in message.last_error and "[link]" in message.last_error
    assert message.secret_url_encrypted != ""  # still needed for the retry
    retrying = Activity.objects.get(document=document, verb=Verb.EMAIL_RETRYING)
    assert retrying.details["attempt"] == 1 and token not in str(retrying.details)
    assert token not in dump_all_tables()
    # Not due yet: a sweep leaves it alone.
    assert deliver_due_messages() == 0
    assert OutboxMessage.objects.get().attempts == 1


def test_backoff_doubles_and_is_capped():
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert retry_delay(8) == datetime.timedelta(hours=1)
    assert retry_delay(50) == datetime.timedelta(hours=1)


def test_after_max_attempts_it_fails_and_says_so(document, settings):
    settings.EMAIL_BACKEND = "tests.mail.helpers.DownBackend"
    message = queue_link_email(document, secret_url=secret_link())
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(MAX_ATTEMPTS):
            assert deliver_message(message.pk) in (Delivery.RETRYING, Delivery.FAILED)
            clock.shift(datetime.timedelta(hours=2))
    message.refresh_from_db()
    assert message.state == OutboxState.FAILED
    assert message.attempts == MAX_ATTEMPTS
    assert message.secret_url_encrypted == ""  # given up on: no reason to keep the secret
    assert verbs(document).count(Verb.EMAIL_RETRYING) == MAX_ATTEMPTS - 1
    assert verbs(document)[-1] == Verb.EMAIL_FAILED
    assert deliver_message(message.pk) == Delivery.SKIPPED


def test_a_refused_address_fails_at_once(document, settings):
    settings.EMAIL_BACKEND = "tests.mail.helpers.RefusingBackend"
    message = queue_link_email(document, secret_url=secret_link())
    assert deliver_message(message.pk) == Delivery.FAILED
    failed = Activity.objects.get(document=document, verb=Verb.EMAIL_FAILED)
    assert "No such user" in failed.details["error"]


def test_a_backend_that_silently_sends_nothing_counts_as_a_failure(document, settings):
    settings.EMAIL_BACKEND = "tests.mail.helpers.SilentBackend"
    message = queue_link_email(document, secret_url=secret_link())
    assert deliver_message(message.pk) == Delivery.RETRYING


def test_an_undecryptable_secret_fails_the_message(document, settings):
    message = queue_link_email(document, secret_url=secret_link())
    settings.SECRET_KEY = "rotated-without-a-fallback-" + "y" * 40
    assert deliver_message(message.pk) == Delivery.FAILED
    message.refresh_from_db()
    assert "SECRET_KEY" in message.last_error and message.secret_url_encrypted == ""
    assert not mail.outbox


def test_a_message_stuck_in_sending_is_reclaimed(document):
    message = queue_link_email(document, secret_url=secret_link())
    assert claim_message(message.pk)  # a worker took it, then died
    assert deliver_due_messages() == 0  # too recent to call stuck
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=11)):
        assert deliver_due_messages() == 1
    message.refresh_from_db()
    assert message.state == OutboxState.SENT and message.attempts == 2
    assert len(mail.outbox) == 1


def test_each_delivery_task_also_sweeps_due_messages(document, settings):
    settings.EMAIL_BACKEND = "tests.mail.helpers.DownBackend"
    first = queue_link_email(document, secret_url=secret_link())
    assert deliver_message(first.pk) == Delivery.RETRYING
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=1)):
        second = queue_link_email(document, secret_url=secret_link())
        assert deliver_outbox_message.call(second.pk) == "sent"
    assert {m.state for m in OutboxMessage.objects.all()} == {OutboxState.SENT}
    assert len(mail.outbox) == 2
    assert first.pk != second.pk


def test_database_backend_gets_the_message_id_only_and_a_deferred_retry(
    document, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    url = secret_link()
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_link_email(document, secret_url=url)
    task_row = DBTaskResult.objects.get()
    assert task_row.task_path == "solabooks.mail.tasks.deliver_outbox_message"
    assert task_row.args_kwargs["args"] == [message.pk]
    assert not mail.outbox  # a worker runs it, not the request

    settings.EMAIL_BACKEND = "tests.mail.helpers.DownBackend"
    with django_capture_on_commit_callbacks(execute=True):
        deliver_outbox_message.call(message.pk)
    message.refresh_from_db()
    retry = DBTaskResult.objects.exclude(pk=task_row.pk).get()
    assert retry.run_after == message.next_attempt_at
    assert url.rsplit("/", 1)[1] not in dump_all_tables()


def test_database_backend_commits_the_task_row_with_the_message(document, settings):
    """With tasks in the outbox's database, the task row is written in the sender's
    transaction: both commit, or (the sender fails later) neither does."""
    from django.db import transaction

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with transaction.atomic():
        message = queue_link_email(document, secret_url=secret_link())
        # Before any commit: the row is there, in the same transaction.
        assert DBTaskResult.objects.get().args_kwargs["args"] == [message.pk]

    with pytest.raises(RuntimeError), transaction.atomic():
        queue_link_email(document, secret_url=secret_link())
        raise RuntimeError("the sender fails after queueing")
    assert OutboxMessage.objects.count() == 1
    assert DBTaskResult.objects.count() == 1


def test_database_backend_commits_the_retry_task_with_the_retry(document, settings):
    """A failed attempt puts the message back in the queue and writes its deferred task in
    the same transaction, as queueing does."""
    from django.db import transaction

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    message = queue_link_email(document, secret_url=secret_link())
    first = DBTaskResult.objects.get()
    settings.EMAIL_BACKEND = "tests.mail.helpers.DownBackend"
    with transaction.atomic():
        deliver_outbox_message.call(message.pk)
        # Before any commit: the retry's task row is there, for the retry time.
        retry = DBTaskResult.objects.exclude(pk=first.pk).get()
        message.refresh_from_db()
        assert message.state == OutboxState.QUEUED
        assert retry.run_after == message.next_attempt_at


def test_deliver_outbox_command(document, settings):
    settings.EMAIL_BACKEND = "tests.mail.helpers.DownBackend"
    message = queue_email(
        organization=document.organization,
        to="jane@bakery.test",
        template="test_notice",
        context={"message": "Hello"},
        customer=document.customer,
    )
    deliver_message(message.pk)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    out = StringIO()
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=1)):
        call_command("deliver_outbox", stdout=out)
    assert "Delivered 1 message(s)." in out.getvalue()
    assert len(mail.outbox) == 1
    # A customer-only email records its activity on the customer.
    assert Activity.objects.filter(customer=document.customer, verb=Verb.EMAIL_DELIVERED).exists()


def test_deliver_outbox_loop_keeps_sweeping_until_interrupted(document, monkeypatch):
    calls = []

    def fake_sleep(seconds):
        calls.append(seconds)
        if len(calls) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr("solabooks.mail.management.commands.deliver_outbox.time.sleep", fake_sleep)
    monkeypatch.setattr(
        "solabooks.mail.management.commands.deliver_outbox.close_old_connections", lambda: None
    )
    queue_link_email(document, secret_url=secret_link())
    out = StringIO()
    call_command("deliver_outbox", "--loop", "--interval", "5", stdout=out)
    assert calls == [5, 5]
    assert len(mail.outbox) == 1
    assert out.getvalue().count("Delivered 1 message(s).") == 1  # quiet when idle
