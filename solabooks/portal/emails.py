"""The portal's emails: the setup link, the "you were given access" notice, a reset link.

They go through the outbox to the customer's email on file. A setup or reset URL carries a
raw token, so it travels only as `secret_url` (encrypted in the outbox, `{{ link_url }}` in
the templates) and never in the context.
"""

from django.conf import settings
from django.urls import reverse

from .models import PortalAccess, PortalUser
from .tokens import PORTAL_LINK_LIFETIME

SETUP = "portal_setup"
ACCESS_GRANTED = "portal_access_granted"
RESET_EMAIL = "portal_password_reset"
UNLOCK_EMAIL = "portal_unlock"


def absolute(path: str) -> str:
    return settings.BASE_URL + path


def _context(*, access: PortalAccess, portal_user: PortalUser) -> dict:
    return {
        "organization": access.organization,
        "customer": access.customer,
        "email": portal_user.email,
        "minutes": int(PORTAL_LINK_LIFETIME.total_seconds() // 60),
        "login_url": absolute(reverse("portal-login")),
    }


def _queue(
    *,
    access: PortalAccess,
    portal_user: PortalUser,
    template: str,
    secret_url=None,
    extra: dict | None = None,
):
    # Imported late: the mail app builds on every other app, not the other way round.
    from solabooks.mail.services import queue_email

    return queue_email(
        organization=access.organization,
        to=portal_user.email,
        template=template,
        context={**_context(access=access, portal_user=portal_user), **(extra or {})},
        customer=access.customer,
        secret_url=secret_url,
    )


def queue_setup(*, access: PortalAccess, portal_user: PortalUser, raw_token: str):
    url = absolute(reverse("portal-setup", kwargs={"token": raw_token}))
    return _queue(access=access, portal_user=portal_user, template=SETUP, secret_url=url)


def queue_access_granted(*, access: PortalAccess, portal_user: PortalUser):
    return _queue(access=access, portal_user=portal_user, template=ACCESS_GRANTED)


def queue_password_reset(*, access: PortalAccess, portal_user: PortalUser, raw_token: str):
    url = absolute(reverse("portal-reset", kwargs={"token": raw_token}))
    return _queue(access=access, portal_user=portal_user, template=RESET_EMAIL, secret_url=url)


def queue_unlock(*, access: PortalAccess, portal_user: PortalUser, raw_token: str, failures: int):
    url = absolute(reverse("portal-unlock", kwargs={"token": raw_token}))
    return _queue(
        access=access,
        portal_user=portal_user,
        template=UNLOCK_EMAIL,
        secret_url=url,
        extra={"failures": failures},
    )
