from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "solabooks.mail"
    verbose_name = "Email outbox"
