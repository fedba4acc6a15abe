from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "solabooks.core"
    label = "core"
    verbose_name = "Shared pieces"

    def ready(self) -> None:
        from .background import connect_signals

        connect_signals()
