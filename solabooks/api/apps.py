from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "solabooks.api"
    verbose_name = "REST API"
