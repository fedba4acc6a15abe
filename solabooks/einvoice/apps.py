from django.apps import AppConfig


class EinvoiceConfig(AppConfig):
    name = "solabooks.einvoice"
    verbose_name = "E-invoicing (Factur-X, EN 16931)"
