"""The API shows overdue (documents/overdue.py) as read-only fields, filters by it, and its
kept list pages move with the business's day; a void invoice has no balance due."""

import datetime

import pytest
import time_machine

from tests.documents.test_overdue import NOW, invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def late(customer):
    return invoice(customer, due=datetime.date(2025, 1, 10))


def test_the_api_shows_overdue_and_filters_by_it(api, customer, late):
    soon = invoice(customer, due=datetime.date(2025, 3, 1))
    void = invoice(customer, due=datetime.date(2025, 1, 10), state="void")
    with time_machine.travel(NOW):
        rows = {row["id"]: row for row in api.get("/finance/api/v1/documents/").json()["results"]}
        only = api.get("/finance/api/v1/documents/?overdue=true").json()["results"]
        detail = api.get(f"/finance/api/v1/documents/{late.pk}/").json()
    assert (rows[late.pk]["is_overdue"], rows[late.pk]["days_overdue"]) == (True, 22)
    assert (rows[soon.pk]["is_overdue"], rows[soon.pk]["days_overdue"]) == (False, 0)
    assert rows[late.pk]["state"] == "sent"  # shown, not stored
    assert rows[void.pk]["balance_due"] == "0.00" and rows[void.pk]["is_overdue"] is False
    assert [row["id"] for row in only] == [late.pk]
    assert (detail["is_overdue"], detail["days_overdue"]) == (True, 22)


def test_the_kept_api_page_moves_with_the_business_s_day(api, customer):
    document = invoice(customer, due=datetime.date(2025, 1, 31))
    with time_machine.travel(NOW - datetime.timedelta(days=1), tick=False):
        before = api.get("/finance/api/v1/documents/").json()["results"]
    with time_machine.travel(NOW - datetime.timedelta(days=1) + datetime.timedelta(hours=12)):
        after = api.get("/finance/api/v1/documents/").json()["results"]
    assert [r["is_overdue"] for r in before if r["id"] == document.pk] == [False]
    assert [r["days_overdue"] for r in after if r["id"] == document.pk] == [1]
