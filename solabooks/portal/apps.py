from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "solabooks.portal"
    verbose_name = "Customer portal"
