"""Accept and decline at once: one decision, one notification (PostgreSQL row locks)."""

import threading

import pytest
from django.core import mail
from django.db import close_old_connections, connection
from django.test import Client

from solabooks.activity.models import Activity, Verb
from solabooks.notifications.models import PendingNotification

from .conftest import accept, decline

pytestmark = pytest.mark.django_db


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_accept_and_decline_at_once_make_one_decision_and_one_notification(
    org, owner, quote, send, sweep
):
    if connection.vendor != "postgresql":
        pytest.skip("row locks under real concurrency need PostgreSQL")
    org.reply_to_email = ""
    org.save()
    path = send(quote)
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def act(which) -> None:
        try:
            client = Client(REMOTE_ADDR="198.51.100.1")
            barrier.wait()
            if which == "accept":
                statuses.append(accept(client, path, quote.content_version).status_code)
            else:
                statuses.append(decline(client, path, quote.content_version, "No").status_code)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=act, args=(w,)) for w in ("accept", "decline")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302, 302]
    decisions = Activity.objects.filter(
        document=quote, verb__in=[Verb.QUOTE_ACCEPTED, Verb.QUOTE_DECLINED]
    )
    assert decisions.count() == 1
    assert PendingNotification.objects.count() == 1
    assert len(PendingNotification.objects.get().events) == 1
    sent = sweep()
    assert [m.to for m in sent] == [[owner.email]]
    # One business notification (an accept also sends the customer their confirmation).
    notifications = [m for m in mail.outbox if not m.subject.startswith("You accepted")]
    assert len(notifications) == 1
