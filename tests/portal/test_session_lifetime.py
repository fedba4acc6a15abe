"""Portal sessions end 12 hours after sign-in and after 30 minutes without a request."""

import datetime

import pytest
import time_machine

from .conftest import DASHBOARD, LOGIN, customer_browser, sign_in

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 12, 3, 9, 0, tzinfo=datetime.UTC)


def reaches_dashboard(client) -> bool:
    response = client.get(DASHBOARD)
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and response["Location"] == LOGIN
    return False


@pytest.fixture
def at_start(portal):
    with time_machine.travel(START, tick=False) as clock:
        client = customer_browser("198.51.100.30")
        assert sign_in(client, "jane@bakery.test").status_code == 302
        yield client, clock


def test_thirty_idle_minutes_end_the_session(at_start):
    client, clock = at_start
    clock.shift(datetime.timedelta(minutes=29))
    assert reaches_dashboard(client)
    clock.shift(datetime.timedelta(minutes=29))
    assert reaches_dashboard(client)
    clock.shift(datetime.timedelta(minutes=30))
    assert not reaches_dashboard(client)
    assert "Your session ended. Please sign in again." in client.get(LOGIN).content.decode()


def test_twelve_hours_end_even_a_busy_session(at_start):
    client, clock = at_start
    for _ in range(12 * 4 - 1):
        clock.shift(datetime.timedelta(minutes=15))
        assert reaches_dashboard(client)
    clock.shift(datetime.timedelta(minutes=15))
    assert not reaches_dashboard(client)


def test_signing_in_again_after_the_end_works_at_once(at_start):
    client, clock = at_start
    clock.shift(datetime.timedelta(hours=1))
    response = sign_in(client, "jane@bakery.test")
    assert response.status_code == 302 and response["Location"] == DASHBOARD
    assert reaches_dashboard(client)
