"""The document lists: one per kind, paged, filtered, scoped, and a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.documents.helpers import bulk_documents
from tests.factories import CustomerFactory, make_document

pytestmark = pytest.mark.django_db


def list_url(kind: str = "invoice") -> str:
    return reverse("document-list", args=[kind])


@pytest.mark.parametrize("kind", ["invoice", "quote", "sales_order", "receipt"])
def test_each_kind_has_a_list(owner_client, customer, kind):
    if kind != "receipt":
        document = make_document(customer=customer, kind=kind)
    response = owner_client.get(list_url(kind))
    assert response.status_code == 200
    if kind != "receipt":
        assert document.number in response.content.decode()


def test_unknown_kind_is_404(owner_client):
    assert owner_client.get("/finance/documents/banana/").status_code == 404
    assert owner_client.get("/finance/documents/banana/new/").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(list_url())
    assert response.status_code == 302
    assert reverse("staff-login") in response["Location"]


@pytest.mark.parametrize("who", ["owner_client", "manager_client", "accountant_client"])
def test_every_role_sees_the_lists(request, who, customer):
    make_document(customer=customer)
    staff = request.getfixturevalue(who)
    assert staff.get(list_url()).status_code == 200
    assert staff.get(reverse("payment-list")).status_code == 200


def test_columns_show_number_customer_dates_total_balance_and_state(owner_client, customer):
    make_document(customer=customer, state="sent")
    html = owner_client.get(list_url()).content.decode()
    for text in ("INV-0001", "Jane&#x27;s Bakery", "330.00 USD", "Balance", "Due", "Sent"):
        assert text in html


def test_another_business_documents_never_appear(owner_client, customer, foreign_customer):
    make_document(customer=customer)
    theirs = make_document(customer=foreign_customer)
    theirs.__class__.objects.filter(pk=theirs.pk).update(number="THEIRS-1")
    html = owner_client.get(list_url()).content.decode()
    assert "INV-0001" in html
    assert "THEIRS-1" not in html


def test_filter_by_state(owner_client, customer):
    make_document(customer=customer, state="sent")
    make_document(customer=customer)  # draft
    html = owner_client.get(list_url(), {"state": "draft"}).content.decode()
    assert "INV-0002" in html and "INV-0001" not in html


def test_state_choices_are_those_of_the_kind(owner_client, customer):
    response = owner_client.get(list_url("quote"), {"state": "paid"})  # an invoice state
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_filter_by_customer(owner_client, customer, other_customer):
    make_document(customer=customer)
    make_document(customer=other_customer)
    html = owner_client.get(list_url(), {"customer": other_customer.pk}).content.decode()
    assert "INV-0002" in html and "INV-0001" not in html


@pytest.mark.parametrize("value", ["abc", "99999999", "-1", "1e3"])
def test_a_customer_filter_that_is_not_ours_matches_nothing(owner_client, customer, value):
    make_document(customer=customer)
    response = owner_client.get(list_url(), {"customer": value})
    assert response.status_code == 200
    assert "INV-0001" not in response.content.decode()


def test_filtering_by_another_business_customer_shows_nothing(
    owner_client, customer, foreign_customer
):
    make_document(customer=customer)
    make_document(customer=foreign_customer)
    response = owner_client.get(list_url(), {"customer": foreign_customer.pk})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Choose one of your customers" in html
    assert "INV-0001" not in html
    assert "Elsewhere Co" not in html


def test_search_by_number(owner_client, customer):
    for _ in range(3):
        make_document(customer=customer)
    html = owner_client.get(list_url(), {"number": "0002"}).content.decode()
    assert "INV-0002" in html and "INV-0001" not in html and "INV-0003" not in html


def test_a_10000_character_search_is_an_error_not_a_crash(owner_client, customer):
    make_document(customer=customer)
    response = owner_client.get(list_url(), {"number": "9" * 10_000})
    assert response.status_code == 200


def test_pages_hold_25_rows_and_keep_the_filters(owner_client, customer):
    bulk_documents(customers=[customer], count=30)
    first = owner_client.get(list_url(), {"state": "draft"})
    assert first.context["page"].paginator.num_pages == 2
    assert len(first.context["page"].object_list) == 25
    assert "?state=draft&amp;page=2" in first.content.decode()
    second = owner_client.get(list_url(), {"state": "draft", "page": "2"})
    assert len(second.context["page"].object_list) == 5


@pytest.mark.parametrize("page", ["abc", "99999", "-1", "0", "1.5", "9" * 50, ""])
def test_odd_page_numbers_never_fail(owner_client, customer, page):
    bulk_documents(customers=[customer], count=30)
    response = owner_client.get(list_url(), {"page": page})
    assert response.status_code == 200
    assert response.context["page"].number in (1, 2)
    payments = owner_client.get(reverse("payment-list"), {"page": page})
    assert payments.status_code == 200


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("kind", ["invoice", "quote", "sales_order", "receipt"])
def test_list_query_count_does_not_grow_with_rows(owner_client, org, kind):
    customers = CustomerFactory.create_batch(5, organization=org)
    bulk_documents(customers=customers, kind=kind, count=5)
    owner_client.get(list_url(kind))  # warm up the session
    few = _count_queries(owner_client, list_url(kind))
    bulk_documents(customers=customers, kind=kind, count=495, start=6)
    many = _count_queries(owner_client, list_url(kind))
    assert few == many
