"""Emails to the business when its customer acts (issue 14, item 1): one per event or
burst, to the member who sent the document and the reply-to address, as each member's
switches allow, through the outbox, never with a customer's link in them."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone

from solabooks.activity.models import Activity, Verb
from solabooks.activity.services import Actor
from solabooks.mail.delivery import Delivery, deliver_due_messages, deliver_message
from solabooks.mail.models import OutboxMessage, OutboxState
from solabooks.notifications.models import NotificationPreference, PendingNotification
from solabooks.notifications.services import (
    preference_for,
    send_notification,
    update_notification_preferences,
)
from tests.factories import MembershipFactory

from .conftest import accept, decline

pytestmark = pytest.mark.django_db


def switch(org, user, **values):
    wanted = {"quote_decided": True, "first_viewed": False, "portal_set_up": True, **values}
    update_notification_preferences(
        organization=org,
        user=user,
        actor=Actor(type="staff", user=user, label=user.email),
        **wanted,
    )


def no_reply_to(org):
    org.reply_to_email = ""
    org.save()


def everything(message) -> str:
    return message.subject + message.body + "".join(c for c, _ in message.alternatives)


# Defaults and preferences ---------------------------------------------------------------


def test_defaults_are_on_for_decisions_and_set_up_and_off_for_views(org, owner):
    preference = preference_for(organization=org, user=owner)
    assert preference.pk is None
    assert (preference.quote_decided, preference.first_viewed, preference.portal_set_up) == (
        True,
        False,
        True,
    )


def test_changing_switches_records_an_activity(org, owner):
    switch(org, owner, quote_decided=False, first_viewed=True)
    saved = NotificationPreference.objects.for_org(org).get(user=owner)
    assert (saved.quote_decided, saved.first_viewed, saved.portal_set_up) == (False, True, True)
    changed = Activity.objects.get(organization=org, verb=Verb.NOTIFICATION_SETTINGS_CHANGED)
    assert changed.details["changed"] == {"quote_decided": False, "first_viewed": True}


# Quote decisions --------------------------------------------------------------------------


def test_an_accepted_quote_emails_the_sender_and_reply_to_once_after_the_window(
    org, owner, quote, send, customer_client, sweep
):
    path = send(quote)
    assert accept(customer_client, path, quote.content_version).status_code == 302
    assert mail.outbox == []  # the burst window first
    assert sweep(after=datetime.timedelta(minutes=1)) == []
    sent = sweep()
    assert sorted(m.to[0] for m in sent) == sorted([owner.email, org.reply_to_email])
    for message in sent:
        assert message.subject == f"Quote {quote.number} accepted by Ana Ruiz"
        assert "Ana Ruiz" in message.body
        assert f"https://books.example.test/finance/document/{quote.pk}/" in message.body
        html = message.alternatives[0][0]
        assert f"https://books.example.test/finance/document/{quote.pk}/" in html
    assert sweep() == []  # never twice
    assert sweep(after=datetime.timedelta(hours=2)) == []


def test_the_time_is_in_the_business_time_zone(org, owner, quote, send, customer_client, sweep):
    org.time_zone = "Asia/Tokyo"
    org.save()
    no_reply_to(org)
    path = send(quote)
    accept(customer_client, path, quote.content_version)
    (message,) = sweep()
    local = timezone.localtime(timezone.now(), org.zone)
    assert f"{local:%-d %b %Y}" in message.body
    # The zone's abbreviation, as on every page and email, not its IANA name.
    assert re.search(rf"{local:%-d %b %Y}, \d\d:\d\d JST\.", message.body)


def test_a_declined_quote_says_the_reason(org, owner, quote, send, customer_client, sweep):
    no_reply_to(org)
    path = send(quote)
    decline(customer_client, path, quote.content_version, reason="Too expensive for us")
    (message,) = sweep()
    assert message.to == [owner.email]
    assert "declined" in message.subject
    assert "Reason: Too expensive for us" in message.body


def test_no_customer_link_or_token_in_any_notification(
    org, owner, quote, send, customer_client, sweep
):
    switch(org, owner, first_viewed=True)
    path = send(quote)
    token = path.rsplit("/", 1)[-1]
    customer_client.get(path)
    accept(customer_client, path, quote.content_version)
    sent = sweep()
    assert sent
    for message in sent:
        text = everything(message)
        assert token not in text
        assert "/finance/q/" not in text and "/finance/i/" not in text
        assert "customer-portal" not in text
    for row in OutboxMessage.objects.all():
        assert token not in row.text_body + row.html_body + row.subject


def test_switched_off_means_no_email_to_that_member(
    org, owner, quote, send, customer_client, sweep
):
    no_reply_to(org)
    switch(org, owner, quote_decided=False)
    path = send(quote)
    accept(customer_client, path, quote.content_version)
    assert sweep() == []
    assert not PendingNotification.objects.exists()


def test_only_the_member_who_sent_it_is_emailed(
    org, owner, manager, quote, send, customer_client, sweep
):
    no_reply_to(org)
    path = send(quote, actor=Actor(type="staff", user=manager, label=manager.email))
    accept(customer_client, path, quote.content_version)
    (message,) = sweep()
    assert message.to == [manager.email]


def test_a_sender_no_longer_a_member_gets_nothing(org, owner, quote, send, customer_client, sweep):
    no_reply_to(org)
    path = send(quote)
    owner.memberships.filter(organization=org).delete()
    accept(customer_client, path, quote.content_version)
    assert sweep() == []


def test_reply_to_equal_to_the_senders_address_gets_one_email(
    org, owner, quote, send, customer_client, sweep
):
    org.reply_to_email = owner.email.upper()
    org.save()
    path = send(quote)
    accept(customer_client, path, quote.content_version)
    assert [m.to for m in sweep()] == [[owner.email]]


def test_another_business_members_are_never_emailed(
    org, owner, other_org, other_owner, quote, send, customer_client, sweep
):
    # The other business's owner is also a member here but did not send the quote, and
    # their own business's reply-to address has nothing to do with it.
    MembershipFactory(organization=org, user=other_owner, role="accountant")
    switch(other_org, other_owner, quote_decided=True)
    path = send(quote)
    accept(customer_client, path, quote.content_version)
    recipients = {m.to[0] for m in sweep()}
    assert recipients == {owner.email, org.reply_to_email}
    assert other_owner.email not in recipients and other_org.reply_to_email not in recipients
    assert not PendingNotification.objects.for_org(other_org).exists()


def test_staff_mark_accepted_sends_no_notification(org, owner, quote, send, sweep):
    from solabooks.documents.services import transition_document

    send(quote)
    transition_document(
        document=quote,
        action="mark_accepted",
        actor=Actor(type="staff", user=owner, label=owner.email),
    )
    quote.refresh_from_db()
    assert quote.state == "accepted"
    assert sweep() == []


def test_a_scanners_get_makes_no_decision_and_no_notification(
    org, owner, quote, send, customer_client, sweep
):
    path = send(quote)
    assert customer_client.get(path).status_code == 200
    assert customer_client.head(path).status_code in (200, 405)
    assert customer_client.get(path + "?format=pdf").status_code == 200
    quote.refresh_from_db()
    assert quote.state == "sent"
    assert quote.viewed_at is not None  # a view, as far as the document knows
    assert sweep() == []
    assert not PendingNotification.objects.exists()


# First views and bursts ---------------------------------------------------------------------


def test_first_view_emails_nobody_by_default(org, owner, invoice, send, customer_client, sweep):
    path = send(invoice)  # the reply-to address follows the defaults too
    customer_client.get(path)
    invoice.refresh_from_db()
    assert invoice.viewed_at is not None
    assert sweep() == []


def test_first_view_when_on(org, owner, invoice, send, customer_client, sweep):
    no_reply_to(org)
    switch(org, owner, first_viewed=True)
    path = send(invoice)
    for _ in range(3):
        customer_client.get(path)
    (message,) = sweep()
    assert message.subject == f"Invoice {invoice.number} viewed by {invoice.customer.name}"
    customer_client.get(path)  # later views are not first views
    assert sweep() == []


def test_a_burst_is_one_email_and_after_the_window_a_new_one(
    org, owner, quote, send, customer_client, sweep, time_machine
):
    no_reply_to(org)
    switch(org, owner, first_viewed=True)
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    path = send(quote)
    customer_client.get(path)  # first view
    time_machine.move_to(start + datetime.timedelta(minutes=2), tick=False)
    accept(customer_client, path, quote.content_version)
    (message,) = sweep()
    assert message.subject == f"Quote {quote.number} accepted by Ana Ruiz (and 1 more update)"
    assert "opened quote" in message.body and "accepted by Ana Ruiz" in message.body
    assert PendingNotification.objects.count() == 1


def test_an_event_after_the_window_starts_a_new_email(
    org, owner, quote, send, customer_client, sweep, time_machine
):
    no_reply_to(org)
    switch(org, owner, first_viewed=True)
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    path = send(quote)
    customer_client.get(path)
    time_machine.move_to(start + datetime.timedelta(minutes=6), tick=False)
    # Not swept yet, but its window has passed: the decision starts its own burst.
    accept(customer_client, path, quote.content_version)
    assert PendingNotification.objects.count() == 2
    first, second = sweep(after=datetime.timedelta(0)), sweep()
    assert [m.subject for m in first] == [f"Quote {quote.number} viewed by {quote.customer.name}"]
    assert [m.subject for m in second] == [f"Quote {quote.number} accepted by Ana Ruiz"]


# Sending: once, through the outbox, with retries ----------------------------------------


def test_two_workers_send_a_row_once(org, owner, quote, send, customer_client, sweep):
    no_reply_to(org)
    path = send(quote)
    accept(customer_client, path, quote.content_version)
    row = PendingNotification.objects.get()
    later = timezone.now() + datetime.timedelta(minutes=6)
    assert send_notification(pending_id=row.pk, now=later) is True
    assert send_notification(pending_id=row.pk, now=later) is False
    assert OutboxMessage.objects.filter(template="business_notification").count() == 1


def test_not_sent_before_its_window(org, owner, quote, send, customer_client):
    no_reply_to(org)
    path = send(quote)
    accept(customer_client, path, quote.content_version)
    row = PendingNotification.objects.get()
    assert send_notification(pending_id=row.pk) is False
    assert not OutboxMessage.objects.filter(template="business_notification").exists()


def test_delivery_goes_through_the_outbox_and_is_retried(
    org, owner, quote, send, customer_client, sweep, settings
):
    no_reply_to(org)
    path = send(quote)
    accept(customer_client, path, quote.content_version)
    settings.EMAIL_BACKEND = "tests.mail.helpers.DownBackend"
    assert sweep() == []
    message = OutboxMessage.objects.get(template="business_notification")
    message.refresh_from_db()
    assert message.state == OutboxState.QUEUED and message.attempts == 1
    assert message.to == owner.email
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert deliver_message(message.pk) == Delivery.SENT
    # Only the customer's acceptance confirmation (also failed above) is left to deliver.
    assert deliver_due_messages() <= 1
    assert deliver_message(message.pk) != Delivery.SENT  # never twice
    assert [m.to for m in mail.outbox if m.to == [owner.email]] == [[owner.email]]
    delivered = Activity.objects.filter(document=quote, verb=Verb.EMAIL_DELIVERED)
    assert [a.details["message_id"] for a in delivered].count(message.message_id) == 1


# Portal account set up ------------------------------------------------------------------


def test_portal_set_up_emails_the_member_who_enabled_it(
    org, owner, customer, sweep, django_capture_on_commit_callbacks
):
    import re

    from solabooks.portal.accounts import complete_setup
    from solabooks.portal.services import enable_portal_access

    no_reply_to(org)
    actor = Actor(type="staff", user=owner, label=owner.email)
    with django_capture_on_commit_callbacks(execute=True):
        enable_portal_access(customer=customer, confirmed_email=customer.email, actor=actor)
    setup_link = re.search(r"https?://\S+", mail.outbox[-1].body).group(0)
    token = setup_link.rsplit("/", 1)[-1]
    mail.outbox.clear()
    complete_setup(
        raw_token=token, password="quiet-harbour-lantern-97", actor=Actor.system("customer")
    )
    (message,) = sweep()
    assert message.to == [owner.email]
    assert message.subject == f"{customer.name} set up their portal account"
    assert f"https://books.example.test/finance/customers/{customer.pk}/" in message.body
    assert token not in everything(message)


# The settings page ----------------------------------------------------------------------


def test_the_settings_page_shows_and_saves_the_members_own_switches(
    org, owner, owner_client, manager
):
    page = owner_client.get("/finance/account/notifications/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="quote_decided"' in html and 'name="first_viewed"' in html
    response = owner_client.post(
        "/finance/account/notifications/", {"quote_decided": "on", "portal_set_up": "on"}
    )
    assert response.status_code == 302
    mine = preference_for(organization=org, user=owner)
    assert (mine.quote_decided, mine.first_viewed, mine.portal_set_up) == (True, False, True)
    owner_client.post("/finance/account/notifications/", {"first_viewed": "on"})
    mine = preference_for(organization=org, user=owner)
    assert (mine.quote_decided, mine.first_viewed, mine.portal_set_up) == (False, True, False)
    # Nobody else's switches moved.
    assert preference_for(organization=org, user=manager).pk is None
    assert "Notifications" in owner_client.get("/finance/account/").content.decode()


def test_the_settings_page_needs_a_signed_in_member(client):
    response = client.get("/finance/account/notifications/")
    assert response.status_code == 302
    assert "/finance/login/" in response["Location"]


def test_a_deferring_task_backend_gets_a_task_for_when_the_burst_is_due(
    org, owner, quote, send, customer_client, settings, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    from solabooks.notifications.tasks import send_pending_notification

    no_reply_to(org)
    path = send(quote)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        accept(customer_client, path, quote.content_version)
    row = PendingNotification.objects.get()
    task_row = DBTaskResult.objects.get(
        task_path="solabooks.notifications.tasks.send_pending_notification"
    )
    assert task_row.args_kwargs["args"] == [row.pk]
    assert task_row.run_after == row.due_at
    # Run early, it sends nothing; run when due, it queues the one email.
    assert send_pending_notification.call(row.pk) is False
    row.due_at = timezone.now()
    row.save(update_fields=["due_at"])
    assert send_pending_notification.call(row.pk) is True
    assert send_pending_notification.call(row.pk) is False
    assert OutboxMessage.objects.filter(template="business_notification").count() == 1


# --- The reply-to address's switches (an owner's) ---------------------------------------


def test_an_owner_switches_the_reply_to_address_off(
    org, owner, manager, quote, send, customer_client, sweep, owner_client
):
    org.reply_to_email = "billing@shop.test"
    org.save()
    switch(org, owner, quote_decided=False)
    page = owner_client.get("/finance/account/notifications/").content.decode()
    assert 'name="reply_to-quote_decided"' in page and "billing@shop.test" in page
    response = owner_client.post(
        "/finance/account/notifications/", {"for": "reply_to", "reply_to-portal_set_up": "on"}
    )
    assert response.status_code == 302
    replies = preference_for(organization=org, user=None)
    assert (replies.quote_decided, replies.first_viewed, replies.portal_set_up) == (
        False,
        False,
        True,
    )
    # The owner's own switches did not move.
    mine = preference_for(organization=org, user=owner)
    assert mine.quote_decided is False and mine.portal_set_up is True
    path = send(quote)
    accept(customer_client, path, quote.content_version)
    assert sweep() == []
    changed = Activity.objects.filter(verb=Verb.NOTIFICATION_SETTINGS_CHANGED).latest("id")
    assert changed.details["reply_to"] == "billing@shop.test"


def test_the_reply_to_address_gets_first_views_when_an_owner_turns_them_on(
    org, owner, invoice, send, customer_client, sweep, owner_client
):
    org.reply_to_email = "billing@shop.test"
    org.save()
    owner_client.post(
        "/finance/account/notifications/",
        {"for": "reply_to", "reply_to-quote_decided": "on", "reply_to-first_viewed": "on"},
    )
    path = send(invoice)
    customer_client.get(path)
    assert [m.to for m in sweep()] == [["billing@shop.test"]]


def test_only_an_owner_sets_the_reply_to_switches(org, manager_client):
    org.reply_to_email = "billing@shop.test"
    org.save()
    page = manager_client.get("/finance/account/notifications/").content.decode()
    assert "reply_to-quote_decided" not in page
    response = manager_client.post("/finance/account/notifications/", {"for": "reply_to"})
    assert response.status_code == 403
    assert preference_for(organization=org, user=None).pk is None
