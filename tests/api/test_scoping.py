"""A key of one business never reaches another business's rows: every endpoint with an id
answers 404 for the other business's objects, exactly as for ids that do not exist."""

from decimal import Decimal

import pytest

from solabooks.activity.models import Activity
from solabooks.activity.services import Actor
from solabooks.documents.payments import record_payment
from tests.factories import make_document

from .conftest import API

pytestmark = pytest.mark.django_db

LINE = {"description": "Work", "quantity": "1", "unit_price": "10"}
# (method, path template, body); {customer} / {document} / {quote} / {payment} are the
# other business's objects.
ENDPOINTS = [
    ("get", "customers/{customer}/", None),
    ("put", "customers/{customer}/", {"name": "X", "email": "x@x.test", "currency": "USD"}),
    ("patch", "customers/{customer}/", {"name": "X"}),
    ("get", "customers/{customer}/links/", None),
    ("post", "customers/{customer}/links/revoke", None),
    ("get", "customers/{customer}/activity/", None),
    ("get", "customers/{customer}/portal-access/", None),
    ("post", "customers/{customer}/portal-access/enable", {"email": "x@elsewhere.test"}),
    ("post", "customers/{customer}/portal-access/resend", None),
    ("post", "customers/{customer}/portal-access/disable", None),
    ("get", "documents/{document}/", None),
    ("put", "documents/{document}/", {"issue_date": "2026-01-01", "lines": [LINE]}),
    ("patch", "documents/{document}/", {"notes": "mine now"}),
    ("post", "documents/{document}/actions/mark_sent", None),
    ("post", "documents/{document}/actions/void", None),
    ("post", "documents/{document}/reassign", {"customer": "OWN_CUSTOMER"}),
    ("post", "documents/{quote}/convert", {"to_kind": "invoice"}),
    ("post", "documents/{document}/send", {}),
    ("get", "documents/{document}/links/", None),
    ("get", "documents/{document}/activity/", None),
    ("get", "payments/{payment}/", None),
]


@pytest.fixture
def theirs(foreign_customer):
    """Rival Inc's objects."""
    document = make_document(customer=foreign_customer)
    invoice = make_document(customer=foreign_customer, state="sent")
    quote = make_document(customer=foreign_customer, kind="quote", state="accepted")
    payment = record_payment(
        organization=foreign_customer.organization,
        customer=foreign_customer,
        actor=Actor.system(),
        date=invoice.issue_date,
        amount=Decimal("5"),
        method="cash",
        allocations=[(invoice, Decimal("5"))],
    )
    return {
        "customer": foreign_customer.pk,
        "document": document.pk,
        "quote": quote.pk,
        "payment": payment.pk,
        "invoice": invoice.pk,
    }


@pytest.mark.parametrize(
    ("method", "path", "body"), ENDPOINTS, ids=[f"{m.upper()} {p}" for m, p, _ in ENDPOINTS]
)
def test_other_business_objects_are_404_on_every_endpoint(
    api, customer, theirs, other_org, method, path, body
):
    if body and body.get("customer") == "OWN_CUSTOMER":
        body = {"customer": customer.pk}
    activity_before = Activity.objects.for_org(other_org).count()
    response = getattr(api, method)(f"{API}/{path.format(**theirs)}", body, format="json")
    assert response.status_code == 404, response.content
    assert response.json()["error"]["code"] == "not_found"
    # …and nothing happened over there.
    assert Activity.objects.for_org(other_org).count() == activity_before


@pytest.mark.parametrize(
    ("method", "path", "body"), ENDPOINTS, ids=[f"{m.upper()} {p}" for m, p, _ in ENDPOINTS]
)
def test_ids_that_do_not_exist_get_the_same_404(api, method, path, body):
    ids = dict.fromkeys(("customer", "document", "quote", "payment"), 987654321)
    response = getattr(api, method)(f"{API}/{path.format(**ids)}", body, format="json")
    assert response.status_code == 404


def test_ids_of_another_business_in_a_body_are_refused(api, customer, theirs):
    invoice = make_document(customer=customer, state="sent")
    attempts = [
        ("documents/", {"kind": "invoice", "customer": theirs["customer"], "lines": [LINE]}),
        (f"documents/{invoice.pk}/reassign", {"customer": theirs["customer"]}),
        (
            "payments/",
            {
                "customer": customer.pk,
                "date": "2026-01-01",
                "amount": "5",
                "method": "cash",
                "allocations": [{"invoice": theirs["invoice"], "amount": "5"}],
            },
        ),
        (
            "payments/",
            {"customer": theirs["customer"], "date": "2026-01-01", "amount": "5", "method": "cash"},
        ),
    ]
    for path, body in attempts:
        response = api.post(f"{API}/{path}", body, format="json")
        assert response.status_code == 400, (path, response.content)
        fields = response.json()["error"]["fields"]
        assert any("no such" in m for messages in fields.values() for m in messages)


def test_lists_show_only_the_keys_business(api, customer, theirs):
    own = make_document(customer=customer)
    documents = api.get(f"{API}/documents/").json()["results"]
    assert [d["id"] for d in documents] == [own.pk]
    assert api.get(f"{API}/documents/?customer={theirs['customer']}").json()["count"] == 0
    assert [c["id"] for c in api.get(f"{API}/customers/").json()["results"]] == [customer.pk]
    assert api.get(f"{API}/payments/").json()["count"] == 0
    assert api.get(f"{API}/payments/?customer={theirs['customer']}").json()["count"] == 0
