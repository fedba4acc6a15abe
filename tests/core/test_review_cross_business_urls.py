"""Every staff URL with an id answers 404 for another business's object, GET and POST.

The URLs come from the resolver, not from a list kept by hand: a staff page added later
under one of the object prefixes below is tested the day it is added, and a page with an id
of a kind not listed here fails `test_every_staff_pk_url_names_a_known_object`, so its
author has to say what the id is.
"""

from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse

from solabooks.activity.services import Actor
from solabooks.documents.services import record_payment, transition_document
from solabooks.sharing.services import issue_link
from solabooks.tenancy.models import ApiKey, Membership
from solabooks.tenancy.services import create_api_key
from tests.documents.helpers import document_post
from tests.factories import MembershipFactory, make_document

from .staff_urls import staff_pk_urls

pytestmark = pytest.mark.django_db

# What the <pk> of a staff URL names, by the route's beginning.
OBJECT_BY_PREFIX = {
    "finance/customers/<int:pk>/": "customer",
    "finance/document/<int:pk>/": "document",
    "finance/payments/<int:pk>/": "payment",
    "finance/settings/members/<int:pk>/": "membership",
    "finance/settings/api-keys/<int:pk>/": "api_key",
    "finance/links/<int:pk>/": "secure_link",
}
# Pages SPEC 1 gives to owners only: other roles are refused before any lookup (403).
OWNER_ONLY_PREFIX = "finance/settings/"

# What a POST would carry if the page were used for real, so that a view which forgot its
# scope would actually change something (and the snapshot would notice).
POST_BODIES = {
    "document-edit": document_post(),
    "document-transition": {"action": "void"},
    "document-reassign": {"customer": "MINE"},
    "document-convert": {"to_kind": "invoice"},
    "document-send": {"subject": "Hello", "message": "Hi"},
    "customer-edit": {
        "name": "Hijacked",
        "email": "evil@attacker.test",
        "billing_address": "",
        "currency": "USD",
        "notes": "",
    },
    "portal-access-enable": {"confirm_email": "x@elsewhere.test"},
    "member-role": {"role": "accountant"},
}

PK_URLS = staff_pk_urls()


def object_kind(url) -> str | None:
    for prefix, kind in OBJECT_BY_PREFIX.items():
        if url.route.startswith(prefix):
            return kind
    return None


def test_every_staff_pk_url_names_a_known_object():
    assert PK_URLS, "the resolver walk found no staff URL with an id"
    unknown = [url.route for url in PK_URLS if object_kind(url) is None]
    assert not unknown, f"Say which object these ids name (OBJECT_BY_PREFIX): {unknown}"


@pytest.fixture
def theirs(other_org, other_owner, foreign_customer):
    """One object of every kind, all belonging to the other business."""
    system = Actor.system()
    invoice = make_document(customer=foreign_customer)
    transition_document(document=invoice, action="mark_sent", actor=system)
    paid_invoice = make_document(customer=foreign_customer)
    transition_document(document=paid_invoice, action="mark_sent", actor=system)
    payment = record_payment(
        organization=other_org,
        customer=foreign_customer,
        actor=system,
        date=paid_invoice.issue_date,
        amount=Decimal("10"),
        method="cash",
        allocations=[(paid_invoice, Decimal("10"))],
        issue_receipt=True,
    )
    quote = make_document(customer=foreign_customer, kind="quote")
    transition_document(document=quote, action="mark_sent", actor=system)
    transition_document(document=quote, action="mark_accepted", actor=system)
    sales_order = make_document(customer=foreign_customer, kind="sales_order")
    receipt = payment.receipt
    create_api_key(organization=other_org, actor=system, name="Their sync")
    MembershipFactory(organization=other_org, role="manager")
    link = issue_link(document=invoice, actor=system).link
    return {
        "customer": [foreign_customer],
        "document": [invoice, paid_invoice, quote, sales_order, receipt],
        "payment": [payment],
        "membership": list(Membership.objects.filter(organization=other_org)),
        "api_key": list(ApiKey.objects.filter(organization=other_org)),
        "secure_link": [link],
    }


def snapshot() -> dict:
    """Every row of every Solabooks model: anything a request could have changed."""
    rows = {}
    for model in apps.get_models():
        if model.__module__.startswith("solabooks."):
            rows[model._meta.label] = list(model._default_manager.order_by("pk").values())
    return rows


def body_for(url, customer) -> dict:
    data = POST_BODIES.get(url.name, {})
    return {k: (str(customer.pk) if v == "MINE" else v) for k, v in data.items()}


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("role", ["owner", "manager", "accountant"])
@pytest.mark.parametrize("url", PK_URLS, ids=str)
def test_another_business_object_is_404_on_every_staff_url(
    request, theirs, customer, url, role, method
):
    client = request.getfixturevalue(f"{role}_client")
    targets = theirs[object_kind(url)]
    before = snapshot()
    for target in targets:
        response = getattr(client, method)(
            reverse(url.name, kwargs={"pk": target.pk}), body_for(url, customer)
        )
        allowed = {404}
        if url.allows(method) is not True:
            allowed.add(405)  # the method is refused whatever the id: nothing is revealed
        if role != "owner" and url.route.startswith(OWNER_ONLY_PREFIX):
            allowed.add(403)  # refused by role before any lookup
        assert response.status_code in allowed, (url.route, method, target, response)
    assert snapshot() == before


@pytest.mark.parametrize("url", [u for u in PK_URLS if u.allows("get") is not False], ids=str)
def test_the_owning_business_does_reach_them(other_client, theirs, url):
    """The same ids work for their own staff, so the 404s above are the scope at work."""
    for target in theirs[object_kind(url)]:
        response = other_client.get(reverse(url.name, kwargs={"pk": target.pk}))
        assert response.status_code in (200, 302), (url.route, target)
