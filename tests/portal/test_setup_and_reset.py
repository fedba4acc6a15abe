"""Setup and reset links: 60 minutes, single use, hashed, superseded, renewable on request."""

import datetime
import hashlib

import pytest
import time_machine
from django.contrib.auth.hashers import check_password
from django.core import mail
from django.utils import timezone

from solabooks.activity.models import Activity, Verb
from solabooks.activity.services import Actor
from solabooks.portal.accounts import start_portal_setup_from_link
from solabooks.portal.models import AccessState, PortalAccess, PortalToken, PortalUser
from solabooks.portal.services import disable_portal_access, resend_portal_setup
from solabooks.portal.tokens import PORTAL_LINK_LIFETIME
from tests.factories import CustomerFactory

from .conftest import (
    DASHBOARD,
    NEW_PASSWORD,
    PORTAL_PASSWORD,
    customer_browser,
    html_part,
    portal_link_in,
    sign_in,
)

pytestmark = pytest.mark.django_db

USED = "This link has already been used."
EXPIRED = "This link has expired."
REPLACED = "This link has been replaced by a newer one."
NO_LONGER_VALID = "This link is no longer valid"
REQUEST_NEW = "Request a new link"
NEUTRAL_NEW_LINK = "If this account can still be opened, we have emailed a new link"


def choose(client, path, password=PORTAL_PASSWORD, confirm=None):
    return client.post(path, {"new_password1": password, "new_password2": confirm or password})


def test_the_portal_link_lifetime_is_60_minutes():
    assert datetime.timedelta(minutes=60) == PORTAL_LINK_LIFETIME


def test_setup_email_is_branded_and_carries_a_60_minute_link(invite, customer):
    path = invite(customer)
    message = mail.outbox[-1]
    assert message.subject == "Set up your Acme Ltd customer portal account"
    assert "60 minutes" in message.body
    assert "/finance/customer-portal/login" in message.body
    assert path in html_part(message)
    assert "Acme Ltd via Solabooks" in message.from_email
    token = path.rsplit("/", 1)[-1]
    assert len(token) >= 43  # 256 bits
    stored = PortalToken.objects.get()
    # Only the hash is stored.
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(PortalToken.objects.values().get())
    assert stored.expires_at - stored.created_at == PORTAL_LINK_LIFETIME


def test_choose_a_password_and_be_signed_in(invite, customer, org):
    path = invite(customer)
    client = customer_browser()
    page = client.get(path)
    assert page.status_code == 200
    assert "Set up your portal account" in page.content.decode()
    assert 'class="business-name" dir="ltr">Acme Ltd<' in page.content.decode()
    response = choose(client, path)
    assert response.status_code == 302 and response["Location"] == DASHBOARD
    dashboard = client.get(DASHBOARD)
    assert dashboard.status_code == 200
    assert "Welcome, Jane&#x27;s Bakery" in dashboard.content.decode()
    access = PortalAccess.objects.get(customer=customer)
    assert access.state == AccessState.ACTIVE and access.activated_at is not None
    user = PortalUser.objects.get(email="jane@bakery.test")
    assert user.password.startswith(("argon2", "md5"))  # a hash, never the password
    assert PORTAL_PASSWORD not in user.password
    activated = Activity.objects.for_customer(customer).get(verb=Verb.PORTAL_ACTIVATED)
    assert activated.actor_type == "portal" and activated.actor_label == "jane@bakery.test"
    assert activated.ip == "203.0.113.7"


def test_a_get_uses_nothing_up(invite, customer):
    """Mail scanners pre-fetch links: a GET only shows the form."""
    path = invite(customer)
    client = customer_browser()
    for _ in range(3):
        assert client.get(path).status_code == 200
    assert PortalToken.objects.get().used_at is None
    assert choose(client, path).status_code == 302


def test_a_setup_link_works_once(invite, customer):
    path = invite(customer)
    assert choose(customer_browser(), path).status_code == 302
    # The same link again, in another browser: refused, with a way to ask for a new one.
    second = customer_browser("198.51.100.9")
    page = second.get(path)
    assert page.status_code == 410
    assert USED in page.content.decode() and REQUEST_NEW in page.content.decode()
    again = choose(second, path, password="someone-else-entirely-88")
    assert again.status_code == 410
    user = PortalUser.objects.get()
    assert check_password(PORTAL_PASSWORD, user.password)
    assert second.get(DASHBOARD).status_code == 302


def test_a_setup_link_61_minutes_old_has_expired(invite, customer, deliver):
    path = invite(customer)
    later = timezone.now() + datetime.timedelta(minutes=61)
    with time_machine.travel(later, tick=False):
        client = customer_browser()
        page = client.get(path)
        assert page.status_code == 410
        assert EXPIRED in page.content.decode()
        assert choose(client, path).status_code == 410
        assert PortalUser.objects.get().password == ""
        # Request a new link: emailed to the address on file, a neutral answer.
        before = len(mail.outbox)
        response, sent = deliver(client.post, path=path, data={"action": "request_new"})
        assert response.status_code == 200
        assert NEUTRAL_NEW_LINK in response.content.decode()
        assert len(mail.outbox) == before + 1 and sent[0].to == ["jane@bakery.test"]
        fresh = portal_link_in(sent[0], "setup")
        assert fresh != path
        assert choose(client, fresh).status_code == 302


def test_a_link_59_minutes_old_still_works(invite, customer):
    path = invite(customer)
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=59), tick=False):
        assert choose(customer_browser(), path).status_code == 302


def test_a_resent_setup_link_supersedes_the_old_one(invite, customer, deliver, staff_actor):
    old = invite(customer)
    _, sent = deliver(resend_portal_setup, customer=customer, actor=staff_actor)
    new = portal_link_in(sent[0], "setup")
    page = customer_browser().get(old)
    assert page.status_code == 410 and REPLACED in page.content.decode()
    assert choose(customer_browser(), new).status_code == 302


def test_a_disabled_access_makes_the_setup_link_invalid_for_good(
    invite, customer, staff_actor, deliver
):
    path = invite(customer)
    disable_portal_access(customer=customer, actor=staff_actor)
    client = customer_browser()
    page = client.get(path)
    body = page.content.decode()
    assert page.status_code == 410
    assert NO_LONGER_VALID in body and REQUEST_NEW not in body
    assert "contact Acme Ltd" in body.replace("Please contact", "contact")
    # Not renewable, whatever is posted.
    response, sent = deliver(client.post, path=path, data={"action": "request_new"})
    assert sent == [] and response.status_code == 410
    assert choose(client, path).status_code == 410


def test_re_enabling_does_not_revive_an_old_setup_link(invite, customer, staff_actor):
    old = invite(customer)
    disable_portal_access(customer=customer, actor=staff_actor)
    invite(customer)
    assert customer_browser().get(old).status_code == 410


def test_unknown_and_malformed_tokens_are_not_found(client, db):
    for token in ["A" * 43, "short", "x" * 5000, "%00%00", "a.b.c-d" * 8]:
        assert client.get(f"/finance/customer-portal/setup/{token}").status_code == 404
        assert client.get(f"/finance/customer-portal/reset/{token}").status_code == 404


def test_a_setup_token_is_not_a_reset_token(invite, customer):
    path = invite(customer)
    reset_path = path.replace("/setup/", "/reset/")
    assert customer_browser().get(reset_path).status_code == 404


def test_token_pages_send_the_link_page_headers(invite, customer, client):
    path = invite(customer)
    for response in [client.get(path), client.get(path.replace("setup", "reset"))]:
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cache-Control"] == "no-store"
        assert "noindex" in response["X-Robots-Tag"]
        assert response["X-Frame-Options"] == "DENY"
    choose(client, path)
    used = customer_browser().get(path)
    assert used.status_code == 410 and used["Referrer-Policy"] == "same-origin"
    assert "script-src 'self'" in used["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("password", "confirm", "error"),
    [
        ("short-pass", None, "too short"),
        ("password1234", None, "too common"),
        ("123456789012345", None, "entirely numeric"),
        (PORTAL_PASSWORD, "different-but-long-99", "do not match"),
        ("x" * 4097, None, "at most 4096 characters"),
    ],
)
def test_weak_mismatched_or_oversized_passwords_are_refused(
    invite, customer, password, confirm, error
):
    path = invite(customer)
    response = choose(customer_browser(), path, password=password, confirm=confirm)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert PortalToken.objects.get().used_at is None


def test_long_passphrases_are_accepted(invite, customer):
    passphrase = "correct horse battery staple " * 5  # 145 characters, spaces kept
    path = invite(customer)
    assert choose(customer_browser(), path, password=passphrase).status_code == 302
    assert sign_in(customer_browser(), "jane@bakery.test", passphrase).status_code == 302


# --- Forgot password / reset ---------------------------------------------------------------

FORGOT = "/finance/customer-portal/forgot-password/"
NEUTRAL_RESET = "If that email has a portal account, we have sent it a link"


def forgot(deliver, email, client=None):
    client = client or customer_browser()
    response, sent = deliver(client.post, path=FORGOT, data={"email": email})
    return response, sent


def test_forgot_password_sends_a_60_minute_reset_link(portal, customer, deliver):
    response, sent = forgot(deliver, "Jane@Bakery.test ")
    assert response.status_code == 200 and NEUTRAL_RESET in response.content.decode()
    assert len(sent) == 1 and sent[0].to == ["jane@bakery.test"]
    assert "60 minutes" in sent[0].body
    path = portal_link_in(sent[0], "reset")
    client = customer_browser("198.51.100.20")
    assert client.get(path).status_code == 200
    response = choose(client, path, password=NEW_PASSWORD)
    assert response.status_code == 302 and response["Location"] == DASHBOARD
    assert sign_in(customer_browser(), "jane@bakery.test", NEW_PASSWORD).status_code == 302
    # A reset ends every session from before, the one that had the old password too.
    assert portal.get(DASHBOARD).status_code == 302
    # And the link is single-use.
    assert customer_browser().get(path).status_code == 410


def test_forgot_password_answers_the_same_for_an_unknown_email(deliver, db):
    response, sent = forgot(deliver, "nobody@nowhere.test")
    assert response.status_code == 200 and NEUTRAL_RESET in response.content.decode()
    assert sent == []


def test_forgot_password_before_setup_sends_a_setup_link(invite, customer, deliver):
    invite(customer)
    _, sent = forgot(deliver, "jane@bakery.test")
    assert len(sent) == 1
    assert choose(customer_browser(), portal_link_in(sent[0], "setup")).status_code == 302


def test_forgot_password_for_a_disabled_account_sends_nothing(
    portal, customer, deliver, staff_actor
):
    disable_portal_access(customer=customer, actor=staff_actor)
    response, sent = forgot(deliver, "jane@bakery.test")
    assert NEUTRAL_RESET in response.content.decode() and sent == []


def test_a_reset_link_dies_when_the_password_changes(portal, customer, deliver):
    _, sent = forgot(deliver, "jane@bakery.test")
    path = portal_link_in(sent[0], "reset")
    # The password changes another way (Settings) before the link is used.
    changed = portal.post(
        "/finance/customer-portal/settings/",
        {
            "current_password": PORTAL_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert changed.status_code == 302
    page = customer_browser().get(path)
    assert page.status_code == 410 and REPLACED in page.content.decode()
    assert choose(customer_browser(), path, password="attacker-chosen-pass-55").status_code == 410


def test_a_newer_reset_link_supersedes_the_older(portal, deliver):
    _, first = forgot(deliver, "jane@bakery.test")
    _, second = forgot(deliver, "jane@bakery.test")
    old, new = portal_link_in(first[0]), portal_link_in(second[0])
    assert customer_browser().get(old).status_code == 410
    assert customer_browser().get(new).status_code == 200


def test_a_reset_link_61_minutes_old_has_expired(portal, deliver):
    _, sent = forgot(deliver, "jane@bakery.test")
    path = portal_link_in(sent[0], "reset")
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=61), tick=False):
        page = customer_browser().get(path)
        assert page.status_code == 410 and EXPIRED in page.content.decode()


def test_forgot_password_is_rate_limited(portal, deliver):
    sent_total = 0
    for _ in range(5):
        response, sent = forgot(deliver, "jane@bakery.test")
        assert NEUTRAL_RESET in response.content.decode()
        sent_total += len(sent)
    assert sent_total == 3  # per account, silently


def test_forgot_password_is_rate_limited_per_client(deliver, db):
    client = customer_browser("192.0.2.50")
    for n in range(10):
        response, _ = forgot(deliver, f"someone{n}@nowhere.test", client=client)
        assert response.status_code == 200
    response, _ = forgot(deliver, "someone-else@nowhere.test", client=client)
    assert response.status_code == 429
    assert "Too many attempts. Try again in" in response.content.decode()


# --- "Set up an account" from a secure link ------------------------------------------------


def link_actor() -> Actor:
    return Actor(type="link", label="link #1", ip="203.0.113.7")


def test_setup_from_a_secure_link_invites_the_email_on_file(customer, deliver):
    result, sent = deliver(start_portal_setup_from_link, customer=customer, actor=link_actor())
    assert result is None
    assert len(sent) == 1 and sent[0].to == ["jane@bakery.test"]
    access = PortalAccess.objects.get(customer=customer)
    assert access.state == AccessState.INVITED and access.changed_by_label == "link #1"
    assert choose(customer_browser(), portal_link_in(sent[0], "setup")).status_code == 302


def test_setup_from_a_link_respects_the_business_setting(customer, org, deliver):
    org.allow_portal_setup_from_link = False
    org.save()
    _, sent = deliver(start_portal_setup_from_link, customer=customer, actor=link_actor())
    assert sent == [] and not PortalAccess.objects.exists()


def test_setup_from_a_link_cannot_undo_a_disable(portal, customer, deliver, staff_actor):
    disable_portal_access(customer=customer, actor=staff_actor)
    _, sent = deliver(start_portal_setup_from_link, customer=customer, actor=link_actor())
    assert sent == []
    assert PortalAccess.objects.get().state == AccessState.DISABLED


def test_setup_from_a_link_when_already_active_sends_nothing(portal, customer, deliver):
    _, sent = deliver(start_portal_setup_from_link, customer=customer, actor=link_actor())
    assert sent == []


def test_setup_from_a_link_is_rate_limited(customer, deliver):
    total = 0
    for _ in range(6):
        _, sent = deliver(start_portal_setup_from_link, customer=customer, actor=link_actor())
        total += len(sent)
    assert total == 3


def test_setup_from_a_link_with_an_existing_account_grants_access(
    set_up, customer, other_org, deliver
):
    set_up(customer)
    elsewhere = CustomerFactory(organization=other_org, email="jane@bakery.test", name="Jane B")
    _, sent = deliver(start_portal_setup_from_link, customer=elsewhere, actor=link_actor())
    assert len(sent) == 1 and "gave you access" in sent[0].subject
    assert PortalAccess.objects.get(customer=elsewhere).state == AccessState.ACTIVE
    assert PortalUser.objects.count() == 1
