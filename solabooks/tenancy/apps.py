from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "solabooks.tenancy"
    verbose_name = "Businesses and staff"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .middleware import start_staff_session_clock

        user_logged_in.connect(start_staff_session_clock, dispatch_uid="staff-session-clock")
