"""Overdue: one rule (documents/overdue.py) for every staff page and the API, never a
stored state; the Overdue filter and the due-date sort of the invoice list; a void invoice
shows no balance due."""

import datetime
import re
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from solabooks.documents import overdue
from solabooks.documents.models import Document
from tests.factories import make_document

pytestmark = pytest.mark.django_db

# Noon UTC on 1 Feb 2025; an invoice due 10 Jan is 22 days overdue then.
NOW = datetime.datetime(2025, 2, 1, 12, tzinfo=datetime.UTC)
TODAY = datetime.date(2025, 2, 1)


def invoice(customer, *, due: datetime.date, state: str = "sent", **fields) -> Document:
    return make_document(
        customer=customer,
        issue_date=due - datetime.timedelta(days=30),
        due_date=due,
        state=state,
        **fields,
    )


@pytest.fixture
def late(customer):
    return invoice(customer, due=datetime.date(2025, 1, 10))


def test_only_open_invoices_past_their_due_date_are_overdue(customer):
    due = datetime.date(2025, 1, 10)
    cases = {
        "sent": 22,
        "partially_paid": 22,
        "paid": 0,
        "void": 0,
        "draft": 0,
    }
    for state, days in cases.items():
        document = invoice(customer, due=due, state=state)
        assert overdue.days_overdue(document, TODAY) == days, state
    on_the_day = invoice(customer, due=TODAY)
    assert not overdue.is_overdue(on_the_day, TODAY)
    assert overdue.days_overdue(on_the_day, TODAY + datetime.timedelta(days=1)) == 1
    quote = make_document(
        customer=customer, kind="quote", state="sent", issue_date=due, valid_until=due
    )
    assert not overdue.is_overdue(quote, TODAY)


def test_overdue_is_never_stored(late):
    late.refresh_from_db()
    assert late.state == "sent"
    assert overdue.staff_state_label(late, TODAY).text == "Overdue · 22 days"
    assert overdue.customer_state_label(late, TODAY).text == "Overdue"
    assert overdue.staff_state_label(late, datetime.date(2025, 1, 11)).text == "Overdue · 1 day"


def test_overdue_starts_on_the_business_s_own_day(org, customer):
    # 1 Feb 2025 11:30 UTC is already 2 Feb in Auckland: an invoice due 1 Feb is overdue
    # there, not yet in Honolulu.
    document = invoice(customer, due=TODAY)
    with time_machine.travel(datetime.datetime(2025, 2, 1, 11, 30, tzinfo=datetime.UTC)):
        for zone, expected in (("Pacific/Auckland", 1), ("Pacific/Honolulu", 0)):
            org.time_zone = zone
            org.save(update_fields=["time_zone"])
            assert zoneinfo.ZoneInfo(zone)  # a real zone
            assert overdue.days_overdue(document, org.today()) == expected


def test_the_invoice_list_shows_overdue_with_its_days_and_filters_by_it(
    owner_client, customer, late
):
    soon = invoice(customer, due=datetime.date(2025, 3, 1))
    with time_machine.travel(NOW):
        url = reverse("document-list", args=["invoice"])
        html = owner_client.get(url).content.decode()
        filtered = owner_client.get(url, {"state": "overdue"}).context["page"]
    assert "Overdue · 22 days" in html and 'class="badge state-overdue"' in html
    assert re.search(r'<option value="overdue"[^>]*>Overdue</option>', html)
    assert [d.pk for d in filtered.object_list] == [late.pk]
    assert soon.pk not in [d.pk for d in filtered.object_list]


def test_the_invoice_list_sorts_by_due_date(owner_client, customer):
    dues = [datetime.date(2025, 3, 1), datetime.date(2025, 1, 10), datetime.date(2025, 2, 5)]
    made = [invoice(customer, due=due) for due in dues]
    undated = make_document(customer=customer, state="sent")
    Document.objects.filter(pk=undated.pk).update(due_date=None)
    url = reverse("document-list", args=["invoice"])
    soonest = owner_client.get(url, {"sort": "due_date"})
    latest = owner_client.get(url, {"sort": "-due_date"})
    by_due = sorted(made, key=lambda d: d.due_date)
    assert [d.pk for d in soonest.context["page"].object_list] == [
        *(d.pk for d in by_due),
        undated.pk,
    ]
    assert [d.pk for d in latest.context["page"].object_list] == [
        *(d.pk for d in reversed(by_due)),
        undated.pk,
    ]
    html = soonest.content.decode()
    assert 'aria-sort="ascending"' in html and "sort=-due_date" in html  # the header flips it


def test_the_dashboard_lists_overdue_invoices_longest_first(owner_client, customer, late):
    later = invoice(customer, due=datetime.date(2025, 1, 25))
    with time_machine.travel(NOW):
        response = owner_client.get(reverse("dashboard"))
    html = response.content.decode()
    assert [d.pk for d in response.context["overdue_invoices"]] == [late.pk, later.pk]
    assert "Overdue invoices" in html and "Overdue · 22 days" in html and "Overdue · 7 days" in html


def test_the_document_page_and_customer_page_say_overdue(owner_client, customer, late):
    with time_machine.travel(NOW):
        html = owner_client.get(reverse("document-detail", args=[late.pk])).content.decode()
        customer_html = owner_client.get(
            reverse("customer-detail", args=[customer.pk])
        ).content.decode()
    assert "Overdue · 22 days" in html and "Overdue · 22 days" in customer_html


def test_a_void_invoice_shows_no_balance_due(owner_client, customer):
    void = invoice(customer, due=datetime.date(2025, 1, 10), state="void")
    assert void.balance_due == 0
    list_html = owner_client.get(reverse("document-list", args=["invoice"])).content.decode()
    page = owner_client.get(reverse("document-detail", args=[void.pk])).content.decode()
    assert "330.00" not in list_html.split("<tbody>")[1].split("</td>", 5)[-1]
    assert "Nothing is due on a void invoice." in page and "Balance due:" not in page
