"""A staff member's own account: forgot password, the emailed reset / first-password /
unlock links, Your account > change password, and the sign-in lock after 100 consecutive
failures. A new password ends every other session of that person."""

import datetime
import re
import threading

import pytest
import time_machine
from django.core import mail
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from solabooks.core import signin
from solabooks.tenancy import accounts
from solabooks.tenancy.models import StaffToken, StaffTokenPurpose
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "lantern-meadow-copper-58"
LINK = re.compile(r"https?://[^\s\"'<>]+?(/finance/password/(reset|setup|unlock)/[A-Za-z0-9_\-]+)")
NEUTRAL = "If that email has a Solabooks account, we have sent it a link"


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def browser(ip: str = "198.51.100.7") -> Client:
    return Client(REMOTE_ADDR=ip, HTTP_USER_AGENT="Mozilla/5.0 (Staff)")


def sign_in(client: Client, email: str, password: str = TEST_PASSWORD):
    return client.post(reverse("staff-login"), {"email": email, "password": password})


def link_in(message, purpose: str) -> str:
    found = LINK.search(message.body)
    assert found and found.group(2) == purpose, message.body
    return found.group(1)


def ask_for_reset(email: str, capture) -> list:
    before = len(mail.outbox)
    with capture(execute=True):
        response = browser().post(reverse("staff-forgot-password"), {"email": email})
    assert response.status_code == 200
    assert NEUTRAL in response.content.decode()
    return mail.outbox[before:]


def test_forgot_password_emails_a_reset_link_from_solabooks_itself(
    owner, django_capture_on_commit_callbacks
):
    (message,) = ask_for_reset(owner.email.upper(), django_capture_on_commit_callbacks)
    assert message.to == [owner.email]
    assert message.from_email.startswith("Solabooks <")
    assert message.reply_to == []
    assert "Sent by Solabooks to the email address of your account." in message.body
    assert link_in(message, "reset").startswith("/finance/password/reset/")


@pytest.mark.parametrize("email", ["nobody@acme.test", "not-active@acme.test"])
def test_forgot_password_sends_nothing_without_an_active_account(
    email, owner, django_capture_on_commit_callbacks
):
    owner.email, owner.is_active = "not-active@acme.test", False
    owner.save()
    assert ask_for_reset(email, django_capture_on_commit_callbacks) == []


def test_the_reset_link_sets_a_password_once_and_ends_every_other_session(
    owner, django_capture_on_commit_callbacks
):
    elsewhere = browser("203.0.113.5")
    assert sign_in(elsewhere, owner.email).status_code == 302
    assert elsewhere.get(reverse("dashboard")).status_code == 200
    (message,) = ask_for_reset(owner.email, django_capture_on_commit_callbacks)
    path = link_in(message, "reset")
    here = browser()
    assert here.get(path).status_code == 200  # a GET (mail scanner) changes nothing
    assert owner.__class__.objects.get(pk=owner.pk).check_password(TEST_PASSWORD)
    response = here.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")
    assert here.get(reverse("dashboard")).status_code == 200  # signed in here
    ended = elsewhere.get(reverse("dashboard"))
    assert ended.status_code == 302 and ended["Location"].startswith(reverse("staff-login"))
    # Once only.
    again = browser().post(path, {"new_password1": "x" * 20, "new_password2": "x" * 20})
    assert again.status_code == 410
    assert sign_in(browser("198.51.100.99"), owner.email, NEW_PASSWORD).status_code == 302


def test_reset_links_expire_after_an_hour_and_a_newer_one_replaces_them(
    owner, django_capture_on_commit_callbacks
):
    (first,) = ask_for_reset(owner.email, django_capture_on_commit_callbacks)
    (second,) = ask_for_reset(owner.email, django_capture_on_commit_callbacks)
    assert browser().get(link_in(first, "reset")).status_code == 410
    path = link_in(second, "reset")
    token = StaffToken.objects.get(superseded_at__isnull=True, purpose=StaffTokenPurpose.RESET)
    with time_machine.travel(token.expires_at + datetime.timedelta(seconds=1)):
        assert browser().get(path).status_code == 410


def test_a_weak_password_on_the_reset_page_keeps_the_link(
    owner, django_capture_on_commit_callbacks
):
    (message,) = ask_for_reset(owner.email, django_capture_on_commit_callbacks)
    path = link_in(message, "reset")
    short = "fourteen-chars"
    response = browser().post(path, {"new_password1": short, "new_password2": short})
    assert response.status_code == 200
    assert "at least 15 characters" in response.content.decode()
    ok = browser().post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert ok.status_code == 302


@pytest.mark.parametrize("token", ["short", "x" * 43, "..%2F..%2Fetc%2Fpasswd", "a" * 300])
def test_unknown_or_malformed_links_are_not_found(token, db):
    for purpose in ("reset", "setup", "unlock"):
        assert browser().get(f"/finance/password/{purpose}/{token}").status_code == 404


def test_token_pages_are_private(owner, django_capture_on_commit_callbacks):
    (message,) = ask_for_reset(owner.email, django_capture_on_commit_callbacks)
    response = browser().get(link_in(message, "reset"))
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]


def test_the_forgot_password_page_is_limited_per_client(db):
    client = browser("203.0.113.9")
    for _ in range(accounts.EMAILS_PER_CLIENT.max_hits):
        assert (
            client.post(reverse("staff-forgot-password"), {"email": "a@b.test"}).status_code == 200
        )
    refused = client.post(reverse("staff-forgot-password"), {"email": "a@b.test"})
    assert refused.status_code == 429
    assert "Too many attempts" in refused.content.decode()


# --- Your account -----------------------------------------------------------------------


def change(client: Client, current: str, new: str = NEW_PASSWORD):
    return client.post(
        reverse("staff-account"),
        {"current_password": current, "new_password1": new, "new_password2": new},
    )


def test_changing_the_password_keeps_this_session_and_ends_the_others(owner):
    here, elsewhere = browser(), browser("203.0.113.5")
    assert sign_in(here, owner.email).status_code == 302
    assert sign_in(elsewhere, owner.email).status_code == 302
    response = change(here, TEST_PASSWORD)
    assert response.status_code == 302
    assert here.get(reverse("dashboard")).status_code == 200
    assert elsewhere.get(reverse("dashboard")).status_code == 302
    assert sign_in(browser("198.51.100.50"), owner.email, NEW_PASSWORD).status_code == 302


def test_wrong_current_passwords_are_limited(owner):
    client = browser()
    assert sign_in(client, owner.email).status_code == 302
    for _ in range(accounts.CURRENT_PASSWORD_GUESSES.max_hits):
        assert "not correct" in change(client, "wrong-current-password").content.decode()
    refused = change(client, TEST_PASSWORD)
    assert "Too many attempts" in refused.content.decode()
    assert owner.__class__.objects.get(pk=owner.pk).check_password(TEST_PASSWORD)


@pytest.mark.parametrize(
    ("password", "error"),
    [
        ("fourteen-chars", "at least 15 characters"),
        ("1q2w3e4r5t6y7u8i9o0p", "too common"),
        ("123456789012345678", "entirely numeric"),
        ("my-staff0-is-the-best", "email's name"),
        ("acme ltd forever and ever", "name of your business"),
    ],
)
def test_weak_passwords_are_refused(owner, password, error):
    owner.email = "staff0@example.test"
    owner.save()
    client = browser()
    client.force_login(owner)
    page = change(client, TEST_PASSWORD, password).content.decode()
    assert error in page.replace("&#x27;", "'")


def test_long_passphrases_are_welcome(owner):
    client = browser()
    client.force_login(owner)
    long_one = "a long passphrase about orchards and the sea " * 3  # 135 characters
    assert change(client, TEST_PASSWORD, long_one).status_code == 302


# --- The 100-failure lock -------------------------------------------------------------------


def fail_from_many_addresses(email: str, times: int) -> None:
    for n in range(times):
        sign_in(browser(f"10.{n // 250}.{n % 250}.1"), email, "wrong-guess-0")


def test_100_consecutive_failures_pause_sign_in_until_the_emailed_unlock(
    owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        fail_from_many_addresses(owner.email, 100)
    refused = sign_in(browser("198.51.100.77"), owner.email)
    assert refused.status_code == 429
    assert signin.LOCKED_MESSAGE in refused.content.decode()
    (message,) = mail.outbox
    assert message.to == [owner.email] and "100 failed attempts" in message.body
    path = link_in(message, "unlock")
    assert browser().get(path).status_code == 200  # a GET unlocks nothing
    assert sign_in(browser("198.51.100.78"), owner.email).status_code == 429
    unlocked = browser().post(path)
    assert unlocked.status_code == 302 and unlocked["Location"] == reverse("staff-login")
    assert sign_in(browser("198.51.100.79"), owner.email).status_code == 302
    assert browser().post(path).status_code == 410


def test_a_password_reset_unlocks_sign_in(owner, django_capture_on_commit_callbacks):
    fail_from_many_addresses(owner.email, 100)
    sent = ask_for_reset(owner.email, django_capture_on_commit_callbacks)
    (message,) = [m for m in sent if "/password/reset/" in m.body]
    path = link_in(message, "reset")
    browser().post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert sign_in(browser("198.51.100.80"), owner.email, NEW_PASSWORD).status_code == 302


def test_an_unknown_email_is_paused_the_same_way(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        fail_from_many_addresses("nobody@acme.test", 100)
    refused = sign_in(browser("198.51.100.77"), "nobody@acme.test", "x" * 15)
    assert refused.status_code == 429
    assert signin.LOCKED_MESSAGE in refused.content.decode()
    assert mail.outbox == []


PARALLEL = 30


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_parallel_staff_guesses_get_no_more_checks_than_the_limit(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("Needs PostgreSQL and real concurrent connections.")
    from django.contrib.auth.hashers import MD5PasswordHasher

    from tests.factories import UserFactory

    user = UserFactory(email="owner@acme.test")
    checks = []
    lock = threading.Lock()
    original = MD5PasswordHasher.verify

    def counted(self, *args):
        with lock:
            checks.append(1)
        return original(self, *args)

    monkeypatch.setattr(MD5PasswordHasher, "verify", counted)
    start = threading.Barrier(PARALLEL)
    statuses: list = []

    def guess() -> None:
        try:
            start.wait()
            statuses.append(
                sign_in(browser("203.0.113.66"), user.email, "wrong-guess-0").status_code
            )
        except BaseException as error:  # reported by the main thread
            statuses.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=guess) for _ in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    per_pair = accounts.SIGN_IN_LIMITS.per_account_and_client.max_hits
    assert sorted(statuses, key=str) == [200] * per_pair + [429] * (PARALLEL - per_pair)
    assert len(checks) == per_pair


def test_a_deactivated_account_loses_its_live_sessions_and_cannot_reset(
    owner, django_capture_on_commit_callbacks
):
    client = browser()
    assert sign_in(client, owner.email).status_code == 302
    (message,) = ask_for_reset(owner.email, django_capture_on_commit_callbacks)
    owner.is_active = False
    owner.save()
    assert client.get(reverse("dashboard")).status_code == 302
    assert browser().get(link_in(message, "reset")).status_code == 404
    assert sign_in(browser("198.51.100.90"), owner.email).status_code == 200
