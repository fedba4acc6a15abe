"""The document editor's page: quantity 1 by default, blank rows to fill without
JavaScript, a labelled Remove column, and the totals the server shows beside the lines —
worked out with the functions the document is saved with (documents/editor_totals.py), so
the page, the script (static/js/editor.js, tested in tests/browser) and the saved document
agree to the minor unit."""

from decimal import Decimal

import pytest
from django.urls import reverse

from solabooks.documents.forms import LineFormSet
from solabooks.documents.models import Document
from solabooks.documents.services import LineInput
from tests.documents.helpers import document_post
from tests.factories import CustomerFactory, make_document

pytestmark = pytest.mark.django_db

# Two 20% lines whose own taxes (2.006 each) round up: per group the tax is 4.01, not 4.02.
MIXED = [
    {"description": "Design", "quantity": "1", "unit_price": "10.03", "tax_rate": "20"},
    {"description": "Review", "quantity": "0.5", "unit_price": "20.06", "tax_rate": "20"},
    {"description": "Books", "quantity": "2", "unit_price": "12.345", "tax_rate": "5.5"},
]


def test_a_new_line_is_one_unit_and_the_page_has_blank_rows(owner_client, customer):
    response = owner_client.get(reverse("document-create", args=["invoice"]))
    formset = response.context["formset"]
    assert len(formset.forms) == 3
    html = response.content.decode()
    assert 'name="lines-0-quantity" value="1"' in html
    assert 'name="lines-__prefix__-quantity" value="1"' in html  # rows Add line clones
    # Every column header has a name (it used to be an empty <th>).
    assert "<th></th>" not in html and '<th class="num">Remove</th>' in html


def test_a_blank_row_left_at_quantity_one_is_skipped(owner_client, org, customer):
    blank = {"description": "", "quantity": "1", "unit_price": "", "tax_rate": "0"}
    response = owner_client.post(
        reverse("document-create", args=["invoice"]),
        document_post(customer=customer, lines=[MIXED[0], blank, blank]),
    )
    assert response.status_code == 302
    assert Document.objects.for_org(org).get().lines.count() == 1


@pytest.mark.parametrize(
    ("currency", "lines", "expected"),
    [
        ("USD", MIXED, ("44.75", "5.37", "50.12")),
        (
            "JPY",
            [
                {"description": "Design", "quantity": "3", "unit_price": "333.5", "tax_rate": "10"},
                {"description": "Tea", "quantity": "1", "unit_price": "99", "tax_rate": "8"},
                {"description": "Stamps", "quantity": "2", "unit_price": "0.25", "tax_rate": "10"},
            ],
            ("1,101", "108", "1,209"),
        ),
    ],
)
def test_the_shown_totals_are_the_saved_ones(owner_client, org, currency, lines, expected):
    customer = CustomerFactory(organization=org, currency=currency)
    url = reverse("document-create", args=["invoice"])
    # A post with a mistake elsewhere comes back with the totals of the lines as typed.
    page = owner_client.post(url, document_post(customer=customer, lines=lines, issue_date=""))
    totals = page.context["totals"]
    assert totals.currency == currency
    shown = page.content.decode()
    for amount in expected:
        assert amount in shown
    response = owner_client.post(url, document_post(customer=customer, lines=lines))
    assert response.status_code == 302
    document = Document.objects.for_org(org).get()
    assert (document.subtotal, document.tax_total, document.total) == (
        totals.subtotal,
        totals.tax,
        totals.total,
    )
    assert [line.line_subtotal for line in document.lines.all()] == totals.lines[:3]


def test_the_edit_page_shows_the_documents_totals(owner_client, customer):
    document = make_document(
        customer=customer,
        lines=[
            LineInput("Design", Decimal("1"), Decimal("10.03"), Decimal("20")),
            LineInput("Review", Decimal("0.5"), Decimal("20.06"), Decimal("20")),
        ],
    )
    response = owner_client.get(reverse("document-edit", args=[document.pk]))
    totals = response.context["totals"]
    assert (totals.subtotal, totals.tax, totals.total) == (
        document.subtotal,
        document.tax_total,
        document.total,
    )
    assert totals.lines == [Decimal("10.03"), Decimal("10.03"), None, None]  # 2 blank rows


def test_removed_and_unfinished_rows_count_for_nothing():
    from solabooks.documents.editor_totals import editor_totals

    data = {
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": "0",
        "lines-0-description": "Kept",
        "lines-0-quantity": "2",
        "lines-0-unit_price": "5",
        "lines-0-tax_rate": "10",
        "lines-1-description": "Removed",
        "lines-1-quantity": "1",
        "lines-1-unit_price": "100",
        "lines-1-tax_rate": "0",
        "lines-1-DELETE": "on",
        "lines-2-description": "Typing",
        "lines-2-quantity": "1",
        "lines-2-unit_price": "1e3",
    }
    totals = editor_totals(LineFormSet(data, prefix="lines"), "USD")
    assert totals.lines == [Decimal("10.00"), None, None]
    assert (totals.subtotal, totals.tax, totals.total) == (
        Decimal("10.00"),
        Decimal("1.00"),
        Decimal("11.00"),
    )
