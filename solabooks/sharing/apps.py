from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "solabooks.sharing"
    verbose_name = "Secure links"
