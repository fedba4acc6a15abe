"""Accept and decline at once: one decision, one notification (PostgreSQL row locks)."""

import pytest
from django.core import mail
from django.db import connection
from django.test import Client

from solabooks.activity.models import Activity, Verb
from solabooks.notifications.models import PendingNotification
from tests.concurrency import run_together
from tests.emails import without_acceptance_confirmations

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

    def act(which: str) -> str:
        client = Client(REMOTE_ADDR="198.51.100.1")
        if which == "accept":
            return str(accept(client, path, quote.content_version).status_code)
        return str(decline(client, path, quote.content_version, "No").status_code)

    statuses = run_together([lambda: act("accept"), lambda: act("decline")])
    assert statuses == ["302", "302"]
    decisions = Activity.objects.filter(
        document=quote, verb__in=[Verb.QUOTE_ACCEPTED, Verb.QUOTE_DECLINED]
    )
    assert decisions.count() == 1
    assert PendingNotification.objects.count() == 1
    assert len(PendingNotification.objects.get().events) == 1
    sent = sweep()
    assert [m.to for m in sent] == [[owner.email]]
    # One business notification (an accept also sends the customer their confirmation).
    notifications = without_acceptance_confirmations(mail.outbox)
    assert len(notifications) == 1
