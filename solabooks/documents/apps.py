from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "solabooks.documents"
    verbose_name = "Documents and payments"
