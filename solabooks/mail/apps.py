from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "solabooks.mail"
    verbose_name = "Email outbox"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the outbox's system checks)
