from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "solabooks.tenancy"
    verbose_name = "Businesses and staff"
