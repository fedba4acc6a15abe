from django.core.management.base import BaseCommand

from solabooks.documents.services import expire_overdue_quotes


class Command(BaseCommand):
    help = "Mark sent quotes past their valid-until date as expired (run once a day)."

    def handle(self, *args, **options) -> None:
        count = expire_overdue_quotes()
        self.stdout.write(f"Expired {count} quote{'s' if count != 1 else ''}.")
