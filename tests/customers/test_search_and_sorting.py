"""The staff header's search, sortable lists, the customer list's balance and the current
page in the staff navigation (issue 15, item 9)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from solabooks.activity.services import Actor
from solabooks.customers.search import MAX_QUERY, clean_query
from solabooks.documents.services import transition_document
from tests.customers.bulk import make_customers, make_documents
from tests.factories import CustomerFactory, LineInput, make_document

pytestmark = pytest.mark.django_db

SEARCH = reverse("staff-search")


def search(client, q, **params):
    response = client.get(SEARCH, {"q": q, **params})
    assert response.status_code == 200
    return response


# --- Search ------------------------------------------------------------------------------


def test_search_finds_customers_by_name_or_email_and_documents_by_number_or_customer(
    owner_client, customer, other_customer
):
    jane_invoice = make_document(customer=customer)
    bob_quote = make_document(customer=other_customer, kind="quote")
    by_name = search(owner_client, "bakery").context
    assert by_name["customers"].rows == [customer]
    assert list(by_name["page"].object_list) == [jane_invoice]  # by its customer's name
    by_email = search(owner_client, "bob@garage").context
    assert by_email["customers"].rows == [other_customer]
    by_number = search(owner_client, bob_quote.number.lower()).context
    assert list(by_number["page"].object_list) == [bob_quote]
    assert by_number["customers"].rows == []


def test_search_never_shows_another_business(
    owner_client, other_client, customer, foreign_customer
):
    """Two businesses with the same customer name and the same document numbers: each
    sees only its own, whatever they search for."""
    foreign_customer.name = "Jane's Bakery"
    foreign_customer.save()
    mine = make_document(customer=customer)
    theirs = make_document(customer=foreign_customer)
    assert mine.number == theirs.number  # numbering is per business
    for client, own_customer, own_document, other_document in (
        (owner_client, customer, mine, theirs),
        (other_client, foreign_customer, theirs, mine),
    ):
        for q in ("bakery", mine.number, "elsewhere", "x@elsewhere.test", "jane@bakery.test", "a"):
            context = search(client, q).context
            assert all(
                c.organization_id == own_customer.organization_id for c in context["customers"].rows
            )
            documents = list(context["page"].object_list)
            assert other_document not in documents, (q, documents)
            assert all(d.organization_id == own_customer.organization_id for d in documents)
        html = search(client, "bakery").content.decode()
        assert reverse("document-detail", args=[other_document.pk]) not in html
        assert reverse("document-detail", args=[own_document.pk]) in html


@pytest.mark.parametrize(
    "q",
    [
        "x" * 10_000,
        "%",
        "_",
        "%%__",
        "'; DROP TABLE customers_customer; --",
        '"quoted"',
        "nul\x00byte",
        "\x00" * 50,
        "\\",
        "   ",
        "日本語 🎉",
        "\u202eevil",
    ],
)
def test_odd_search_input_is_an_answer_not_an_error(owner_client, customer, q):
    response = search(owner_client, q)
    assert len(response.context["query"]) <= MAX_QUERY
    assert "\x00" not in response.content.decode()


def test_percent_and_underscore_match_themselves(owner_client, org):
    CustomerFactory(organization=org, name="Plain Name")
    literal = CustomerFactory(organization=org, name="100% Juice_Bar")
    assert search(owner_client, "%").context["customers"].rows == [literal]
    assert search(owner_client, "_").context["customers"].rows == [literal]


def test_clean_query():
    assert clean_query("  a\x00b\tc\n ") == "a b c"
    assert clean_query(None) == ""
    assert len(clean_query("y" * 10_000)) == MAX_QUERY


def test_search_query_count_does_not_grow_with_rows(owner_client, org, customer):
    def count():
        owner_client.get(SEARCH, {"q": "bulk"})
        with CaptureQueriesContext(connection) as queries:
            response = owner_client.get(SEARCH, {"q": "bulk"})
        assert response.status_code == 200
        return len(queries)

    bulk = make_customers(org, 3)
    make_documents(bulk[0], 3)
    few = count()
    for extra in make_customers(org, 40)[:10]:
        make_documents(extra, 5)
    assert count() == few


def test_search_results_are_paged_and_customers_link_to_the_full_list(owner_client, org):
    bulk = make_customers(org, 12)
    make_documents(bulk[0], 30)
    response = search(owner_client, "bulk customer")
    assert len(response.context["customers"].rows) == 10 and response.context["customers"].more
    assert f"{reverse('customer-list')}?q=bulk%20customer" in response.content.decode()
    page = response.context["page"]
    assert page.paginator.count == 30 and len(page.object_list) == 25
    second = search(owner_client, "bulk customer", page=2).context["page"]
    assert len(second.object_list) == 5


def test_search_box_is_in_the_staff_header(owner_client):
    html = owner_client.get(reverse("dashboard")).content.decode()
    assert f'action="{SEARCH}"' in html and 'role="search"' in html


def test_search_needs_a_staff_session(client):
    response = client.get(SEARCH, {"q": "a"})
    assert response.status_code == 302 and reverse("staff-login") in response["Location"]


# --- Sorting -----------------------------------------------------------------------------


def numbers(response) -> list[str]:
    return [d.number for d in response.context["page"].object_list]


def test_document_list_sorts_by_whitelisted_keys_and_keeps_filters(
    owner_client, customer, other_customer
):
    a = make_document(customer=customer, lines=None)
    b = make_document(customer=other_customer)
    c = make_document(customer=customer)
    url = reverse("document-list", args=["invoice"])
    assert numbers(owner_client.get(url, {"sort": "number"})) == [a.number, b.number, c.number]
    assert numbers(owner_client.get(url, {"sort": "-number"})) == [c.number, b.number, a.number]
    by_customer = numbers(owner_client.get(url, {"sort": "customer"}))
    assert by_customer[0] == b.number  # Bob's Garage before Jane's Bakery
    # Filters still apply, and the sort links keep them (and drop the page).
    response = owner_client.get(url, {"sort": "-number", "customer_name": "bakery", "page": "1"})
    assert numbers(response) == [c.number, a.number]
    html = response.content.decode()
    assert 'href="?sort=number&amp;customer_name=bakery"' in html
    assert 'aria-sort="descending"' in html
    assert 'name="sort" value="-number"' in html  # the filter form keeps the order


@pytest.mark.parametrize(
    "junk", ["password", "-", "--number", "customer__organization", "id;drop", "x" * 5000]
)
def test_unknown_sort_keys_leave_the_list_in_its_own_order(owner_client, customer, junk):
    make_document(customer=customer)
    for url in (
        reverse("document-list", args=["invoice"]),
        reverse("payment-list"),
        reverse("customer-list"),
    ):
        response = owner_client.get(url, {"sort": junk})
        assert response.status_code == 200
        assert response.context["sorting"].key == ""


def test_invoice_list_sorts_by_what_is_still_owed(owner_client, customer):
    small = make_document(customer=customer)
    big = make_document(
        customer=customer,
        lines=[LineInput("Big", Decimal("10"), Decimal("150.00"), Decimal("0"))],
    )
    draft = make_document(customer=customer)
    for document in (small, big):
        transition_document(document=document, action="mark_sent", actor=Actor.system())
    url = reverse("document-list", args=["invoice"])
    assert numbers(owner_client.get(url, {"sort": "-balance"})) == [
        big.number,
        small.number,
        draft.number,
    ]


def test_payment_and_customer_lists_sort(owner_client, org, customer, other_customer):
    url = reverse("customer-list")
    names = lambda r: [c.name for c in r.context["page"].object_list]  # noqa: E731
    assert names(owner_client.get(url, {"sort": "-name"})) == ["Jane's Bakery", "Bob's Garage"]
    assert names(owner_client.get(url, {"sort": "email"})) == ["Bob's Garage", "Jane's Bakery"]
    response = owner_client.get(reverse("payment-list"), {"sort": "-amount"})
    assert response.status_code == 200 and response.context["sorting"].descending


# --- The customer list's balance -----------------------------------------------------------


def test_customer_list_shows_what_each_customer_owes_in_one_query(owner_client, org, customer):
    make_documents(customer, 6)  # 2 open invoices: one EUR, one USD, 100 each
    customer.currency = "USD"
    customer.save()
    row = owner_client.get(reverse("customer-list")).context["page"].object_list[0]
    assert row.balance == Decimal("100") and row.open_elsewhere == 1
    html = owner_client.get(reverse("customer-list")).content.decode()
    assert "100.00 USD" in html and "+ 1 open in other currencies" in html

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            owner_client.get(reverse("customer-list"), {"sort": "-balance"})
        return len(queries)

    few = count()
    for extra in make_customers(org, 20):
        make_documents(extra, 3)
    assert count() == few


# --- The current page in the navigation ---------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "current"),
    [
        (reverse("dashboard"), "Dashboard"),
        (reverse("customer-list"), "Customers"),
        (reverse("document-list", args=["invoice"]), "Invoices"),
        (reverse("document-list", args=["quote"]), "Quotes"),
        (reverse("payment-list"), "Payments"),
        (reverse("project-list"), "Projects"),
        (reverse("organization-settings"), "Settings"),
    ],
)
def test_the_current_page_is_marked_in_the_staff_navigation(owner_client, url, current):
    html = owner_client.get(url).content.decode()
    assert html.count('aria-current="page"') >= 1
    assert f'aria-current="page">{current}</a>' in html
    nav = html[html.index('<nav class="mainnav"') : html.index("</details>")]
    assert nav.count('aria-current="page"') == 1, nav


def test_a_document_page_marks_its_kind_in_the_navigation(owner_client, customer):
    quote = make_document(customer=customer, kind="quote")
    html = owner_client.get(reverse("document-detail", args=[quote.pk])).content.decode()
    assert 'aria-current="page">Quotes</a>' in html
    customer_page = owner_client.get(
        reverse("customer-detail", args=[customer.pk])
    ).content.decode()
    assert 'aria-current="page">Customers</a>' in customer_page
