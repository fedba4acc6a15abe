"""A worker killed (kill -9) in the middle of a delivery, with real processes: the SMTP sink
(bench/smtp_sink.py), `manage.py db_worker` as production runs it, and the test's database
shared with them. The message is delivered exactly once, by a sweep after the lease, and a
slow live worker is never overtaken. Also the lease's system check and the sink itself.
"""

import smtplib
from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from solabooks.mail.checks import check_outbox_lease
from solabooks.mail.config import SMTP_BACKEND
from solabooks.mail.delivery import SEND_STEPS, deliver_due_messages
from solabooks.mail.models import OutboxMessage, OutboxState
from tests.factories import CustomerFactory, make_document
from tests.mail.helpers import queue_link_email, secret_link
from tests.mail.processes import (
    database_for_other_processes,
    manage_py,
    running_sink,
    stop,
    wait_for,
    worker_environment,
)

# The worker's SMTP timeout (each exchange with the idle local sink: ample on a loaded
# machine) and lease: the shortest lease the system check allows, so the test waits for as
# little as it can.
TIMEOUT = 0.75
LEASE = SEND_STEPS * TIMEOUT


@pytest.fixture
def sink(tmp_path):
    with running_sink(tmp_path / "sink") as sink:
        yield sink


@pytest.fixture
def shared_db(transactional_db, tmp_path):
    with database_for_other_processes(tmp_path) as url:
        yield url


@pytest.fixture
def outbox_to_sink(shared_db, sink, settings):
    """This process queues like the web app (delivery tasks as database rows) and sweeps
    through the sink, with the workers' lease."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.EMAIL_BACKEND = SMTP_BACKEND
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5


def queue_message() -> OutboxMessage:
    document = make_document(customer=CustomerFactory(email="jane@bakery.test"))
    return queue_link_email(document, secret_url=secret_link())


def start_worker(tmp_path, shared_db, sink, *, timeout: float, lease: float, args=()):
    env = worker_environment(
        database_url=shared_db,
        email_url=sink.email_url(timeout=timeout),
        lease=lease,
        var_dir=tmp_path / "var",
    )
    command = ["db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1", *args]
    return manage_py(command, env=env, log=tmp_path / "worker.log")


def held_message(sink, message: OutboxMessage, worker, tmp_path) -> dict:
    def holding():
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()
        return sink.holding()

    held = wait_for(holding, timeout=30, what="the worker's message at the sink's final dot")
    assert held["message_id"] == message.message_id
    return held


@pytest.mark.django_db(transaction=True)  # rows other processes see
def test_a_message_whose_worker_died_mid_delivery_is_delivered_once_after_the_lease(
    outbox_to_sink, shared_db, sink, settings, tmp_path
):
    settings.OUTBOX_LEASE_SECONDS = LEASE
    sink.hold(120)  # until the worker dies
    message = queue_message()
    worker = start_worker(tmp_path, shared_db, sink, timeout=TIMEOUT, lease=LEASE)
    try:
        held_message(sink, message, worker, tmp_path)
        worker.kill()  # SIGKILL: no handler, no cleanup, mid-delivery
        assert worker.wait(10) == -9
    finally:
        stop(worker)
    sink.release()

    # The server had not answered the final dot: it keeps nothing.
    dropped = wait_for(sink.dropped, timeout=10, what="the sink to drop the dead client's mail")
    assert [line["message_id"] for line in dropped] == [message.message_id]
    assert sink.received() == []
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxState.SENDING, 1)
    lease_ends = message.claimed_at + timedelta(seconds=LEASE)

    # Within the lease the row is the dead worker's: a sweep leaves it alone.
    assert timezone.now() < lease_ends - timedelta(seconds=1), "too slow to test the lease"
    assert deliver_due_messages() == 0
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxState.SENDING, 1)

    # Sweeps every 0.1 s, as if `deliver_outbox --loop` ran: the first after the lease sends.
    def swept() -> bool:
        deliver_due_messages()
        return OutboxMessage.objects.filter(pk=message.pk, state=OutboxState.SENT).exists()

    wait_for(swept, timeout=LEASE + 30, what="a sweep to deliver the message", step=0.1)
    copies = sink.copies_of(message.message_id)
    assert len(copies) == 1, copies
    assert datetime.fromisoformat(copies[0]["received_at"]) >= lease_ends
    assert copies[0]["to"] == ["jane@bakery.test"]
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxState.SENT, 2)
    assert message.secret_url_encrypted == ""
    assert deliver_due_messages() == 0 and len(sink.received()) == 1
    # django-tasks-db never reruns the dead worker's task (it stays "running"): the retry
    # is the outbox's own, by its lease.
    assert DBTaskResult.objects.get().status == TaskResultStatus.RUNNING


@pytest.mark.django_db(transaction=True)  # rows other processes see
def test_a_slow_live_worker_is_not_overtaken_by_sweeps(
    outbox_to_sink, shared_db, sink, settings, tmp_path
):
    timeout = 3.0
    lease = SEND_STEPS * timeout
    settings.OUTBOX_LEASE_SECONDS = lease
    sink.hold(1.5)  # slow, within the SMTP timeout: the worker is alive and still sending
    message = queue_message()
    worker = start_worker(tmp_path, shared_db, sink, timeout=timeout, lease=lease, args=["--batch"])
    try:
        held_message(sink, message, worker, tmp_path)
        message.refresh_from_db()
        # Sweeps meanwhile, one of them a moment before the lease would end.
        assert deliver_due_messages() == 0
        with time_machine.travel(message.claimed_at + timedelta(seconds=lease - 1), tick=False):
            assert deliver_due_messages() == 0
        assert worker.wait(30) == 0, (tmp_path / "worker.log").read_text()
    finally:
        stop(worker)
    assert len(sink.copies_of(message.message_id)) == 1
    assert sink.dropped() == []
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxState.SENT, 1)


def test_a_worker_whose_lease_is_shorter_than_a_send_refuses_to_start(tmp_path):
    env = worker_environment(
        database_url=f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        email_url="smtp://127.0.0.1:9?timeout=10",
        lease=SEND_STEPS * 10 - 1,
        var_dir=tmp_path / "var",
    )
    worker = manage_py(["db_worker", "--no-reload"], env=env, log=tmp_path / "worker.log")
    try:
        assert worker.wait(30) != 0
    finally:
        stop(worker)
    assert "mail.E003" in (tmp_path / "worker.log").read_text()


@pytest.mark.parametrize(
    ("lease", "timeout", "problems"),
    [
        (600, 10, []),  # the defaults
        (200, 10, []),  # just long enough
        (199, 10, ["mail.E003"]),
        (15, 0.75, []),  # the worker in the test above
        (14.9, 0.75, ["mail.E003"]),
        (600, None, ["mail.E002"]),  # no timeout: a send may last for ever
        (0, 10, ["mail.E001"]),
    ],
)
def test_the_lease_check(settings, lease, timeout, problems):
    settings.EMAIL_BACKEND = SMTP_BACKEND
    settings.OUTBOX_LEASE_SECONDS, settings.EMAIL_TIMEOUT = lease, timeout
    assert [error.id for error in check_outbox_lease()] == problems


def test_the_lease_check_leaves_other_backends_alone(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.OUTBOX_LEASE_SECONDS, settings.EMAIL_TIMEOUT = 1, 10
    assert check_outbox_lease() == []


RAW_MESSAGE = (
    "From: a@sender.test\r\nTo: b@recipient.test\r\nSubject: Hello\r\n"
    "Message-ID: <{id}@sender.test>\r\n\r\nBody\r\n"
)


def test_the_sink_keeps_what_it_accepts(sink):
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as client:
        client.sendmail("a@sender.test", ["b@recipient.test"], RAW_MESSAGE.format(id="kept"))
    [line] = sink.received()
    assert line["seq"] == 1 and line["message_id"] == "<kept@sender.test>"
    assert (line["to"], line["subject"]) == (["b@recipient.test"], "Hello")
    datetime.fromisoformat(line["received_at"])
    eml = (sink.directory / "messages" / "1.eml").read_bytes()
    assert b"Message-ID: <kept@sender.test>" in eml


def test_the_sink_drops_a_message_whose_client_left_before_the_answer(sink):
    sink.hold(30)
    client = smtplib.SMTP("127.0.0.1", sink.port, timeout=10)
    try:
        client.ehlo()
        client.mail("a@sender.test")
        client.rcpt("b@recipient.test")
        assert client.docmd("DATA")[0] == 354
        client.send(RAW_MESSAGE.format(id="gone").encode() + b".\r\n")  # the final dot
        held = wait_for(sink.holding, timeout=10, what="the sink to hold the message")
        assert held["message_id"] == "<gone@sender.test>"
        assert held["peer"][1] == client.sock.getsockname()[1]  # how a soak finds the client
    finally:
        client.close()  # gone without reading the answer
    dropped = wait_for(sink.dropped, timeout=10, what="the sink to drop the message")
    assert [line["message_id"] for line in dropped] == ["<gone@sender.test>"]
    wait_for(lambda: sink.holding() is None, timeout=10, what="the hold to end")
    assert sink.received() == []
    assert list((sink.directory / "messages").iterdir()) == []
    # Still serving: the next client's message is kept.
    sink.release()
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as other:
        other.sendmail("a@sender.test", ["b@recipient.test"], RAW_MESSAGE.format(id="next"))
    assert [line["message_id"] for line in sink.received()] == ["<next@sender.test>"]
