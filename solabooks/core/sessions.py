"""Session lifetimes (OWASP ASVS 3.3): an absolute limit from sign-in and an idle limit.

A signed-in session remembers when it started and when it was last used (epoch seconds, in
the session itself). Every request checks both; a session past either limit ends. "Last
used" is rewritten at most once a minute, so a busy session is not saved on every request
(the idle limit is therefore exact to within a minute).

Staff and portal sign-ins keep separate stamps: one browser may hold both, and each ends on
its own clock (settings: STAFF_SESSION_MAX_AGE / STAFF_SESSION_IDLE, PORTAL_SESSION_*).
"""

import time
from dataclasses import dataclass

from django.conf import settings

TOUCH_EVERY = 60  # seconds between rewrites of "last used"


@dataclass(frozen=True)
class Lifetime:
    name: str  # the session keys' prefix: "staff", "portal"
    max_age_setting: str
    idle_setting: str

    @property
    def started_key(self) -> str:
        return f"{self.name}_signed_in_at"

    @property
    def seen_key(self) -> str:
        return f"{self.name}_seen_at"

    @property
    def max_age(self) -> int:
        return int(getattr(settings, self.max_age_setting))

    @property
    def idle(self) -> int:
        return int(getattr(settings, self.idle_setting))


STAFF = Lifetime("staff", "STAFF_SESSION_MAX_AGE", "STAFF_SESSION_IDLE")
PORTAL = Lifetime("portal", "PORTAL_SESSION_MAX_AGE", "PORTAL_SESSION_IDLE")


def start(session, lifetime: Lifetime) -> None:
    """Call at sign-in: both clocks start now."""
    now = int(time.time())
    session[lifetime.started_key] = now
    session[lifetime.seen_key] = now


def forget(session, lifetime: Lifetime) -> None:
    session.pop(lifetime.started_key, None)
    session.pop(lifetime.seen_key, None)


def still_alive(session, lifetime: Lifetime) -> bool:
    """Whether a signed-in session is within both limits; marks it used when it is.

    A session without stamps (signed in before the stamps existed) counts as ended."""
    started, seen = session.get(lifetime.started_key), session.get(lifetime.seen_key)
    if not isinstance(started, int) or not isinstance(seen, int):
        return False
    now = int(time.time())
    if now - started >= lifetime.max_age or now - seen >= lifetime.idle:
        return False
    if now - seen >= TOUCH_EVERY:
        session[lifetime.seen_key] = now
    return True
