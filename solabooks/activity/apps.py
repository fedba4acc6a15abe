from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "solabooks.activity"
    verbose_name = "Activity"
