from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "solabooks.notifications"
    verbose_name = "Notifications to the business"
