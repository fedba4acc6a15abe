"""The portal in the customer's words: Due, Overdue, Partly paid, Paid (never "Sent"); an
Overdue status filter; the overdue amount stands out on the dashboard; the amount due and
due date first on an unpaid invoice; a void invoice owes nothing."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from tests.documents.test_overdue import NOW, invoice

from .conftest import DASHBOARD

pytestmark = pytest.mark.django_db


def test_lists_say_due_and_overdue_and_filter_by_overdue(portal, customer):
    late = invoice(customer, due=datetime.date(2025, 1, 10))
    due = invoice(customer, due=datetime.date(2025, 3, 1))
    void = invoice(customer, due=datetime.date(2025, 1, 10), state="void")
    url = reverse("portal-invoices")
    with time_machine.travel(NOW):
        html = portal.get(url).content.decode()
        only = portal.get(url, {"status": "overdue"})
    body = html.split("<tbody>")[1]
    assert "Overdue" in body and ">Due<" in body and "Cancelled" in body
    assert "Sent" not in body and "Void" not in body
    assert '<option value="overdue"' in html
    assert [d.pk for d in only.context["page"].object_list] == [late.pk]
    assert due.pk not in [d.pk for d in only.context["page"].object_list]
    assert void.balance_due == 0


def test_the_dashboard_overdue_amount_stands_out_and_links_to_them(portal, customer):
    invoice(customer, due=datetime.date(2025, 1, 10))
    with time_machine.travel(NOW):
        html = portal.get(DASHBOARD).content.decode()
    assert 'class="overdue-amount"' in html
    assert "330.00 USD overdue" in html and "?status=overdue" in html


def test_an_unpaid_invoice_shows_the_amount_due_and_due_date_first(portal, customer):
    late = invoice(customer, due=datetime.date(2025, 1, 10))
    with time_machine.travel(NOW):
        html = portal.get(reverse("portal-document", args=[late.pk])).content.decode()
    assert html.index("Amount due") < html.index("document-sheet")
    assert "330.00 USD" in html and "was due 10 Jan 2025 (22 days ago)" in html
    assert "Sent" not in html.split("<main", 1)[1]
