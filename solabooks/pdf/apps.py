import logging

from django.apps import AppConfig
from django.conf import settings


class PdfConfig(AppConfig):
    name = "solabooks.pdf"
    verbose_name = "PDF rendering"

    def ready(self) -> None:
        # WeasyPrint logs every rendering step at INFO, and a warning per CSS rule of the
        # shared app.css it cannot use (screen-only features). Neither helps in production
        # logs; real problems (an unreadable image) are logged at ERROR and still show.
        logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
        if not settings.DEBUG:
            logging.getLogger("weasyprint").setLevel(logging.ERROR)
