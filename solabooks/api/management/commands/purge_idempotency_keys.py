from django.core.management.base import BaseCommand

from solabooks.api.services import purge_expired_idempotency_keys


class Command(BaseCommand):
    help = (
        "Delete API Idempotency-Key records older than 24 hours (run once a day; an expired "
        "key already behaves as new, this only keeps the table small)."
    )

    def handle(self, *args, **options) -> None:
        count = purge_expired_idempotency_keys()
        self.stdout.write(f"Deleted {count} expired idempotency key{'s' if count != 1 else ''}.")
