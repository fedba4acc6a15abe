"""System checks for the outbox (run by every management command, so by `db_worker` and
`deliver_outbox` before they send anything, and by `manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Error, register

from .config import SMTP_BACKEND
from .delivery import SEND_STEPS


@register()
def check_outbox_lease(app_configs=None, **kwargs) -> list[Error]:
    """The lease must outlast the longest send a live worker can still be in.

    Otherwise a sweep would take back a row whose worker is only slow, and both would send
    it. Each of a send's SEND_STEPS socket exchanges may take EMAIL_TIMEOUT.
    """
    lease = settings.OUTBOX_LEASE_SECONDS
    if not lease > 0:
        return [Error("OUTBOX_LEASE_SECONDS must be a positive number.", id="mail.E001")]
    if settings.EMAIL_BACKEND != SMTP_BACKEND:
        return []
    timeout = settings.EMAIL_TIMEOUT
    if timeout is None:
        return [
            Error(
                "The SMTP timeout is unset, so a send has no time limit and may outlast "
                "any outbox lease.",
                hint="Set ?timeout=SECONDS in EMAIL_URL.",
                id="mail.E002",
            )
        ]
    if lease < SEND_STEPS * timeout:
        return [
            Error(
                f"OUTBOX_LEASE_SECONDS ({lease:g}) is shorter than a send may take: "
                f"{SEND_STEPS} SMTP exchanges of up to {timeout:g} s (the EMAIL_URL timeout). "
                "A sweep could take a message back from a live worker and send it twice.",
                hint=f"Set OUTBOX_LEASE_SECONDS to at least {SEND_STEPS * timeout:g}, or "
                "lower the EMAIL_URL timeout.",
                id="mail.E003",
            )
        ]
    return []
