import datetime

import pytest
import time_machine
from django.core.management import call_command

from solabooks.activity.models import Activity, Verb
from solabooks.documents.services import expire_overdue_quotes
from tests.factories import make_document

pytestmark = pytest.mark.django_db


def test_sent_quotes_expire_the_day_after_their_valid_until_date(customer):
    quote = make_document(customer=customer, kind="quote", state="sent")
    draft = make_document(customer=customer, kind="quote")
    accepted = make_document(customer=customer, kind="quote", state="accepted")
    last_valid_day = datetime.datetime.combine(
        quote.valid_until, datetime.time(12), tzinfo=datetime.UTC
    )
    with time_machine.travel(last_valid_day, tick=False):
        assert expire_overdue_quotes() == 0
    with time_machine.travel(last_valid_day + datetime.timedelta(days=1), tick=False):
        assert expire_overdue_quotes() == 1
        assert expire_overdue_quotes() == 0  # nothing left to do
    for document in (quote, draft, accepted):
        document.refresh_from_db()
    assert (quote.state, draft.state, accepted.state) == ("expired", "draft", "accepted")
    record = Activity.objects.for_org(customer.organization).get(
        document=quote, verb=Verb.STATE_CHANGED
    )
    assert record.details["to"] == "expired"
    assert record.actor_label == "Quote expiry"


def test_the_command_reports_how_many_expired(customer, capsys):
    quote = make_document(customer=customer, kind="quote", state="sent")
    with time_machine.travel(quote.valid_until + datetime.timedelta(days=2), tick=False):
        call_command("expire_quotes")
    assert "Expired 1 quote." in capsys.readouterr().out
