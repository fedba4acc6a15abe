"""The delayed send of a burst of notifications (django-tasks), for backends that defer."""

from django_tasks import task


@task()
def send_pending_notification(pending_id: int) -> bool:
    from .services import send_notification

    return send_notification(pending_id=pending_id)
