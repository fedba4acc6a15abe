"""Outbox delivery tasks (django-tasks).

Embedded default (TASK_BACKEND unset = ImmediateBackend): the task runs in the web process
right after the request's transaction commits. When the mail server was down, messages
wait in the queue; every later delivery task sweeps them up, and so does
`manage.py deliver_outbox`.

Production (TASK_BACKEND=database) runs, beside the app servers:

    python manage.py db_worker                            # runs delivery tasks and retries
    python manage.py deliver_outbox --loop --interval 60  # safety net: stuck/lost messages

Retries are enqueued with run_after (exponential backoff); a message is claimed with a
conditional UPDATE before sending, so several workers never send it twice.
"""

from django_tasks import task


@task()
def deliver_outbox_message(message_id: int) -> str:
    from .delivery import Delivery, deliver_due_messages, deliver_message

    result = deliver_message(message_id)
    if result != Delivery.RETRYING:
        # The server answers: catch up on what a failure left queued (a few, the
        # embedded default runs this inside a web request).
        deliver_due_messages(limit=20)
        # And queue the business notifications whose burst window has passed (the
        # embedded backend cannot defer their own task). Imported late: they build on mail.
        from solabooks.notifications.services import send_due_notifications_unless_nested

        send_due_notifications_unless_nested(limit=20)
    return result.value
