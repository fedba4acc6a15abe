from django.core.management.base import BaseCommand

from solabooks.pdf.legacy import remove_public_pdf_cache


class Command(BaseCommand):
    help = (
        "Delete PDFs that earlier versions cached in public media (pdf-cache/). The upgrade "
        "migration does it once; run this after every app server runs the new version."
    )

    def handle(self, *args, **options) -> None:
        count = remove_public_pdf_cache()
        self.stdout.write(f"Removed {count} public PDF{'s' if count != 1 else ''}.")
