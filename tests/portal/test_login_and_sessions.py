"""Signing in and out, throttling, choosing a business, and sessions that end by state:
Disable (next request, every tab) and a password change (every other session)."""

import re
import time

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher, make_password
from django.test import Client

from solabooks.activity.models import Activity, Verb
from solabooks.activity.services import Actor
from solabooks.portal.auth import BAD_CREDENTIALS, check_credentials
from solabooks.portal.models import PortalUser
from solabooks.portal.services import disable_portal_access, enable_portal_access
from tests.factories import CustomerFactory, make_document

from .conftest import (
    DASHBOARD,
    LOGIN,
    NEW_PASSWORD,
    PORTAL_PASSWORD,
    customer_browser,
    sign_in,
)

pytestmark = pytest.mark.django_db

SETTINGS = "/finance/customer-portal/settings/"
CHOOSE = "/finance/customer-portal/choose/"
TURNED_OFF = "Your access to Acme Ltd has been turned off."


def test_the_login_page_is_at_the_guides_address(client, db):
    assert client.get(LOGIN).status_code == 200
    assert client.get(LOGIN + "/").status_code == 200
    from django.urls import reverse

    assert reverse("portal-login") == LOGIN


def test_sign_in_opens_the_dashboard_and_is_recorded(portal, customer):
    client = customer_browser("198.51.100.4")
    response = sign_in(client, "JANE@bakery.test")
    assert response.status_code == 302 and response["Location"] == DASHBOARD
    assert client.get(DASHBOARD).status_code == 200
    signed_in = Activity.objects.for_customer(customer).filter(verb=Verb.PORTAL_SIGNED_IN).first()
    assert signed_in.ip == "198.51.100.4" and signed_in.actor_label == "jane@bakery.test"


def test_sign_in_gives_a_new_session_key(portal, customer):
    client = customer_browser()
    client.get(LOGIN)
    client.cookies["sessionid"] = "fixated-session-key-from-an-attacker"
    sign_in(client, "jane@bakery.test")
    assert client.cookies["sessionid"].value != "fixated-session-key-from-an-attacker"


def test_unknown_email_and_wrong_password_get_the_same_answer(portal):
    wrong = sign_in(customer_browser(), "jane@bakery.test", "not-the-password-at-all")
    unknown = sign_in(customer_browser("198.51.100.5"), "nobody@bakery.test", "whatever-pass-1")
    assert wrong.status_code == unknown.status_code == 200
    assert BAD_CREDENTIALS in wrong.content.decode()
    assert BAD_CREDENTIALS in unknown.content.decode()

    def error_part(response):
        page = response.content.decode()
        return page[page.index('<ul class="errorlist"') :].split("</ul>")[0]

    assert error_part(wrong) == error_part(unknown)


def test_an_invited_email_without_a_password_looks_unknown_too(invite, customer):
    invite(customer)
    response = sign_in(customer_browser(), "jane@bakery.test", "")
    assert response.status_code == 200
    response = sign_in(customer_browser(), "jane@bakery.test", "a-guess-at-the-pass")
    assert BAD_CREDENTIALS in response.content.decode()


def test_unknown_email_and_wrong_password_do_the_same_hashing_work(portal, monkeypatch):
    calls = []
    original = MD5PasswordHasher.encode

    def counting(self, password, salt, *args, **kwargs):
        calls.append(password)
        return original(self, password, salt, *args, **kwargs)

    monkeypatch.setattr(MD5PasswordHasher, "encode", counting)
    sign_in(customer_browser(), "jane@bakery.test", "not-the-password-at-all")
    wrong = len(calls)
    calls.clear()
    sign_in(customer_browser(), "nobody@bakery.test", "not-the-password-at-all")
    unknown = len(calls)
    assert wrong == unknown == 1


def test_unknown_email_and_wrong_password_take_similar_time_with_argon2(settings, db):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    PortalUser.objects.create(email="jane@bakery.test", password=make_password(PORTAL_PASSWORD))

    def once(email) -> float:
        start = time.perf_counter()
        assert check_credentials(email=email, password="not-the-password") is None
        return time.perf_counter() - start

    once("warm-up@bakery.test")
    # Interleaved, and the fastest of each: the machine's load moves both alike.
    samples = [(once("jane@bakery.test"), once("nobody@bakery.test")) for _ in range(7)]
    wrong = min(w for w, _ in samples)
    unknown = min(u for _, u in samples)
    # Loose on purpose (shared CI machines); the exact check is the hasher-call count above.
    assert 1 / 3 < wrong / unknown < 3, (wrong, unknown)


def test_logins_are_throttled_per_account_and_client(portal):
    guesser = customer_browser("198.51.100.1")
    for _ in range(5):
        assert sign_in(guesser, "jane@bakery.test", "wrong-guess-000").status_code == 200
    # That client is held up for this account, even with the right password...
    response = sign_in(guesser, "jane@bakery.test")
    assert response.status_code == 429
    assert re.search(r"Too many attempts\. Try again in \d+ minutes?\.", response.content.decode())
    # ...and the owner, from another address, is not: a free lock-out is no longer possible.
    assert sign_in(customer_browser("198.51.100.77"), "jane@bakery.test").status_code == 302
    # An unknown email is throttled the same way: the throttle reveals nothing.
    other = customer_browser("192.0.2.1")
    for _ in range(5):
        sign_in(other, "nobody@bakery.test", "wrong-guess-000")
    assert sign_in(other, "nobody@bakery.test", "x" * 15).status_code == 429


def test_logins_are_throttled_per_client_address(portal):
    attacker = customer_browser("203.0.113.66")
    for n in range(20):
        assert sign_in(attacker, f"guess{n}@bakery.test", "wrong-guess-000").status_code == 200
    blocked = sign_in(attacker, "jane@bakery.test")
    assert blocked.status_code == 429 and "Too many attempts" in blocked.content.decode()
    # Another client with the right password is not held up by the attacker's address.
    assert sign_in(customer_browser("198.51.100.8"), "jane@bakery.test").status_code == 302


def test_the_client_address_comes_from_trusted_proxies_only(portal, settings):
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    for n in range(20):
        sign_in(
            attacker, f"guess{n}@bakery.test", "wrong-guess-000", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}"
        )
    # A forged X-Forwarded-For from an untrusted peer changes nothing.
    assert sign_in(attacker, "jane@bakery.test", HTTP_X_FORWARDED_FOR="10.9.9.9").status_code == 429


@pytest.mark.parametrize(
    "data",
    [
        {"email": "jane@bakery.test", "password": "x" * 4097},
        {"email": "x" * 300 + "@bakery.test", "password": "whatever-pass"},
        {"email": "not an email", "password": "whatever-pass"},
        {"email": "", "password": ""},
        {},
        {"email": ["a@b.test", "c@d.test"], "password": "whatever-pass"},
    ],
)
def test_malformed_or_oversized_login_input_is_a_form_error(portal, data, monkeypatch):
    calls = []
    monkeypatch.setattr(MD5PasswordHasher, "encode", lambda *a, **k: calls.append(1) or "x")
    response = customer_browser().post(LOGIN, data)
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    if data.get("password") == "x" * 4097:
        assert calls == []  # nothing huge was hashed


def test_logout_ends_the_portal_session(portal):
    assert portal.get("/finance/customer-portal/logout/").status_code == 405
    response = portal.post("/finance/customer-portal/logout/")
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert portal.get(DASHBOARD).status_code == 302


def test_portal_pages_need_a_portal_session(client, db):
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and response["Location"] == LOGIN


# --- Staff and portal never grant each other anything --------------------------------------


def test_a_staff_session_does_not_open_the_portal(owner_client, portal, customer):
    for url in [DASHBOARD, "/finance/customer-portal/invoices/", SETTINGS]:
        response = owner_client.get(url)
        assert response.status_code == 302 and response["Location"] == LOGIN


def test_a_portal_session_does_not_open_staff_pages(portal, customer):
    for url in ["/finance/", "/finance/customers/", f"/finance/customers/{customer.pk}/"]:
        response = portal.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/finance/login/")
    response = portal.post(
        f"/finance/customers/{customer.pk}/portal/disable/", {"confirm_email": customer.email}
    )
    assert response.status_code == 302 and response["Location"].startswith("/finance/login/")


def test_staff_and_portal_in_one_browser_stay_separate(owner, portal, customer):
    from tests.factories import TEST_PASSWORD

    # Staff sign in within the portal customer's browser: each keeps its own grant.
    assert portal.login(email=owner.email, password=TEST_PASSWORD)
    assert portal.get(DASHBOARD).status_code == 200
    assert portal.get("/finance/customers/").status_code == 200
    # Signing out of the portal leaves the staff session; it still opens no portal page.
    portal.post("/finance/customer-portal/logout/")
    assert portal.get("/finance/customers/").status_code == 200
    assert portal.get(DASHBOARD).status_code == 302


def test_a_portal_user_with_the_email_of_a_staff_member_is_still_not_staff(set_up, org, owner):
    staffer_as_customer = CustomerFactory(organization=org, email=owner.email)
    client = set_up(staffer_as_customer)
    assert client.get("/finance/customers/").status_code == 302


# --- Disable and password changes end sessions ---------------------------------------------


def test_disable_takes_effect_on_the_next_request_in_every_tab(portal, customer, staff_actor):
    second_tab_elsewhere = customer_browser("198.51.100.30")
    assert sign_in(second_tab_elsewhere, "jane@bakery.test").status_code == 302
    assert portal.get(DASHBOARD).status_code == 200
    disable_portal_access(customer=customer, actor=staff_actor)
    for client in (portal, second_tab_elsewhere):
        response = client.get("/finance/customer-portal/invoices/", follow=True)
        assert response.redirect_chain[-1][0] == LOGIN
        assert TURNED_OFF in response.content.decode()
        # And the session is over, not just this page.
        assert client.get(DASHBOARD).status_code == 302
    # Sign-in now fails for this business (no other business gives access).
    response = sign_in(customer_browser("198.51.100.31"), "jane@bakery.test", follow=True)
    assert "No business gives this account portal access" in response.content.decode()


def test_a_disabled_session_cannot_download_or_decide(portal, customer, staff_actor):
    quote = make_document(customer=customer, kind="quote", state="sent")
    disable_portal_access(customer=customer, actor=staff_actor)
    assert portal.get(f"/finance/customer-portal/documents/{quote.pk}/pdf/").status_code == 302
    response = portal.post(
        f"/finance/customer-portal/documents/{quote.pk}/decision/",
        {"op": "accept", "accept-signer_name": "Jane", "accept-version": quote.content_version},
    )
    assert response.status_code == 302 and response["Location"] == LOGIN
    quote.refresh_from_db()
    assert quote.state == "sent"


def test_re_enabling_does_not_revive_old_sessions(portal, customer, staff_actor, deliver):
    disable_portal_access(customer=customer, actor=staff_actor)
    deliver(
        enable_portal_access, customer=customer, confirmed_email=customer.email, actor=staff_actor
    )
    response = portal.get(DASHBOARD, follow=True)
    assert TURNED_OFF in response.content.decode()
    # A fresh sign-in works again.
    assert sign_in(customer_browser(), "jane@bakery.test").status_code == 302


def test_a_password_change_ends_every_other_session_and_keeps_this_one(portal):
    other = customer_browser("198.51.100.40")
    assert sign_in(other, "jane@bakery.test").status_code == 302
    response = portal.post(
        SETTINGS,
        {
            "current_password": PORTAL_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        follow=True,
    )
    assert "Your password was changed" in response.content.decode()
    assert portal.get(DASHBOARD).status_code == 200
    response = other.get(DASHBOARD, follow=True)
    assert response.redirect_chain[-1][0] == LOGIN
    assert "Please sign in again" in response.content.decode()
    assert sign_in(customer_browser(), "jane@bakery.test").status_code == 200  # old password
    assert sign_in(customer_browser(), "jane@bakery.test", NEW_PASSWORD).status_code == 302


def test_changing_the_password_needs_the_current_one(portal):
    response = portal.post(
        SETTINGS,
        {
            "current_password": "not-my-password",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert "Your current password is not correct." in response.content.decode()
    assert sign_in(customer_browser(), "jane@bakery.test").status_code == 302


def test_the_new_password_must_pass_the_validators(portal):
    response = portal.post(
        SETTINGS,
        {"current_password": PORTAL_PASSWORD, "new_password1": "short", "new_password2": "short"},
    )
    assert "too short" in response.content.decode()


# --- Several businesses --------------------------------------------------------------------


@pytest.fixture
def two_businesses(set_up, customer, other_org, other_owner, deliver):
    """Jane is a customer of Acme Ltd and of Rival Inc, with one portal account."""
    set_up(customer)
    elsewhere = CustomerFactory(
        organization=other_org, email="jane@bakery.test", name="Jane at Rival"
    )
    deliver(
        enable_portal_access,
        customer=elsewhere,
        confirmed_email="jane@bakery.test",
        actor=Actor(type="staff", user=other_owner, label=other_owner.email),
    )
    return customer, elsewhere


def test_a_person_with_several_businesses_picks_one_and_can_switch(two_businesses):
    acme_customer, rival_customer = two_businesses
    acme_invoice = make_document(customer=acme_customer, state="sent")
    rival_invoice = make_document(customer=rival_customer, state="sent")
    client = customer_browser()
    response = sign_in(client, "jane@bakery.test")
    assert response["Location"] == CHOOSE
    # No business chosen yet: portal pages send the person to the chooser.
    assert client.get(DASHBOARD)["Location"] == CHOOSE
    page = client.get(CHOOSE).content.decode()
    assert "Acme Ltd" in page and "Rival Inc" in page
    rival_access = rival_customer.portal_access
    response = client.post(CHOOSE, {"access": rival_access.pk})
    assert response["Location"] == DASHBOARD
    dashboard = client.get(DASHBOARD).content.decode()
    assert "Rival Inc" in dashboard and "Switch business" in dashboard
    doc = "/finance/customer-portal/documents/{}/"
    assert client.get(doc.format(rival_invoice.pk)).status_code == 200
    assert client.get(doc.format(acme_invoice.pk)).status_code == 404
    client.post(CHOOSE, {"access": acme_customer.portal_access.pk})
    assert client.get(doc.format(acme_invoice.pk)).status_code == 200
    assert client.get(doc.format(rival_invoice.pk)).status_code == 404


def test_the_chooser_only_offers_the_persons_own_accesses(two_businesses, set_up, other_customer):
    stranger_client = set_up(other_customer)  # Bob's account at Acme
    acme_customer, _ = two_businesses
    response = stranger_client.post(CHOOSE, {"access": acme_customer.portal_access.pk})
    assert response.status_code == 404
    for junk in ["", "abc", "-1", "9" * 40]:
        assert stranger_client.post(CHOOSE, {"access": junk}).status_code == 404


def test_disabling_one_business_leaves_the_other(two_businesses, staff_actor):
    acme_customer, rival_customer = two_businesses
    client = customer_browser()
    sign_in(client, "jane@bakery.test")
    client.post(CHOOSE, {"access": rival_customer.portal_access.pk})
    disable_portal_access(customer=acme_customer, actor=staff_actor)
    assert client.get(DASHBOARD).status_code == 200
