"""Staff sessions end 12 hours after sign-in and after 2 hours without a request (OWASP ASVS
3.3), both configurable; the clock starts at every kind of sign-in."""

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 12, 3, 9, 0, tzinfo=datetime.UTC)


def signed_in_at_start(owner) -> tuple:
    traveller = time_machine.travel(START, tick=False)
    clock = traveller.start()
    client = Client()
    response = client.post(
        reverse("staff-login"), {"email": owner.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    return client, traveller, clock


def reaches_dashboard(client: Client) -> bool:
    response = client.get(reverse("dashboard"))
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and response["Location"].startswith(reverse("staff-login"))
    return False


def test_two_idle_hours_end_the_session(owner):
    client, traveller, clock = signed_in_at_start(owner)
    try:
        clock.shift(datetime.timedelta(hours=1, minutes=59))
        assert reaches_dashboard(client)  # used: the idle clock starts again
        clock.shift(datetime.timedelta(hours=1, minutes=59))
        assert reaches_dashboard(client)
        clock.shift(datetime.timedelta(hours=2))
        assert not reaches_dashboard(client)
        page = client.get(reverse("staff-login")).content.decode()
        assert "your session ended" in page
    finally:
        traveller.stop()


def test_twelve_hours_end_even_a_busy_session(owner):
    client, traveller, clock = signed_in_at_start(owner)
    try:
        for _ in range(11):
            clock.shift(datetime.timedelta(hours=1))
            assert reaches_dashboard(client)
        clock.shift(datetime.timedelta(minutes=59))
        assert reaches_dashboard(client)
        clock.shift(datetime.timedelta(minutes=1))
        assert not reaches_dashboard(client)
    finally:
        traveller.stop()


def test_the_limits_are_settings(owner, settings):
    settings.STAFF_SESSION_IDLE = 600
    client, traveller, clock = signed_in_at_start(owner)
    try:
        clock.shift(datetime.timedelta(minutes=9))
        assert reaches_dashboard(client)
        clock.shift(datetime.timedelta(minutes=10))
        assert not reaches_dashboard(client)
    finally:
        traveller.stop()


def test_an_ended_session_is_also_refused_by_the_api(owner):
    client, traveller, clock = signed_in_at_start(owner)
    try:
        assert client.get("/finance/api/v1/customers/").status_code == 200
        clock.shift(datetime.timedelta(hours=3))
        assert client.get("/finance/api/v1/customers/").status_code in (401, 403)
    finally:
        traveller.stop()


def test_a_session_without_a_clock_counts_as_ended(owner):
    """Sessions signed in before the clocks existed end once, on their next request."""
    client = Client()
    client.force_login(owner)
    session = client.session
    del session["staff_signed_in_at"]
    session.save()
    assert not reaches_dashboard(client)


def test_the_session_cookie_never_outlives_the_session(settings):
    assert settings.SESSION_COOKIE_AGE == 12 * 3600
