"""Delivery through a real SMTP server (aiosmtpd on 127.0.0.1)."""

import datetime
import threading

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone

from solabooks.activity.models import Activity, Verb
from solabooks.mail.delivery import claim_message, deliver_due_messages, deliver_message
from solabooks.mail.models import OutboxMessage, OutboxState
from tests.factories import CustomerFactory, OrganizationFactory, make_document
from tests.mail.helpers import dump_all_tables, queue_link_email, secret_link


@pytest.mark.django_db
def test_a_queued_email_arrives_branded_with_both_parts(
    smtp_server, django_capture_on_commit_callbacks
):
    org = OrganizationFactory(
        name="Bäckerei Müller", brand_colour="#7a1f5c", reply_to_email="konto@mueller.test"
    )
    org.logo.save("logo.png", ContentFile(b"\x89PNG fake"), save=True)
    customer = CustomerFactory(organization=org, name="Jane", email="jane@bakery.test")
    document = make_document(customer=customer)
    url = secret_link()

    with django_capture_on_commit_callbacks(execute=True):
        outbox = queue_link_email(document, secret_url=url)

    [received] = smtp_server.messages
    message = received.message
    assert received.rcpt_tos == ["jane@bakery.test"]
    assert received.mail_from == "no-reply@solabooks.test"
    assert message["From"].addresses[0].display_name == "Bäckerei Müller via Solabooks"
    assert message["From"].addresses[0].addr_spec == "no-reply@solabooks.test"
    assert str(message["Reply-To"]) == "konto@mueller.test"
    assert str(message["Subject"]) == "Invoice INV-0001 from Bäckerei Müller"
    assert str(message["Message-ID"]) == outbox.message_id
    text, html = received.part("text/plain"), received.part("text/html")
    assert url in text and "Bäckerei Müller" in text
    assert f'href="{url}"' in html
    assert "#7a1f5c" in html
    assert f"https://books.example.test{org.logo.url}" in html
    outbox.refresh_from_db()
    assert outbox.state == OutboxState.SENT


@pytest.mark.django_db
def test_server_down_nothing_is_lost_and_all_arrive_once_when_it_is_back(
    stopped_smtp_server, customer, django_capture_on_commit_callbacks
):
    document = make_document(customer=customer)
    urls = [secret_link() for _ in range(3)]
    for url in urls:
        with django_capture_on_commit_callbacks(execute=True):
            queue_link_email(document, secret_url=url)

    # Nothing listens: every row is still queued, with the attempt on record.
    messages = list(OutboxMessage.objects.order_by("pk"))
    assert [m.state for m in messages] == [OutboxState.QUEUED] * 3
    assert [m.attempts for m in messages] == [1, 1, 1]
    assert all("Connection" in m.last_error or "refused" in m.last_error for m in messages)
    assert Activity.objects.filter(document=document, verb=Verb.EMAIL_RETRYING).count() == 3
    dump = dump_all_tables()
    assert not any(url.rsplit("/", 1)[1] in dump for url in urls)

    stopped_smtp_server.start()
    assert deliver_due_messages() == 0  # backoff: not due yet
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=2)):
        assert deliver_due_messages() == 3
        assert deliver_due_messages() == 0

    received = stopped_smtp_server.messages
    assert len(received) == 3
    for url in urls:  # each link exactly once
        assert sum(url in r.part("text/plain") for r in received) == 1
    assert {m.state for m in OutboxMessage.objects.all()} == {OutboxState.SENT}
    assert Activity.objects.filter(document=document, verb=Verb.EMAIL_DELIVERED).count() == 3
    assert OutboxMessage.objects.exclude(secret_url_encrypted="").count() == 0


@pytest.mark.django_db
def test_two_deliveries_of_the_same_message_send_it_once(smtp_server, customer):
    document = make_document(customer=customer)
    message = queue_link_email(document, secret_url=secret_link())
    # Two workers race: both try to claim, one wins.
    assert [claim_message(message.pk), claim_message(message.pk)] == [True, False]
    OutboxMessage.objects.filter(pk=message.pk).update(state=OutboxState.QUEUED)
    deliver_message(message.pk)
    deliver_message(message.pk)
    assert len(smtp_server.messages) == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_send_a_message_once_on_postgres(smtp_server, customer):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locking between real connections")
    document = make_document(customer=customer)
    messages = [queue_link_email(document, secret_url=secret_link()) for _ in range(5)]
    barrier = threading.Barrier(4)

    def worker():
        try:
            barrier.wait()
            for message in messages:
                deliver_message(message.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(smtp_server.messages) == 5
    assert len({str(r.message["Message-ID"]) for r in smtp_server.messages}) == 5
    assert Activity.objects.filter(verb=Verb.EMAIL_DELIVERED).count() == 5
