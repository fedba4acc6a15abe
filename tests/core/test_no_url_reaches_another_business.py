"""Every staff URL with an id answers 404 for another business's object, GET and POST.

The URLs come from the resolver, not from a list kept by hand: a staff page added later
under one of the object prefixes below is tested the day it is added, and a page with an id
of a kind not listed here fails `test_every_staff_pk_url_names_a_known_object`, so its
author has to say what the id is.
"""

import itertools
from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse

from solabooks.activity.services import Actor
from solabooks.documents.payments import record_payment
from solabooks.documents.services import transition_document
from solabooks.sharing.services import issue_link
from solabooks.tenancy.models import ApiKey, Membership
from solabooks.tenancy.services import create_api_key
from tests.confirming import CONFIRMED
from tests.documents.helpers import document_post
from tests.factories import (
    MembershipFactory,
    make_document,
    make_einvoice_ready,
    make_project_with_time,
)

from .staff_urls import staff_pk_urls

pytestmark = pytest.mark.django_db

# What the <pk> of a staff URL names, by the route's beginning.
OBJECT_BY_PREFIX = {
    # Checked in order: the e-invoice XML exists for invoices only (any other kind is a
    # 404 for its own business too, tests/einvoice).
    "finance/document/<int:pk>/einvoice.xml": "invoice",
    # An accepted quote's stored PDF and certificate (a quote without a record is a 404).
    "finance/document/<int:pk>/acceptance": "accepted_quote",
    "finance/customers/<int:pk>/": "customer",
    "finance/document/<int:pk>/": "document",
    "finance/payments/<int:pk>/": "payment",
    "finance/settings/members/<int:pk>/": "membership",
    "finance/settings/api-keys/<int:pk>/": "api_key",
    "finance/links/<int:pk>/": "secure_link",
    "finance/projects/<int:pk>/": "project",
}
# What the other ids of a staff URL name (a project's time entry, its approval request).
OBJECT_BY_KWARG = {"entry_pk": "time_entry", "request_pk": "approval_request"}
# Ids that are no object: document-list's <kind> and the like.
NOT_AN_ID = {"kind"}
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
    # Projects: move it to one of ours, close it, log, edit and send its time, invoice it.
    "project-edit": {
        "customer": "MINE",
        "name": "Hijacked",
        "status": "active",
        "default_rate": "1",
        "show_entries": "on",
    },
    "project-status": {"action": "close"},
    "project-time-add": {
        "time-TOTAL_FORMS": "1",
        "time-INITIAL_FORMS": "0",
        "time-0-date": "2026-11-03",
        "time-0-staff_member": "ME",
        "time-0-hours": "8",
        "time-0-description": "Hijacked",
        "time-0-billable": "on",
    },
    "time-entry-edit": {
        "date": "2026-11-03",
        "staff_member": "ME",
        "hours": "9",
        "description": "Hijacked",
        "billable": "on",
        "rate": "1",
    },
    "project-share": {"message": "Hello"},
    "project-request-approval": {"entries": "ENTRY", "message": "Hello"},
    "project-invoice": {"grouping": "entry"},
}

PK_URLS = staff_pk_urls()


def object_kind(url) -> str | None:
    for prefix, kind in OBJECT_BY_PREFIX.items():
        if url.route.startswith(prefix):
            return kind
    return None


def id_kinds(url) -> dict[str, str | None]:
    """URL keyword -> the kind of object it names, for every id of `url`."""
    kinds = {"pk": object_kind(url)}
    kinds.update({name: OBJECT_BY_KWARG.get(name) for name in url.kwargs if name != "pk"})
    return {name: kind for name, kind in kinds.items() if name not in NOT_AN_ID}


def url_kwargs(url, objects: dict) -> list[dict]:
    """Every way of filling the ids of `url` from `objects` (kind -> objects)."""
    kinds = id_kinds(url)
    choices = [objects[kind] for kind in kinds.values()]
    return [
        {name: obj.pk for name, obj in zip(kinds, combo, strict=True)}
        for combo in itertools.product(*choices)
    ]


def test_every_staff_pk_url_names_a_known_object():
    assert PK_URLS, "the resolver walk found no staff URL with an id"
    unknown = [url.route for url in PK_URLS if None in id_kinds(url).values()]
    assert not unknown, (
        f"Say which object these ids name (OBJECT_BY_PREFIX, OBJECT_BY_KWARG): {unknown}"
    )


@pytest.fixture
def theirs(other_org, other_owner, foreign_customer):
    """One object of every kind, all belonging to the other business (whose invoices carry
    e-invoice data, so the XML download answers too)."""
    make_einvoice_ready(organization=other_org, customers=[foreign_customer])
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
    work = make_project_with_time(customer=foreign_customer, staff=other_owner)
    return {
        "customer": [foreign_customer],
        "document": [invoice, paid_invoice, quote, sales_order, receipt],
        "accepted_quote": [quote],
        "invoice": [invoice, paid_invoice],
        "payment": [payment],
        "membership": list(Membership.objects.filter(organization=other_org)),
        "api_key": list(ApiKey.objects.filter(organization=other_org)),
        "secure_link": [link],
        "project": [work["project"]],
        # Pending (editable), waiting in the open request, approved (ready to invoice).
        "time_entry": [work["entry"], work["waiting"], work["approved"]],
        "approval_request": [work["approval_request"]],
    }


@pytest.fixture
def our_work(customer, owner) -> dict:
    return make_project_with_time(customer=customer, staff=owner)


def snapshot() -> dict:
    """Every row of every Solabooks model: anything a request could have changed."""
    rows = {}
    for model in apps.get_models():
        if model.__module__.startswith("solabooks."):
            rows[model._meta.label] = list(model._default_manager.order_by("pk").values())
    return rows


def body_for(url, *, customer, user, objects: dict) -> dict:
    """The POST body of `url`, with MINE (our customer), ME (the signed-in user) and ENTRY
    (the first time entry of `objects`) filled in."""
    fill = {"MINE": customer.pk, "ME": user.pk, "ENTRY": objects["time_entry"][0].pk}
    # Confirmed, as the page's dialog posts it: a destructive action acts, never only asks.
    data = {**POST_BODIES.get(url.name, {}), **CONFIRMED}
    return {k: str(fill[v]) if v in fill else v for k, v in data.items()}


def _assert_404_everywhere(client, user, url, method, targets, *, customer, objects, role):
    allowed = {404}
    if url.allows(method) is not True:
        allowed.add(405)  # the method is refused whatever the id: nothing is revealed
    if role != "owner" and url.route.startswith(OWNER_ONLY_PREFIX):
        allowed.add(403)  # refused by role before any lookup
    body = body_for(url, customer=customer, user=user, objects=objects)
    for kwargs in targets:
        response = getattr(client, method)(reverse(url.name, kwargs=kwargs), body)
        assert response.status_code in allowed, (url.route, method, kwargs, response)


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("role", ["owner", "manager", "accountant"])
@pytest.mark.parametrize("url", PK_URLS, ids=str)
def test_another_business_object_is_404_on_every_staff_url(
    request, theirs, customer, url, role, method
):
    client = request.getfixturevalue(f"{role}_client")
    user = request.getfixturevalue(role)
    targets = url_kwargs(url, theirs)
    assert targets, url.route
    before = snapshot()
    _assert_404_everywhere(
        client, user, url, method, targets, customer=customer, objects=theirs, role=role
    )
    assert snapshot() == before


SUB_ID_URLS = [url for url in PK_URLS if len(id_kinds(url)) > 1]


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("url", SUB_ID_URLS, ids=str)
def test_another_business_entry_or_request_under_our_project_is_404(
    manager_client, manager, theirs, our_work, customer, url, method
):
    """Our own project's id in the URL does not let another business's time entry or
    approval request through: the second id is looked up within the first."""
    mixed = {**theirs, "project": [our_work["project"]]}
    targets = url_kwargs(url, mixed)
    before = snapshot()
    _assert_404_everywhere(
        manager_client, manager, url, method, targets,
        customer=customer, objects=mixed, role="manager",
    )  # fmt: skip
    assert snapshot() == before


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("url", SUB_ID_URLS, ids=str)
def test_an_entry_or_request_of_another_of_our_projects_is_404(
    owner_client, owner, customer, other_customer, url, method
):
    """Within one business, too: project A's URL with project B's entry or request."""
    first = make_project_with_time(customer=customer, staff=owner, name="First")
    second = make_project_with_time(customer=other_customer, staff=owner, name="Second")
    mixed = {
        "project": [first["project"]],
        "time_entry": [second["entry"], second["waiting"], second["approved"]],
        "approval_request": [second["approval_request"]],
    }
    before = snapshot()
    _assert_404_everywhere(
        owner_client, owner, url, method, url_kwargs(url, mixed),
        customer=customer, objects=mixed, role="owner",
    )  # fmt: skip
    assert snapshot() == before


@pytest.mark.parametrize("url", [u for u in PK_URLS if u.allows("get") is not False], ids=str)
def test_the_owning_business_does_reach_them(other_client, theirs, url):
    """The same ids work for their own staff, so the 404s above are the scope at work."""
    for kwargs in url_kwargs(url, theirs):
        response = other_client.get(reverse(url.name, kwargs=kwargs))
        assert response.status_code in (200, 302), (url.route, kwargs)


@pytest.mark.parametrize("url", [u for u in SUB_ID_URLS if u.allows("post")], ids=str)
def test_the_owning_business_can_post_them(other_client, other_owner, theirs, url):
    """And a POST from their own staff does act (edit or delete the pending entry, take the
    waiting one out of its request, withdraw the request), so the POSTs above are real."""
    pending, waiting, _ = theirs["time_entry"]
    work = {**theirs, "time_entry": [pending if url.name.startswith("time-entry") else waiting]}
    body = body_for(url, customer=theirs["customer"][0], user=other_owner, objects=work)
    before = snapshot()
    for kwargs in url_kwargs(url, work):
        response = other_client.post(reverse(url.name, kwargs=kwargs), body)
        assert response.status_code == 302, (url.route, kwargs)
    assert snapshot() != before
