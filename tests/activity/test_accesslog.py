"""Access records written in batches off the request path (activity/accesslog.py).

Production writes them from a background thread of each app process; the rest of the suite
runs with ACCESS_LOG=immediate. These tests run the background mode itself, on a database
the thread can see (transactional_db: the thread has its own connection).
"""

import datetime
import time

import pytest
import time_machine
from django.db import DatabaseError
from django.utils import timezone

from solabooks.activity import accesslog
from solabooks.activity.accesslog import AccessLog, RowUpdate
from solabooks.activity.models import Activity, ActorType, Verb
from solabooks.activity.services import Actor, log_access
from solabooks.documents.models import Document
from solabooks.sharing.models import SecureLink
from solabooks.sharing.services import issue_link
from tests.factories import CustomerFactory, OrganizationFactory, make_document

pytestmark = pytest.mark.django_db(transaction=True)

LINK_ACTOR = Actor(type=ActorType.LINK, label="link #1", ip="203.0.113.9", user_agent="Mail/1.0")


@pytest.fixture
def background(settings):
    settings.SOLABOOKS_ACCESS_LOG = "background"
    log = AccessLog(interval=3600)  # flushed by hand unless a test says otherwise
    yield log
    log.stop()


@pytest.fixture
def document():
    org = OrganizationFactory()
    return make_document(customer=CustomerFactory(organization=org), kind="invoice")


def _activity(document, *, verb=Verb.VIEWED, at=None) -> Activity:
    return Activity(
        organization_id=document.organization_id,
        document_id=document.pk,
        customer_id=document.customer_id,
        verb=verb,
        actor_type=ActorType.LINK,
        actor_label="link #1",
        ip="203.0.113.9",
        user_agent="Mail/1.0",
        details={"link_id": 1},
        created_at=at or timezone.now(),
    )


def test_records_wait_for_the_flush_and_keep_the_time_they_happened(background, document):
    happened = timezone.now() - datetime.timedelta(seconds=30)
    background.record(_activity(document, at=happened))
    assert not Activity.objects.filter(document=document, verb=Verb.VIEWED).exists()
    assert background.pending() == 1

    assert background.flush() == 1
    row = Activity.objects.get(document=document, verb=Verb.VIEWED)
    assert row.created_at == happened
    assert (row.ip, row.user_agent, row.details) == ("203.0.113.9", "Mail/1.0", {"link_id": 1})
    assert background.pending() == 0
    assert background.flush() == 0


def test_last_used_keeps_the_latest_and_first_view_keeps_the_earliest(background, document):
    link = issue_link(document=document, actor=Actor.system()).link
    earlier = timezone.now() - datetime.timedelta(minutes=5)
    later = timezone.now()
    for at in (later, earlier):
        background.record(
            _activity(document, at=at),
            (
                RowUpdate(SecureLink, link.pk, "last_used_at", at),
                RowUpdate(Document, document.pk, "viewed_at", at, only_if_null=True),
            ),
        )
    background.flush()
    link.refresh_from_db()
    document.refresh_from_db()
    assert link.last_used_at == later
    assert document.viewed_at == earlier

    # A later batch never moves a first view.
    background.record(
        _activity(document),
        (RowUpdate(Document, document.pk, "viewed_at", timezone.now(), only_if_null=True),),
    )
    background.flush()
    document.refresh_from_db()
    assert document.viewed_at == earlier


def test_a_record_of_a_deleted_document_costs_no_other_record(background, document):
    other = make_document(customer=document.customer, kind="invoice")
    background.record(_activity(document))
    background.record(_activity(other))
    Document.objects.filter(pk=document.pk).delete()

    assert background.flush() == 2  # attempted; the deleted document's row is dropped
    assert Activity.objects.filter(document=other, verb=Verb.VIEWED).count() == 1
    assert not Activity.objects.filter(document_id=document.pk).exists()


def test_records_are_kept_while_the_database_refuses_them(background, document, monkeypatch):
    background.record(_activity(document))

    def refuse(*args, **kwargs):
        raise DatabaseError("server closed the connection")

    monkeypatch.setattr(accesslog, "_write", refuse)
    assert background.flush() == 0
    assert background.pending() == 1
    monkeypatch.undo()

    assert background.flush() == 1
    assert Activity.objects.filter(document=document, verb=Verb.VIEWED).count() == 1


def test_the_thread_writes_within_its_interval(settings, document):
    settings.SOLABOOKS_ACCESS_LOG = "background"
    log = AccessLog(interval=0.05)
    try:
        log.record(_activity(document))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and log.pending():
            time.sleep(0.02)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if Activity.objects.filter(document=document, verb=Verb.VIEWED).exists():
                break
            time.sleep(0.02)
        assert Activity.objects.filter(document=document, verb=Verb.VIEWED).count() == 1
    finally:
        log.stop()
    assert log._thread is None


def test_stop_writes_what_waits_and_ends_the_thread(background, document):
    background.record(_activity(document))
    thread = background._thread
    assert thread.is_alive()
    background.stop()
    assert not thread.is_alive()
    assert Activity.objects.filter(document=document, verb=Verb.VIEWED).count() == 1


def test_a_forked_process_starts_its_own_thread_and_list(background, document, monkeypatch):
    background.record(_activity(document))
    parent_thread = background._thread
    monkeypatch.setattr(accesslog.os, "getpid", lambda: -1)
    background.record(_activity(document))
    # The child does not write the parent's records (the parent does), only its own.
    assert background.pending() == 1
    assert background._thread is not parent_thread
    background.stop()  # ends both threads (a real fork leaves the child only its own)
    assert not parent_thread.is_alive()


def test_immediate_mode_writes_in_the_request(settings, document):
    settings.SOLABOOKS_ACCESS_LOG = "immediate"
    log = AccessLog(interval=3600)
    log.record(_activity(document))
    assert log._thread is None
    assert log.pending() == 0
    assert Activity.objects.filter(document=document, verb=Verb.VIEWED).count() == 1


def test_link_page_view_is_recorded_by_the_process_log(settings, client, document):
    """The link page in production mode: the view is answered before its record is written,
    and the record (with the first view) lands at the next flush."""
    settings.SOLABOOKS_ACCESS_LOG = "background"
    issued = issue_link(document=document, actor=Actor.system())
    with time_machine.travel(timezone.now(), tick=True):
        response = client.get(f"/finance/i/{issued.raw_token}", HTTP_USER_AGENT="Mail/1.0")
    assert response.status_code == 200
    accesslog.access_log.stop()
    row = Activity.objects.get(document=document, verb=Verb.VIEWED)
    assert row.user_agent == "Mail/1.0"
    assert row.details == {"link_id": issued.link.pk}
    document.refresh_from_db()
    issued.link.refresh_from_db()
    assert document.viewed_at is not None
    assert issued.link.last_used_at is not None


def test_log_access_uses_the_process_log(settings, document):
    settings.SOLABOOKS_ACCESS_LOG = "background"
    log_access(
        organization_id=document.organization_id,
        document_id=document.pk,
        customer_id=document.customer_id,
        verb=Verb.PDF_DOWNLOADED,
        actor=LINK_ACTOR,
    )
    assert not Activity.objects.filter(verb=Verb.PDF_DOWNLOADED).exists()
    accesslog.access_log.stop()
    assert Activity.objects.filter(document=document, verb=Verb.PDF_DOWNLOADED).count() == 1
