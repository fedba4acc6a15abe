"""The mail is out (the SMTP server answered 250) and the database goes away before the row
is marked sent, as when PostgreSQL restarts. The worker keeps trying to record the delivery
on a new connection, so the sweep never sends a second copy after the lease. The soak found
this: a PostgreSQL restart at the wrong moment made one duplicate."""

import pytest
from django.db import OperationalError, connection

from solabooks.mail import delivery
from solabooks.mail.delivery import Delivery, deliver_due_messages, deliver_message
from solabooks.mail.models import OutboxMessage, OutboxState
from tests.factories import make_document
from tests.mail.helpers import queue_link_email, secret_link

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def tasks_wait(settings, monkeypatch):
    # Queued messages wait for the test to deliver them (no task runs on commit).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    monkeypatch.setattr(delivery, "RECORD_RETRY_PAUSE", 0.05)


class DatabaseGoneWhenMarkingSent:
    """Fails the UPDATE that marks a row sent, `times` times, as a dropped connection does."""

    def __init__(self, times: int | None) -> None:
        self.times = times
        self.failures = 0

    def __call__(self, execute, sql, params, many, context):
        marking_sent = sql.startswith('UPDATE "mail_outboxmessage"') and OutboxState.SENT in (
            params or ()
        )
        if marking_sent and (self.times is None or self.failures < self.times):
            self.failures += 1
            raise OperationalError("terminating connection due to administrator command")
        return execute(sql, params, many, context)


def test_a_delivery_recorded_after_the_database_comes_back_is_sent_once(smtp_server, customer):
    message = queue_link_email(make_document(customer=customer), secret_url=secret_link())
    outage = DatabaseGoneWhenMarkingSent(times=3)

    with connection.execute_wrapper(outage):
        assert deliver_message(message.pk) == Delivery.SENT

    assert outage.failures == 3
    message.refresh_from_db()
    assert message.state == OutboxState.SENT and message.attempts == 1
    assert message.secret_url_encrypted == ""
    # Later sweeps find nothing to send again.
    assert deliver_due_messages() == 0
    assert [str(m.message["Message-ID"]) for m in smtp_server.messages] == [message.message_id]


def test_an_outage_longer_than_the_lease_leaves_the_row_to_the_sweep(
    smtp_server, customer, settings
):
    settings.OUTBOX_LEASE_SECONDS = 5.5  # the worker gives up 5 s before the lease ends
    message = queue_link_email(make_document(customer=customer), secret_url=secret_link())
    outage = DatabaseGoneWhenMarkingSent(times=None)

    with connection.execute_wrapper(outage), pytest.raises(OperationalError):
        deliver_message(message.pk)

    assert outage.failures >= 1
    row = OutboxMessage.objects.get(pk=message.pk)
    # Not lost: the row is still the worker's until its lease ends, then the sweep's.
    assert row.state == OutboxState.SENDING
    assert len(smtp_server.messages) == 1
