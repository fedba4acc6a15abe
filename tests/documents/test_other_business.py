"""Staff of one business reach nothing of another's through these pages: every URL that
carries an id answers 404 for the other business's id, and nothing changes."""

from decimal import Decimal

import pytest
from django.urls import reverse

from solabooks.activity.models import Activity
from solabooks.activity.services import Actor
from solabooks.documents.models import Document, Payment
from solabooks.documents.payments import record_payment
from tests.documents.helpers import document_post
from tests.factories import CustomerFactory, make_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def theirs(other_org, foreign_customer):
    """Another business's documents and payment (ids that staff of `org` might guess)."""
    invoice = make_document(customer=foreign_customer, state="sent")
    quote = make_document(customer=foreign_customer, kind="quote", state="accepted")
    payment = record_payment(
        organization=other_org,
        customer=foreign_customer,
        actor=Actor.system(),
        date=invoice.issue_date,
        amount=Decimal("10"),
        method="cash",
        allocations=[(invoice, Decimal("10"))],
    )
    return {"invoice": invoice, "quote": quote, "payment": payment}


def snapshot() -> list:
    """Everything a write could have touched."""
    return [
        list(
            Document.objects.values_list("pk", "state", "customer_id", "content_version", "total")
        ),
        list(Payment.objects.values_list("pk", "amount")),
        Activity.objects.count(),
    ]


REQUESTS = [
    ("get", "document-detail", "invoice", {}),
    ("get", "document-edit", "invoice", {}),
    ("post", "document-edit", "invoice", document_post()),
    ("post", "document-transition", "invoice", {"action": "void"}),
    ("post", "document-reassign", "invoice", {"customer": "MINE"}),
    ("post", "document-convert", "quote", {"to_kind": "invoice"}),
    ("get", "payment-detail", "payment", {}),
    ("post", "payment-detail", "payment", {}),
]


@pytest.mark.parametrize(
    "method,name,target,data", REQUESTS, ids=[f"{m} {n}" for m, n, *_ in REQUESTS]
)
@pytest.mark.parametrize("who", ["owner_client", "manager_client", "accountant_client"])
def test_other_business_ids_are_404(request, theirs, customer, method, name, target, data, who):
    client = request.getfixturevalue(who)
    data = {k: (str(customer.pk) if v == "MINE" else v) for k, v in data.items()}
    before = snapshot()
    response = getattr(client, method)(reverse(name, args=[theirs[target].pk]), data)
    assert response.status_code == 404
    assert snapshot() == before


def test_their_own_staff_do_reach_them(other_client, theirs):
    """The same URLs work for the business that owns the rows (so the 404s above mean scope)."""
    assert (
        other_client.get(reverse("document-detail", args=[theirs["invoice"].pk])).status_code == 200
    )
    assert (
        other_client.get(reverse("payment-detail", args=[theirs["payment"].pk])).status_code == 200
    )


def test_reassigning_to_another_business_customer_is_refused(other_client, theirs, customer):
    response = other_client.post(
        reverse("document-reassign", args=[theirs["quote"].pk]), {"customer": customer.pk}
    )
    assert response.status_code == 302
    assert Document.objects.get(pk=theirs["quote"].pk).customer_id != customer.pk


def test_lists_never_show_another_business_rows(owner_client, theirs, org):
    make_document(customer=CustomerFactory(organization=org))
    for kind in ("invoice", "quote", "receipt"):
        page = owner_client.get(reverse("document-list", args=[kind])).context["page"]
        assert all(d.organization_id == org.pk for d in page.object_list)
    page = owner_client.get(reverse("payment-list")).context["page"]
    assert list(page.object_list) == []


def test_unknown_ids_are_404(owner_client):
    for name in ("document-detail", "document-edit", "payment-detail"):
        assert owner_client.get(reverse(name, args=[987654])).status_code == 404
