"""Creating and editing documents: every rule of the form, and never a half-written document."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from solabooks.activity.models import Activity, Verb
from solabooks.documents.models import Document, DocumentLine
from tests.documents.helpers import LINE, document_post, next_number
from tests.factories import make_document

pytestmark = pytest.mark.django_db


def create_url(kind: str = "invoice") -> str:
    return reverse("document-create", args=[kind])


def assert_nothing_written(org) -> None:
    assert not Document.objects.for_org(org).exists()
    assert not DocumentLine.objects.exists()
    assert next_number(org) == 1  # no number was used up


def test_the_form_offers_only_this_business_customers(owner_client, customer, foreign_customer):
    html = owner_client.get(create_url()).content.decode()
    assert "Jane&#x27;s Bakery" in html
    assert "Elsewhere Co" not in html
    assert 'data-add-line="#line-formset"' in html
    assert "<template>" in html and "__prefix__" in html


def test_customer_can_be_preselected(owner_client, customer, other_customer):
    html = owner_client.get(create_url(), {"customer": other_customer.pk}).content.decode()
    # Each option carries its customer's currency, for the editor's live totals.
    assert (
        f'<option value="{other_customer.pk}" selected data-currency="{other_customer.currency}">'
        in html
    )


def test_create_an_invoice(owner_client, org, customer, owner):
    data = document_post(
        customer=customer,
        due_date="2025-03-31",
        notes="Thanks!",
        lines=[
            LINE,
            {"description": "Travel", "quantity": "1", "unit_price": "20", "tax_rate": "0"},
        ],
    )
    data["lines-TOTAL_FORMS"] = "2"
    response = owner_client.post(create_url(), data)
    document = Document.objects.for_org(org).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("document-detail", args=[document.pk])
    assert document.number == "INV-0001"
    assert document.customer == customer
    assert document.issue_date == datetime.date(2025, 3, 1)
    assert document.due_date == datetime.date(2025, 3, 31)
    assert document.total == Decimal("350.00")  # 300 + 10 % tax + 20
    assert [line.description for line in document.lines.all()] == ["Consulting", "Travel"]
    assert document.created_by == owner
    created = Activity.objects.get(document=document, verb=Verb.CREATED)
    assert created.actor_user == owner


def test_blank_added_rows_are_skipped(owner_client, org, customer):
    blank = {"description": "", "quantity": "", "unit_price": "", "tax_rate": "0"}
    response = owner_client.post(
        create_url(), document_post(customer=customer, lines=[LINE, blank])
    )
    assert response.status_code == 302
    assert Document.objects.for_org(org).get().lines.count() == 1


def test_removed_rows_are_skipped(owner_client, org, customer):
    removed = {**LINE, "description": "Gone", "DELETE": "on"}
    response = owner_client.post(
        create_url(), document_post(customer=customer, lines=[LINE, removed])
    )
    assert response.status_code == 302
    assert list(
        Document.objects.for_org(org).get().lines.values_list("description", flat=True)
    ) == ["Consulting"]


def test_an_empty_due_date_follows_the_payment_terms(owner_client, org, customer):
    owner_client.post(create_url(), document_post(customer=customer, due_date=""))
    document = Document.objects.for_org(org).get()
    assert document.due_date == datetime.date(2025, 3, 1) + datetime.timedelta(days=30)


def test_create_a_quote_with_valid_until(owner_client, org, customer):
    owner_client.post(
        create_url("quote"), document_post(customer=customer, valid_until="2025-04-01")
    )
    quote = Document.objects.for_org(org).get()
    assert (quote.kind, quote.number, quote.valid_until) == (
        "quote",
        "QUO-0001",
        datetime.date(2025, 4, 1),
    )
    assert quote.due_date is None


def test_create_a_sales_order(owner_client, org, customer):
    response = owner_client.post(create_url("sales_order"), document_post(customer=customer))
    assert response.status_code == 302
    assert Document.objects.for_org(org).get().number == "SO-0001"


def test_currency_defaults_to_the_customer_and_can_be_chosen(owner_client, org, customer):
    owner_client.post(create_url(), document_post(customer=customer))
    owner_client.post(create_url(), document_post(customer=customer, currency="EUR"))
    assert list(
        Document.objects.for_org(org).order_by("sequence").values_list("currency", flat=True)
    ) == [
        "USD",
        "EUR",
    ]


def test_receipts_are_not_created_by_hand(owner_client, org, customer):
    response = owner_client.get(create_url("receipt"))
    assert response.status_code == 302
    assert response["Location"] == reverse("payment-list")
    owner_client.post(create_url("receipt"), document_post(customer=customer))
    assert not Document.objects.for_org(org).exists()


@pytest.mark.parametrize("who", ["owner_client", "manager_client", "accountant_client"])
def test_every_role_creates_documents(request, who, org, customer):
    response = request.getfixturevalue(who).post(create_url(), document_post(customer=customer))
    assert response.status_code == 302
    assert Document.objects.for_org(org).count() == 1


def test_another_business_customer_is_a_form_error(owner_client, org, foreign_customer):
    response = owner_client.post(create_url(), document_post(customer=foreign_customer))
    assert response.status_code == 200
    assert response.context["form"].errors["customer"] == ["Choose one of your customers."]
    assert_nothing_written(org)
    assert not Document.objects.for_org(foreign_customer.organization).exists()


def line(**overrides) -> dict:
    return {**LINE, **overrides}


BAD_LINES = {
    "negative quantity": ([line(quantity="-1")], "quantity", "greater than zero"),
    "zero quantity": ([line(quantity="0")], "quantity", "greater than zero"),
    "non-numeric quantity": ([line(quantity="lots")], "quantity", "Enter a number"),
    "NaN quantity": ([line(quantity="NaN")], "quantity", "Enter a number"),
    "infinite price": ([line(unit_price="Infinity")], "unit_price", "Enter a number"),
    "negative price": ([line(unit_price="-0.01")], "unit_price", "cannot be negative"),
    "huge price": ([line(unit_price="1e30")], "unit_price", "digits"),
    "too many decimals": ([line(quantity="1.00001")], "quantity", "decimal places"),
    "tax over 100": ([line(tax_rate="100.01")], "tax_rate", "from 0 to 100"),
    "negative tax": ([line(tax_rate="-5")], "tax_rate", "from 0 to 100"),
    "missing description": ([line(description="")], "description", "required"),
    "blank description": ([line(description="   ")], "description", "required"),
    "10,000-char description": ([line(description="x" * 10_000)], "description", "at most 500"),
    "missing price": ([{"description": "A", "quantity": "1"}], "unit_price", "required"),
    "line amount too large": (
        [line(quantity="999999999", unit_price="99999999999")],
        "unit_price",
        "too large",
    ),
}


@pytest.mark.parametrize("lines,field,message", BAD_LINES.values(), ids=BAD_LINES.keys())
def test_bad_lines_are_shown_next_to_the_field(owner_client, org, customer, lines, field, message):
    response = owner_client.post(create_url(), document_post(customer=customer, lines=lines))
    assert response.status_code == 200
    errors = response.context["formset"].forms[0].errors[field]
    assert any(message in error for error in errors), errors
    assert_nothing_written(org)


BAD_FIELDS = {
    "malformed issue date": ({"issue_date": "2025-02-30"}, "issue_date", "valid date"),
    "word for a date": ({"issue_date": "tomorrow"}, "issue_date", "valid date"),
    "year 99999": ({"issue_date": "99999-01-01"}, "issue_date", "valid date"),
    "year 9999": ({"issue_date": "9999-12-31"}, "issue_date", "between the years"),
    "missing issue date": ({"issue_date": ""}, "issue_date", "required"),
    "due before issue": ({"due_date": "2025-02-28"}, "due_date", "before the issue date"),
    "10,000-char notes": ({"notes": "n" * 10_000}, "notes", "at most 5000"),
    "unknown currency": ({"currency": "XXX"}, "currency", "valid choice"),
}


@pytest.mark.parametrize("fields,field,message", BAD_FIELDS.values(), ids=BAD_FIELDS.keys())
def test_bad_fields_are_shown_next_to_the_field(
    owner_client, org, customer, fields, field, message
):
    response = owner_client.post(create_url(), document_post(customer=customer, **fields))
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    assert_nothing_written(org)


def test_valid_until_before_issue_is_refused(owner_client, org, customer):
    response = owner_client.post(
        create_url("quote"), document_post(customer=customer, valid_until="2025-01-01")
    )
    assert "before the issue date" in response.context["form"].errors["valid_until"][0]
    assert_nothing_written(org)


@pytest.mark.parametrize("customer_value", ["", "abc", "99999999", "1; DROP TABLE"])
def test_missing_or_bogus_customer(owner_client, org, customer, customer_value):
    response = owner_client.post(create_url(), document_post(customer=customer_value))
    assert response.status_code == 200
    assert "customer" in response.context["form"].errors
    assert_nothing_written(org)


def test_no_lines_at_all(owner_client, org, customer):
    response = owner_client.post(create_url(), document_post(customer=customer, lines=[]))
    assert response.status_code == 200
    assert "at least one line" in " ".join(response.context["formset"].non_form_errors())
    assert_nothing_written(org)


def test_only_removed_lines(owner_client, org, customer):
    response = owner_client.post(
        create_url(), document_post(customer=customer, lines=[line(DELETE="on")])
    )
    assert response.status_code == 200
    assert "at least one line" in " ".join(response.context["formset"].non_form_errors())
    assert_nothing_written(org)


def test_200_lines_are_fine_and_201_are_refused(owner_client, org, customer):
    response = owner_client.post(create_url(), document_post(customer=customer, lines=[LINE] * 201))
    assert response.status_code == 200
    assert "at most 200 lines" in " ".join(response.context["formset"].non_form_errors())
    assert_nothing_written(org)
    response = owner_client.post(create_url(), document_post(customer=customer, lines=[LINE] * 200))
    assert response.status_code == 302
    assert Document.objects.for_org(org).get().lines.count() == 200


def test_a_forged_huge_form_count_is_refused(owner_client, org, customer):
    data = document_post(customer=customer)
    data["lines-TOTAL_FORMS"] = "1000000000"
    response = owner_client.post(create_url(), data)
    assert response.status_code == 200
    assert "at most 200 lines" in " ".join(response.context["formset"].non_form_errors())
    assert_nothing_written(org)


def test_a_missing_management_form_is_an_error(owner_client, org, customer):
    data = {k: v for k, v in document_post(customer=customer).items() if "FORMS" not in k}
    response = owner_client.post(create_url(), data)
    assert response.status_code == 200
    assert response.context["formset"].non_form_errors()
    assert_nothing_written(org)


def test_a_total_too_large_for_the_books_is_refused_by_the_service(owner_client, org, customer):
    """Each line fits, 200 of them do not: the service refuses and nothing is written."""
    big = line(quantity="9999999", unit_price="99999999", tax_rate="0")  # just under 1e15
    response = owner_client.post(create_url(), document_post(customer=customer, lines=[big] * 2))
    assert response.status_code == 200
    assert "too large" in " ".join(response.context["form"].non_field_errors())
    assert_nothing_written(org)


def test_numbers_stay_gapless_after_refused_attempts(owner_client, org, customer):
    owner_client.post(create_url(), document_post(customer=customer))
    owner_client.post(create_url(), document_post(customer=customer, lines=[line(quantity="-1")]))
    big = line(quantity="9999999", unit_price="99999999", tax_rate="0")
    owner_client.post(create_url(), document_post(customer=customer, lines=[big] * 2))
    owner_client.post(create_url(), document_post(customer=customer))
    numbers = list(
        Document.objects.for_org(org).order_by("sequence").values_list("number", flat=True)
    )
    assert numbers == ["INV-0001", "INV-0002"]


def test_kinds_number_separately(owner_client, org, customer):
    for kind in ("invoice", "quote", "invoice", "sales_order", "quote"):
        owner_client.post(create_url(kind), document_post(customer=customer))
    assert sorted(Document.objects.for_org(org).values_list("number", flat=True)) == [
        "INV-0001", "INV-0002", "QUO-0001", "QUO-0002", "SO-0001",
    ]  # fmt: skip


# --- editing ---------------------------------------------------------------------------


def edit_url(document) -> str:
    return reverse("document-edit", args=[document.pk])


def test_edit_form_is_filled_in(owner_client, customer):
    document = make_document(customer=customer, notes="Hello")
    html = owner_client.get(edit_url(document)).content.decode()
    assert 'value="Consulting"' in html
    assert 'value="150"' in html  # 150.000 shown plainly
    assert "Hello" in html
    assert 'name="customer"' not in html  # moving it is a re-assignment


def test_edit_saves_lines_and_bumps_the_version(owner_client, customer, owner):
    document = make_document(customer=customer)
    data = document_post(
        lines=[line(description="Design", quantity="3", unit_price="100", tax_rate="0")],
        due_date="2025-04-01",
        notes="Edited",
    )
    data["lines-INITIAL_FORMS"] = "1"
    response = owner_client.post(edit_url(document), data)
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.total == Decimal("300.00")
    assert document.notes == "Edited"
    assert document.content_version == 2
    assert list(document.lines.values_list("description", flat=True)) == ["Design"]
    assert Activity.objects.filter(document=document, verb=Verb.EDITED, actor_user=owner).exists()


def test_a_bad_edit_changes_nothing(owner_client, customer):
    document = make_document(customer=customer)
    data = document_post(lines=[line(quantity="-3")])
    data["lines-INITIAL_FORMS"] = "1"
    response = owner_client.post(edit_url(document), data)
    assert response.status_code == 200
    document.refresh_from_db()
    assert document.content_version == 1
    assert list(document.lines.values_list("quantity", flat=True)) == [Decimal("2")]


def test_an_edit_below_what_was_paid_is_a_form_error(owner_client, customer):
    document = make_document(customer=customer, state="sent")
    type(document).objects.filter(pk=document.pk).update(amount_paid=Decimal("100"))
    data = document_post(lines=[line(quantity="1", unit_price="10", tax_rate="0")])
    response = owner_client.post(edit_url(document), data)
    assert response.status_code == 200
    assert "already been paid" in " ".join(response.context["form"].non_field_errors())
    document.refresh_from_db()
    assert document.total == Decimal("330.00")


@pytest.mark.parametrize(
    "kind,state",
    [("invoice", "paid"), ("invoice", "void"), ("quote", "accepted"), ("receipt", None)],
)
def test_documents_that_are_not_editable_cannot_be_edited(owner_client, customer, kind, state):
    document = make_document(customer=customer, kind=kind, state=state)
    detail = reverse("document-detail", args=[document.pk])
    response = owner_client.get(edit_url(document))
    assert response.status_code == 302 and response["Location"] == detail
    response = owner_client.post(edit_url(document), document_post(), follow=True)
    assert "can no longer be edited" in response.content.decode()
    document.refresh_from_db()
    assert document.content_version == 1
