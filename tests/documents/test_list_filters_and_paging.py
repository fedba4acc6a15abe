"""List pages whose cost does not grow with the number of customers, the overdue filter,
and paging on every staff list."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from solabooks.activity.services import Actor
from solabooks.tenancy.models import ApiKey, Membership
from tests.customers.bulk import make_customers
from tests.factories import MembershipFactory, make_document

pytestmark = pytest.mark.django_db


def measure(client, url, params=None) -> tuple[int, int]:
    client.get(url, params)  # the session's first request also saves the session
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries), len(response.content)


@pytest.mark.parametrize(
    "url",
    [
        reverse("document-list", args=["invoice"]),
        reverse("document-list", args=["quote"]),
        reverse("payment-list"),
        reverse("customer-list"),
        reverse("dashboard"),
    ],
)
def test_list_pages_cost_the_same_with_30_or_500_customers(owner_client, org, url):
    make_customers(org, 30)  # a full page of the customer list either way
    few_queries, few_bytes = measure(owner_client, url)
    make_customers(org, 470)
    many_queries, many_bytes = measure(owner_client, url)
    assert many_queries == few_queries
    # No <select> of every customer: the page may grow by a pager, not by 470 options.
    assert many_bytes - few_bytes < 2_000


def test_filter_by_part_of_a_customer_name(owner_client, customer, other_customer):
    make_document(customer=customer)  # Jane's Bakery
    make_document(customer=other_customer)  # Bob's Garage
    html = owner_client.get(
        reverse("document-list", args=["invoice"]), {"customer_name": "garage"}
    ).content.decode()
    assert "INV-0002" in html and "INV-0001" not in html
    html = owner_client.get(reverse("payment-list"), {"customer_name": "x" * 101}).content.decode()
    assert "Ensure this value has at most 100 characters" in html


def test_a_list_narrowed_to_one_customer_says_so_and_can_be_widened(owner_client, customer):
    make_document(customer=customer)
    html = owner_client.get(
        reverse("document-list", args=["invoice"]), {"customer": customer.pk, "state": "draft"}
    ).content.decode()
    assert "Jane&#x27;s Bakery" in html
    assert 'href="?state=draft"' in html  # the × keeps the other filters


def test_overdue_invoices_filter(owner_client, org, customer):
    with time_machine.travel(datetime.datetime(2025, 1, 1, 12, tzinfo=datetime.UTC)):
        overdue = make_document(customer=customer, due_date=datetime.date(2025, 1, 10))
        not_yet = make_document(customer=customer, due_date=datetime.date(2025, 3, 1))
        draft = make_document(customer=customer, due_date=datetime.date(2025, 1, 10))
    from solabooks.documents.services import transition_document

    for document in (overdue, not_yet):
        transition_document(document=document, action="mark_sent", actor=Actor.system())
    with time_machine.travel(datetime.datetime(2025, 2, 1, 12, tzinfo=datetime.UTC)):
        page = owner_client.get(
            reverse("document-list", args=["invoice"]), {"overdue": "on"}
        ).context["page"]
        dashboard = owner_client.get(reverse("dashboard")).content.decode()
    assert [d.pk for d in page.object_list] == [overdue.pk]
    assert draft.pk not in [d.pk for d in page.object_list]
    assert "?state=overdue&amp;sort=due_date" in dashboard and "Overdue: 330.00 USD" in dashboard


def test_the_overdue_filter_is_only_on_invoices(owner_client):
    quote_form = owner_client.get(reverse("document-list", args=["quote"])).context["form"]
    assert "overdue" not in quote_form.fields


def test_members_and_api_keys_are_paged(owner_client, org, owner):
    for _ in range(30):
        MembershipFactory(organization=org, role="accountant")
    from solabooks.tenancy.services import create_api_key

    for i in range(30):
        create_api_key(organization=org, actor=Actor.system(), name=f"Key {i}")
    members = owner_client.get(reverse("member-list"))
    assert len(members.context["members"]) == 25
    assert (
        members.context["page"].paginator.count
        == Membership.objects.filter(organization=org).count()
    )
    second = owner_client.get(reverse("member-list"), {"page": "2"})
    assert len(second.context["members"]) == 6
    keys = owner_client.get(reverse("api-key-list"), {"page": "abc"})
    assert len(keys.context["api_keys"]) == 25
    assert keys.context["page"].paginator.count == ApiKey.objects.filter(organization=org).count()
    assert "Page 1 of 2" in keys.content.decode()
