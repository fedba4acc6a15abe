"""The documents list is kept rendered under the business's data version (api/reads.py,
tenancy/versions.py): a page seen before costs no documents query, and every change a
service commits shows on the next request. These tests commit for real (transaction=True),
because the version moves only after a commit."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from solabooks.activity.models import Verb
from solabooks.activity.services import Actor
from solabooks.api import serializers as s
from solabooks.api.reads import DOCUMENT_ORDER
from solabooks.customers.services import update_customer
from solabooks.documents.models import Document
from solabooks.documents.payments import record_payment
from solabooks.documents.services import (
    LineInput,
    convert_quote,
    expire_overdue_quotes,
    reassign_document,
    transition_document,
    update_document,
)
from solabooks.sharing.services import issue_link, record_link_access, send_document
from solabooks.tenancy.models import Organization
from solabooks.tenancy.versions import bump_data_version
from tests.factories import make_document

from .conftest import API

pytestmark = pytest.mark.django_db(transaction=True)

SYSTEM = Actor.system()
LIST = f"{API}/documents/"


def listing(api, path: str = LIST) -> dict[int, dict]:
    response = api.get(path)
    assert response.status_code == 200
    return {row["id"]: row for row in response.json()["results"]}


def version(org) -> int:
    return Organization.objects.values_list("data_version", flat=True).get(pk=org.pk)


def rename(customer, name: str) -> None:
    update_customer(
        customer=customer, actor=SYSTEM, name=name, email=customer.email, currency=customer.currency
    )


def sent_invoice(customer, amount: str = "100.00"):
    invoice = make_document(customer=customer, lines=[LineInput("Work", 1, Decimal(amount))])
    return transition_document(document=invoice, action="mark_sent", actor=SYSTEM)


def test_a_page_seen_before_reads_no_documents_and_is_the_same_answer(api, customer):
    sent_invoice(customer)
    first = api.get(LIST)
    with CaptureQueriesContext(connection) as queries:
        second = api.get(LIST)
    assert second.status_code == 200 and second.content == first.content
    assert not [q for q in queries if "documents_document" in q["sql"]]


def test_the_rendered_answer_is_drfs_own_bytes(api, org, customer, other_customer):
    for who in (customer, other_customer, customer):
        sent_invoice(who)
    make_document(customer=customer, kind="quote")
    for path, page_size in ((f"{LIST}?page_size=2", 2), (f"{LIST}?page=2&page_size=2", 2)):
        api.get(path)  # rendered; the second request is the kept answer
        response = api.get(path)
        documents = (
            Document.objects.for_org(org).select_related("customer").order_by(*DOCUMENT_ORDER)
        )
        page = 2 if "page=2" in path else 1
        rows = list(documents)[(page - 1) * page_size : page * page_size]
        expected = {
            "count": documents.count(),
            "next": f"http://testserver{LIST}?page=2&page_size=2" if page == 1 else None,
            "previous": f"http://testserver{LIST}?page_size=2" if page == 2 else None,
            "results": s.DocumentSummarySerializer(rows, many=True).data,
        }
        assert response.content == JSONRenderer().render(expected)
        assert response["Content-Type"] == "application/json"


# --- Every change shows on the next request ---------------------------------------------


def _create(org, customer, other_customer, invoice):
    new = make_document(customer=customer)
    return lambda rows: new.pk in rows


def _edit(org, customer, other_customer, invoice):
    update_document(
        document=invoice,
        actor=SYSTEM,
        lines=[LineInput("More work", 3, Decimal("70.00"))],
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
    )
    return lambda rows: rows[invoice.pk]["total"] == "210.00"


def _void(org, customer, other_customer, invoice):
    transition_document(document=invoice, action="void", actor=SYSTEM)
    return lambda rows: rows[invoice.pk]["state"] == "void"


def _send_a_draft(org, customer, other_customer, invoice):
    draft = make_document(customer=customer)
    send_document(document=draft, actor=SYSTEM)
    return lambda rows: rows[draft.pk]["state"] == "sent" and rows[draft.pk]["sent_at"]


def _pay(org, customer, other_customer, invoice):
    record_payment(
        organization=org,
        customer=customer,
        actor=SYSTEM,
        date=timezone.localdate(),
        amount=Decimal("40.00"),
        method="bank_transfer",
        allocations=[(invoice, Decimal("40.00"))],
    )
    return lambda rows: (
        rows[invoice.pk]["amount_paid"] == "40.00" and rows[invoice.pk]["balance_due"] == "60.00"
    )


def _reassign(org, customer, other_customer, invoice):
    reassign_document(document=invoice, new_customer=other_customer, actor=SYSTEM)
    return lambda rows: rows[invoice.pk]["customer_name"] == "Bob's Garage"


def _convert(org, customer, other_customer, invoice):
    quote = transition_document(
        document=make_document(customer=customer, kind="quote"), action="mark_sent", actor=SYSTEM
    )
    quote = transition_document(document=quote, action="mark_accepted", actor=SYSTEM)
    order = convert_quote(quote=quote, to_kind="sales_order", actor=SYSTEM)
    return lambda rows: order.pk in rows and rows[quote.pk]["state"] == "accepted"


def _rename_customer(org, customer, other_customer, invoice):
    rename(customer, "Jane's Bakehouse")
    return lambda rows: rows[invoice.pk]["customer_name"] == "Jane's Bakehouse"


def _first_view_by_link(org, customer, other_customer, invoice):
    link = issue_link(document=invoice, actor=SYSTEM).link
    actor = Actor(type="link", label=f"link #{link.pk}", ip="203.0.113.9")
    record_link_access(link=link, verb=Verb.VIEWED, actor=actor)
    return lambda rows: rows[invoice.pk]["viewed_at"] is not None


def _quote_expiry(org, customer, other_customer, invoice):
    today = timezone.localdate()
    quote = make_document(
        customer=customer,
        kind="quote",
        issue_date=today - datetime.timedelta(days=40),
        valid_until=today - datetime.timedelta(days=1),
    )
    transition_document(document=quote, action="mark_sent", actor=SYSTEM)
    assert expire_overdue_quotes() == 1
    return lambda rows: rows[quote.pk]["state"] == "expired"


@pytest.mark.parametrize(
    "change",
    [
        _create,
        _edit,
        _void,
        _send_a_draft,
        _pay,
        _reassign,
        _convert,
        _rename_customer,
        _first_view_by_link,
        _quote_expiry,
    ],
)
def test_every_change_shows_on_the_next_request(api, org, customer, other_customer, change):
    invoice = sent_invoice(customer)
    every_row = f"{LIST}?page_size=200"
    for path in (LIST, LIST, every_row):  # rendered, then kept
        listing(api, path)
    shows = change(org, customer, other_customer, invoice)
    assert shows(listing(api)) and shows(listing(api, every_row))


# --- The version itself ------------------------------------------------------------------


def test_the_version_moves_after_the_commit_and_not_for_a_rollback(org, customer):
    invoice = sent_invoice(customer)
    before = version(org)
    with transaction.atomic():
        transition_document(document=invoice, action="void", actor=SYSTEM)
        # Inside the transaction nothing is visible yet, and the version has not moved.
        assert version(org) == before
    assert version(org) > before
    moved = version(org)
    with pytest.raises(RuntimeError), transaction.atomic():
        rename(customer, "Never Saved")
        raise RuntimeError("rolled back")
    assert version(org) == moved


def test_saving_an_instance_read_earlier_never_puts_an_old_version_back(org):
    stale = Organization.objects.get(pk=org.pk)
    bump_data_version(organization_id=org.pk)
    bump_data_version(organization_id=org.pk)
    stale.name = "Acme Limited"
    stale.save()
    assert version(org) == stale.data_version + 2
    assert Organization.objects.get(pk=org.pk).name == "Acme Limited"


def test_one_business_changes_never_show_in_or_move_another(api, other_api, org, other_org,
                                                            customer, foreign_customer):  # fmt: skip
    mine, theirs = sent_invoice(customer), sent_invoice(foreign_customer)
    assert set(listing(api)) == {mine.pk} and set(listing(other_api)) == {theirs.pk}
    before = version(org)
    transition_document(document=theirs, action="void", actor=SYSTEM)
    assert version(org) == before
    assert set(listing(api)) == {mine.pk}
    assert listing(other_api)[theirs.pk]["state"] == "void"


def test_a_change_no_service_made_shows_within_a_minute(api, org, customer):
    """Rows written around the services (or a bump lost to a crash between a commit and
    its bump) move no version: the kept answer is still renewed once a minute."""
    invoice = sent_invoice(customer)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        listing(api)
        Document.objects.filter(pk=invoice.pk).update(notes="", state="void")
        assert listing(api)[invoice.pk]["state"] == "sent"
        clock.shift(datetime.timedelta(seconds=61))
        assert listing(api)[invoice.pk]["state"] == "void"
