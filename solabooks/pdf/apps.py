from django.apps import AppConfig


class PdfConfig(AppConfig):
    name = "solabooks.pdf"
    verbose_name = "PDF rendering"
