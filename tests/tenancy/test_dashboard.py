import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.customers.bulk import make_activity, make_customers, make_documents

pytestmark = pytest.mark.django_db


def dashboard_queries(client) -> tuple[int, object]:
    client.get(reverse("dashboard"))  # the session's first request also saves the session
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return len(queries), response


def test_dashboard_query_count_does_not_grow_with_rows(owner_client, org, customer):
    make_activity(customer, make_documents(customer, 5), 5)
    few, _ = dashboard_queries(owner_client)
    for other in make_customers(org, 20):
        make_activity(other, make_documents(other, 5), 5)
    make_activity(customer, make_documents(customer, 400), 395)
    many, response = dashboard_queries(owner_client)
    assert many == few
    assert len(response.context["recent_activity"]) == 15


def test_dashboard_shows_open_receivables_per_currency(owner_client, customer):
    make_documents(customer, 6)  # invoices in EUR and USD, sent and overdue
    _, response = dashboard_queries(owner_client)
    rows = {row["currency"]: row for row in response.context["receivables"]}
    assert set(rows) == {"EUR", "USD"}
    assert rows["EUR"]["overdue"] == rows["EUR"]["open"]


def test_dashboard_shows_only_this_business(owner_client, customer, foreign_customer):
    make_activity(foreign_customer, make_documents(foreign_customer, 3), 3)
    _, response = dashboard_queries(owner_client)
    assert response.context["receivables"] == []
    assert list(response.context["recent_activity"]) == []
    assert foreign_customer.name not in response.content.decode()
