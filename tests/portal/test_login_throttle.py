"""Portal sign-in throttles that hold and cannot lock the owner out (core.signin):
per (account, client), per client, 100 consecutive failures before an emailed unlock,
counted atomically before the password check."""

import re
import threading

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.db import connection, connections

from solabooks.core import ratelimit, signin
from solabooks.portal.auth import SIGN_IN_LIMITS, attempt_login
from solabooks.portal.models import PortalToken, TokenPurpose

from .conftest import (
    LOGIN,
    NEW_PASSWORD,
    PORTAL_PASSWORD,
    customer_browser,
    portal_link_in,
    sign_in,
)

pytestmark = pytest.mark.django_db

UNLOCK_LINK = re.compile(r"https?://[^\s\"'<>]+?(/finance/customer-portal/unlock/[A-Za-z0-9_\-]+)")


def fail_from_many_addresses(email: str, times: int) -> None:
    """`times` wrong passwords, each from its own address (no per-client throttle)."""
    for n in range(times):
        response = sign_in(customer_browser(f"10.{n // 250}.{n % 250}.1"), email, "wrong-guess-0")
        assert response.status_code in (200, 429), response.status_code


def test_an_attacker_elsewhere_cannot_lock_the_owner_out(portal):
    attacker = customer_browser("203.0.113.66")
    for _ in range(30):
        sign_in(attacker, "jane@bakery.test", "wrong-guess-0")
    assert sign_in(attacker, "jane@bakery.test").status_code == 429
    # The owner, at home, signs in while the attacker is being throttled.
    assert sign_in(customer_browser("198.51.100.8"), "jane@bakery.test").status_code == 302


def test_the_right_password_takes_back_the_clients_hits(portal):
    office = customer_browser("198.51.100.20")
    for _ in range(40):  # twice the per-client limit, all correct
        assert sign_in(customer_browser("198.51.100.20"), "jane@bakery.test").status_code == 302
    assert ratelimit.count(SIGN_IN_LIMITS.per_client, "198.51.100.20") == 0
    assert sign_in(office, "jane@bakery.test").status_code == 302


def test_a_success_forgets_the_consecutive_failures(portal):
    fail_from_many_addresses("jane@bakery.test", 60)
    assert sign_in(customer_browser("198.51.100.9"), "jane@bakery.test").status_code == 302
    fail_from_many_addresses("jane@bakery.test", 60)  # 60 + 60 is not 100 in a row
    assert sign_in(customer_browser("198.51.100.9"), "jane@bakery.test").status_code == 302


def test_100_consecutive_failures_pause_the_account_and_email_an_unlock_link(
    portal, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        fail_from_many_addresses("jane@bakery.test", 99)
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        last = sign_in(customer_browser("198.51.100.50"), "jane@bakery.test", "wrong-guess-0")
    assert signin.LOCKED_MESSAGE in last.content.decode()
    # Paused: even the right password from a fresh address does not sign in.
    refused = sign_in(customer_browser("198.51.100.51"), "jane@bakery.test")
    assert refused.status_code == 429
    assert signin.LOCKED_MESSAGE in refused.content.decode()
    # Exactly one email, to the account's address, with a one-time unlock link.
    (message,) = mail.outbox
    assert message.to == ["jane@bakery.test"]
    assert "100 failed attempts" in message.body
    path = UNLOCK_LINK.search(message.body).group(1)
    # A mail scanner's GET unlocks nothing.
    browser = customer_browser("198.51.100.52")
    assert browser.get(path).status_code == 200
    assert sign_in(customer_browser("198.51.100.53"), "jane@bakery.test").status_code == 429
    response = browser.post(path)
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert sign_in(customer_browser("198.51.100.54"), "jane@bakery.test").status_code == 302
    # The link works once.
    assert customer_browser().post(path).status_code == 410
    assert PortalToken.objects.get(purpose=TokenPurpose.UNLOCK).used_at is not None


def test_an_unknown_email_is_paused_and_answered_the_same_way(
    portal, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        fail_from_many_addresses("nobody@bakery.test", 100)
    refused = sign_in(customer_browser("198.51.100.51"), "nobody@bakery.test", "x" * 15)
    assert refused.status_code == 429
    assert signin.LOCKED_MESSAGE in refused.content.decode()
    assert mail.outbox == []  # nobody to tell


def test_a_password_reset_unlocks(portal, django_capture_on_commit_callbacks):
    fail_from_many_addresses("jane@bakery.test", 100)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        customer_browser().post(
            "/finance/customer-portal/forgot-password/", {"email": "jane@bakery.test"}
        )
    (reset_email,) = [m for m in mail.outbox if "/reset/" in m.body]
    path = portal_link_in(reset_email, "reset")
    with django_capture_on_commit_callbacks(execute=True):
        response = customer_browser().post(
            path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
        )
    assert response.status_code == 302
    assert (
        sign_in(customer_browser("198.51.100.60"), "jane@bakery.test", NEW_PASSWORD).status_code
        == 302
    )


def test_a_throttled_or_paused_attempt_never_checks_the_password(portal, monkeypatch):
    checks = []
    original = MD5PasswordHasher.verify
    monkeypatch.setattr(
        MD5PasswordHasher, "verify", lambda self, *a: checks.append(1) or original(self, *a)
    )
    attacker = customer_browser("203.0.113.66")
    for _ in range(12):
        sign_in(attacker, "jane@bakery.test", "wrong-guess-0")
    assert len(checks) == 5


PARALLEL = 30


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_get_no_more_checks_than_the_limit(monkeypatch):
    """30 parallel tries from one client against a limit of 5: exactly 5 password checks
    (the old check-then-count let 6 through)."""
    if connection.vendor != "postgresql":
        pytest.skip("Needs PostgreSQL and real concurrent connections.")
    from solabooks.portal.models import PortalUser

    PortalUser.objects.create(email="jane@bakery.test", password="md5$x$y")
    checks = []
    lock = threading.Lock()
    import solabooks.portal.auth as auth

    real_check = auth.check_credentials

    def counted(**kwargs):
        with lock:
            checks.append(1)
        return real_check(**kwargs)

    monkeypatch.setattr(auth, "check_credentials", counted)
    start = threading.Barrier(PARALLEL)
    errors = []

    def guess() -> None:
        try:
            start.wait()
            attempt_login(
                email="jane@bakery.test", password="wrong-guess-0", client_ip="203.0.113.66"
            )
        except BaseException as error:  # reported by the main thread
            errors.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=guess) for _ in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(checks) == SIGN_IN_LIMITS.per_account_and_client.max_hits == 5


def test_the_owners_right_password_is_one_check(portal):
    assert (
        sign_in(customer_browser("198.51.100.70"), "jane@bakery.test", PORTAL_PASSWORD).status_code
        == 302
    )
