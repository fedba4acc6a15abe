"""The API's endpoints through the same services as the staff pages."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from solabooks.activity.models import Activity, Verb
from solabooks.core.pagecache import clear_all_page_caches
from solabooks.portal.models import PortalAccess
from tests.factories import CustomerFactory, make_document

from .conftest import API

pytestmark = pytest.mark.django_db

LINE = {"description": "Design work", "quantity": "3", "unit_price": "100.00", "tax_rate": "20"}


# --- Customers -------------------------------------------------------------------------


def test_customers_list_and_search(api, org, customer, other_customer):
    names = [c["name"] for c in api.get(f"{API}/customers/").json()["results"]]
    assert names == ["Bob's Garage", "Jane's Bakery"]
    found = api.get(f"{API}/customers/?q=bakery").json()
    assert [c["id"] for c in found["results"]] == [customer.pk]
    assert api.get(f"{API}/customers/?q=garage.test").json()["count"] == 1


def test_create_a_customer(api, org):
    org.default_currency = "EUR"
    org.save()
    response = api.post(
        f"{API}/customers/", {"name": " Café Noir ", "email": "Hi@Cafe.TEST"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["email"], body["currency"]) == ("Café Noir", "hi@cafe.test", "EUR")
    assert api.get(f"{API}/customers/{body['id']}/").json() == body


def test_update_a_customer_put_and_patch(api, customer):
    put = api.put(
        f"{API}/customers/{customer.pk}/",
        {"name": "Jane's Bakery Ltd", "email": "jane@bakery.test", "currency": "GBP"},
        format="json",
    )
    assert put.status_code == 200
    assert (put.json()["name"], put.json()["currency"], put.json()["notices"]) == (
        "Jane's Bakery Ltd",
        "GBP",
        [],
    )
    patch = api.patch(f"{API}/customers/{customer.pk}/", {"notes": "Pays fast"}, format="json")
    assert patch.status_code == 200
    assert (patch.json()["notes"], patch.json()["name"]) == ("Pays fast", "Jane's Bakery Ltd")


def test_customer_field_errors(api):
    response = api.post(
        f"{API}/customers/", {"name": "", "email": "nope", "currency": "XXX"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"name", "email", "currency"}


# --- Documents -------------------------------------------------------------------------


def test_create_every_kind_with_lines(api, customer):
    for kind in ("invoice", "quote", "sales_order"):
        response = api.post(
            f"{API}/documents/",
            {"kind": kind, "customer": customer.pk, "lines": [LINE], "notes": "n"},
            format="json",
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["kind"] == kind and body["state"] == "draft"
        assert (body["subtotal"], body["tax_total"], body["total"]) == (
            "300.00",
            "60.00",
            "360.00",
        )
        assert body["lines"][0]["description"] == "Design work"
    receipt = api.post(
        f"{API}/documents/",
        {"kind": "receipt", "customer": customer.pk, "lines": [LINE]},
        format="json",
    )
    assert receipt.status_code == 400


def test_a_rule_of_the_service_is_a_400(api, customer):
    response = api.post(
        f"{API}/documents/",
        {
            "kind": "invoice",
            "customer": customer.pk,
            "issue_date": "2026-03-01",
            "due_date": "2026-02-01",
            "lines": [LINE],
        },
        format="json",
    )
    assert response.status_code == 400
    assert "due date" in response.json()["error"]["message"]


def test_list_documents_filtered(api, customer, other_customer):
    invoice = make_document(customer=customer)
    sent = make_document(customer=customer, state="sent")
    quote = make_document(customer=other_customer, kind="quote")

    def ids(query: str) -> list[int]:
        response = api.get(f"{API}/documents/?{query}")
        assert response.status_code == 200
        return sorted(d["id"] for d in response.json()["results"])

    assert ids("") == sorted([invoice.pk, sent.pk, quote.pk])
    assert ids("kind=invoice") == sorted([invoice.pk, sent.pk])
    assert ids("kind=invoice&state=sent") == [sent.pk]
    assert ids(f"customer={other_customer.pk}") == [quote.pk]
    assert ids(f"number={quote.number}") == [quote.pk]
    assert api.get(f"{API}/documents/?kind=bill").status_code == 400
    assert api.get(f"{API}/documents/?customer=abc").status_code == 400


def test_update_and_patch_a_document(api, customer):
    document = make_document(customer=customer)
    put = api.put(
        f"{API}/documents/{document.pk}/",
        {"issue_date": "2026-02-01", "due_date": "2026-03-01", "lines": [LINE, LINE]},
        format="json",
    )
    assert put.status_code == 200, put.content
    assert (put.json()["total"], len(put.json()["lines"])) == ("720.00", 2)
    patch = api.patch(f"{API}/documents/{document.pk}/", {"terms": "Net 30"}, format="json")
    assert patch.status_code == 200
    body = patch.json()
    assert (body["terms"], body["total"], body["due_date"]) == ("Net 30", "720.00", "2026-03-01")
    assert body["content_version"] == 3
    incomplete = api.patch(
        f"{API}/documents/{document.pk}/", {"lines": [{"description": "x"}]}, format="json"
    )
    assert incomplete.status_code == 400
    assert set(incomplete.json()["error"]["fields"]) == {"lines.0.quantity", "lines.0.unit_price"}


def test_state_actions(api, customer):
    order = make_document(customer=customer, kind="sales_order")
    assert api.get(f"{API}/documents/{order.pk}/").json()["available_actions"] == [
        "confirm",
        "cancel",
    ]
    confirmed = api.post(f"{API}/documents/{order.pk}/actions/confirm")
    assert confirmed.status_code == 200
    assert confirmed.json()["state"] == "confirmed"
    assert api.post(f"{API}/documents/{order.pk}/actions/void").status_code == 400
    assert api.post(f"{API}/documents/{order.pk}/actions/nonsense").status_code == 400


def test_convert_an_accepted_quote(api, customer):
    quote = make_document(customer=customer, kind="quote", state="accepted")
    response = api.post(
        f"{API}/documents/{quote.pk}/convert", {"to_kind": "invoice"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["source_document"]) == ("invoice", quote.pk)
    again = api.post(f"{API}/documents/{quote.pk}/convert", {"to_kind": "invoice"}, format="json")
    assert again.status_code == 400


# --- Payments --------------------------------------------------------------------------


def test_record_a_payment_with_allocations_and_a_receipt(api, customer):
    first = make_document(customer=customer, state="sent")
    second = make_document(customer=customer, state="sent")
    response = api.post(
        f"{API}/payments/",
        {
            "customer": customer.pk,
            "date": "2026-02-10",
            "amount": "400",
            "method": "bank_transfer",
            "reference": "TX-1",
            "allocations": [
                {"invoice": first.pk, "amount": "330"},
                {"invoice": second.pk, "amount": "70"},
            ],
            "issue_receipt": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    payment = response.json()
    assert payment["amount"] == "400.00"
    assert [(a["invoice"], a["amount"]) for a in payment["allocations"]] == [
        (first.pk, "330.00"),
        (second.pk, "70.00"),
    ]
    assert payment["receipt"] is not None
    assert api.get(f"{API}/documents/{first.pk}/").json()["state"] == "paid"
    assert api.get(f"{API}/documents/{second.pk}/").json()["state"] == "partially_paid"
    assert api.get(f"{API}/documents/{payment['receipt']}/").json()["kind"] == "receipt"
    assert api.get(f"{API}/payments/{payment['id']}/").json() == payment
    listed = api.get(f"{API}/payments/?customer={customer.pk}").json()["results"]
    assert [p["id"] for p in listed] == [payment["id"]]


def test_over_allocation_is_refused(api, customer):
    invoice = make_document(customer=customer, state="sent")
    response = api.post(
        f"{API}/payments/",
        {
            "customer": customer.pk,
            "date": "2026-02-10",
            "amount": "1000",
            "method": "cash",
            "allocations": [{"invoice": invoice.pk, "amount": "999"}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert "still due" in response.json()["error"]["message"]


# --- Portal access ---------------------------------------------------------------------


def test_enable_and_disable_portal_access(
    api, customer, org, mailoutbox, django_capture_on_commit_callbacks
):
    path = f"{API}/customers/{customer.pk}/portal-access/"
    assert api.get(path).json()["state"] == "none"
    wrong = api.post(f"{path}enable", {"email": "someone@else.test"}, format="json")
    assert wrong.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        enabled = api.post(f"{path}enable", {"email": "Jane@Bakery.test"}, format="json")
    assert enabled.status_code == 200, enabled.content
    assert (enabled.json()["state"], enabled.json()["email"]) == ("invited", "jane@bakery.test")
    assert [m.to for m in mailoutbox] == [["jane@bakery.test"]]
    disabled = api.post(f"{path}disable")
    assert disabled.status_code == 200
    assert disabled.json()["state"] == "disabled"
    assert PortalAccess.objects.for_org(org).get().state == "disabled"
    assert api.post(f"{path}disable").status_code == 400


# --- Activity --------------------------------------------------------------------------


def test_activity_is_paged_newest_first(api, customer, org):
    document = make_document(customer=customer)
    for n in range(3):
        api.patch(f"{API}/documents/{document.pk}/", {"notes": f"v{n}"}, format="json")
    page = api.get(f"{API}/documents/{document.pk}/activity/?page_size=2").json()
    assert page["count"] == 4
    assert [row["verb"] for row in page["results"]] == ["edited", "edited"]
    assert page["results"][0]["details"] == {"version": 4}
    assert page["results"][0]["actor_type"] == "api_key"
    assert page["next"] is not None
    last = api.get(f"{API}/documents/{document.pk}/activity/?page=2&page_size=2").json()
    assert [row["verb"] for row in last["results"]] == ["edited", "created"]
    customer_rows = api.get(f"{API}/customers/{customer.pk}/activity/").json()
    assert customer_rows["count"] == 4
    assert {row["document_number"] for row in customer_rows["results"]} == {document.number}
    assert Activity.objects.for_org(org).filter(verb=Verb.API_CALL).count() == 3


def test_list_queries_do_not_grow_with_rows(api, org, customer):
    """The same number of queries for one row as for many (no per-row lookups)."""

    def queries(path: str) -> int:
        clear_all_page_caches()  # the factory's rows move no data version: render anew
        with CaptureQueriesContext(connection) as captured:
            assert api.get(path).status_code == 200
        return len(captured)

    make_document(customer=customer)
    api.get(f"{API}/customers/")  # warm up: the key's last_used_at, the rate-limit counter
    paths = [f"{API}/documents/", f"{API}/customers/", f"{API}/customers/{customer.pk}/activity/"]
    before = [queries(p) for p in paths]
    for _ in range(5):
        make_document(customer=CustomerFactory(organization=org), state="sent")
    assert [queries(p) for p in paths] == before
