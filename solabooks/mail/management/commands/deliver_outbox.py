"""Deliver queued outbox emails that are due.

    python manage.py deliver_outbox                        # one sweep, then exit
    python manage.py deliver_outbox --loop --interval 30   # keep sweeping

Production runs `python manage.py db_worker` (TASK_BACKEND=database) for delivery and
retries, and this command with --loop as a safety net for messages whose task was lost or
whose worker died mid-send (retried once the worker's lease, OUTBOX_LEASE_SECONDS, has run
out; see mail/delivery.py). Several copies may run: a message is claimed before sending.
"""

import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from solabooks.mail.delivery import deliver_due_messages
from solabooks.notifications.services import send_due_notifications


class Command(BaseCommand):
    help = "Deliver queued outbox emails that are due (retries, stuck or lost messages)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Keep running.")
        parser.add_argument(
            "--interval", type=float, default=30.0, help="Seconds between sweeps with --loop."
        )
        parser.add_argument("--limit", type=int, default=100, help="Messages per sweep.")

    def handle(self, *args, loop: bool, interval: float, limit: int, **options):
        while True:
            # Business notifications whose burst window has passed join the outbox first.
            send_due_notifications(limit=limit)
            sent = deliver_due_messages(limit=limit)
            if sent or not loop:
                self.stdout.write(f"Delivered {sent} message(s).")
            if not loop:
                return
            try:
                time.sleep(interval)
            except KeyboardInterrupt:
                return
            # A long-lived process: drop a connection the database has closed meanwhile.
            close_old_connections()
