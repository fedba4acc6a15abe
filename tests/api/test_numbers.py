"""Numbers in the API: what a client may send, and how amounts are written back.

In: a JSON string of ASCII digits with at most one decimal point (the pattern the schema
documents); anything else ("1_000", "١٢", "1e3", "NaN", a JSON number…) is a 400 naming the
field. Out: every money amount in its currency's minor unit ("12.00" USD, "12" JPY,
"12.000" BHD); quantities and tax rates without trailing zeros; unit prices with at least
the minor unit and more decimals only when the price has them.
"""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from solabooks.activity.services import Actor
from solabooks.api.schema import openapi_schema
from solabooks.documents.models import Document, Payment
from solabooks.documents.payments import record_payment
from solabooks.documents.services import LineInput
from tests.factories import CustomerFactory, make_document

from .conftest import API

pytestmark = pytest.mark.django_db

LINE = {"description": "Design work", "quantity": "3", "unit_price": "100.00", "tax_rate": "20"}
NOT_NUMBERS = [
    "1_000",
    "١٢",  # Arabic-Indic digits: Decimal() reads 12
    "１２",  # full-width digits
    "1e3",
    "1E-2",
    "NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "1,000",
    "+12",
    "--1",
    "1.2.3",
    ".",
    "-",
    "",
    " 12",  # the API takes the string as the schema documents it, unpadded
    "12 ",
    "−12",  # U+2212 MINUS SIGN
    "12\x003",
    "0" * 200 + "1",
    "9" * 1001,
]
NOT_STRINGS = [12, 12.5, 1e3, True, None, ["12"], {"value": "12"}]
LINE_FIELDS = ["quantity", "unit_price", "tax_rate"]


def field_errors(response) -> dict[str, list[str]]:
    assert response.status_code == 400, response.content
    return response.json()["error"]["fields"]


def create_document(api, customer, line: dict):
    return api.post(
        f"{API}/documents/",
        {"kind": "invoice", "customer": customer.pk, "lines": [LINE, line]},
        format="json",
    )


def payment_body(customer, **fields) -> dict:
    return {
        "customer": customer.pk,
        "date": "2026-02-10",
        "amount": "10",
        "method": "cash",
        **fields,
    }


# --- In ----------------------------------------------------------------------------------


@pytest.mark.parametrize("field", LINE_FIELDS)
@pytest.mark.parametrize("value", NOT_NUMBERS + NOT_STRINGS)
def test_a_line_number_that_is_not_a_plain_string_is_a_400(api, org, customer, field, value):
    response = create_document(api, customer, {**LINE, field: value})
    assert list(field_errors(response)) == [f"lines.1.{field}"]
    assert not Document.objects.for_org(org).exists()


@pytest.mark.parametrize("value", ["1_000", "١٢", "1e3", "NaN", 12, 1.5])
def test_put_and_patch_refuse_them_too(api, customer, value):
    document = make_document(customer=customer)
    put = api.put(
        f"{API}/documents/{document.pk}/",
        {"issue_date": "2026-02-01", "lines": [{**LINE, "quantity": value}]},
        format="json",
    )
    assert list(field_errors(put)) == ["lines.0.quantity"]
    patch = api.patch(
        f"{API}/documents/{document.pk}/",
        {"lines": [{**LINE, "unit_price": value}]},
        format="json",
    )
    assert list(field_errors(patch)) == ["lines.0.unit_price"]
    document.refresh_from_db()
    assert document.content_version == 1


@pytest.mark.parametrize("value", NOT_NUMBERS + NOT_STRINGS)
def test_a_payment_amount_that_is_not_a_plain_string_is_a_400(api, org, customer, value):
    response = api.post(f"{API}/payments/", payment_body(customer, amount=value), format="json")
    assert list(field_errors(response)) == ["amount"]
    assert not Payment.objects.for_org(org).exists()


@pytest.mark.parametrize("value", NOT_NUMBERS + NOT_STRINGS)
def test_an_allocation_that_is_not_a_plain_string_is_a_400(api, org, customer, value):
    invoice = make_document(customer=customer, state="sent")
    body = payment_body(customer, allocations=[{"invoice": invoice.pk, "amount": value}])
    response = api.post(f"{API}/payments/", body, format="json")
    assert list(field_errors(response)) == ["allocations.0.amount"]
    assert not Payment.objects.for_org(org).exists()


def test_the_messages_say_what_to_send(api, customer):
    grammar = field_errors(create_document(api, customer, {**LINE, "quantity": "1_000"}))
    assert grammar["lines.1.quantity"] == [
        "Enter a number using the digits 0-9 and at most one decimal point, such as 1250.50."
    ]
    number = field_errors(create_document(api, customer, {**LINE, "quantity": 12}))
    assert number["lines.1.quantity"] == ['Send this number as a JSON string, such as "1250.50".']
    long = field_errors(create_document(api, customer, {**LINE, "quantity": "0" * 200 + "1"}))
    assert long["lines.1.quantity"] == ["Enter a number of at most 100 characters."]


@pytest.mark.parametrize(
    ("quantity", "unit_price", "tax_rate", "total"),
    [
        ("12.50", "2", "0", "25.00"),
        ("0.5", "10", "0", "5.00"),
        (".5", "10.", "10", "5.50"),
        ("007", "1.000", "-0", "7.00"),
    ],
)
def test_plain_numbers_make_the_document(api, customer, quantity, unit_price, tax_rate, total):
    line = {
        "description": "x",
        "quantity": quantity,
        "unit_price": unit_price,
        "tax_rate": tax_rate,
    }
    response = api.post(
        f"{API}/documents/", {"kind": "quote", "customer": customer.pk, "lines": [line]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    assert response.json()["total"] == total


def test_negatives_are_the_services_to_refuse_as_before(api, org, customer):
    """A minus sign is part of the grammar; the rules (quantity > 0, price >= 0, tax 0-100,
    payments > 0) stay where they were, with their messages."""
    for field, message in [
        ("quantity", "Quantities must be greater than zero."),
        ("unit_price", "Unit prices cannot be negative."),
        ("tax_rate", "Tax rates are percentages from 0 to 100."),
    ]:
        response = create_document(api, customer, {**LINE, field: "-3.25"})
        assert response.status_code == 400
        assert response.json()["error"]["message"] == message
    payment = api.post(f"{API}/payments/", payment_body(customer, amount="-5"), format="json")
    assert payment.status_code == 400
    assert payment.json()["error"]["message"] == "A payment amount must be greater than zero."
    assert not Document.objects.for_org(org).exists()


def test_the_schema_documents_the_grammar(api):
    """Each number input is a string with the pattern the server applies: the JSON schema's
    pattern ([0-9], which means the same in ECMA-262 and Python) refuses what the API does."""
    schemas = openapi_schema()["components"]["schemas"]
    inputs = {
        ("LineInRequest", "quantity"): (12, 3),
        ("LineInRequest", "unit_price"): (14, 3),
        ("LineInRequest", "tax_rate"): (5, 2),
        ("PaymentInRequest", "amount"): (15, 3),
        ("AllocationInRequest", "amount"): (15, 3),
    }
    for (component, field), (max_digits, places) in inputs.items():
        prop = schemas[component]["properties"][field]
        assert (prop["type"], prop["format"], prop["maxLength"]) == ("string", "decimal", 100)
        pattern = re.compile(prop["pattern"])
        for text in NOT_NUMBERS:
            assert not pattern.search(text) or len(text) > 100, (component, field, text)
        whole = max_digits - places
        for text in ["12", "12.5", ".5", "12.", "-3.25", "9" * whole, "0." + "1" * places]:
            assert pattern.search(text), (component, field, text)
        for text in ["9" * (whole + 1), "0." + "1" * (places + 1)]:
            assert not pattern.search(text), (component, field, text)


# --- Out ---------------------------------------------------------------------------------

MONEY = {
    "USD": re.compile(r"-?[0-9]+\.[0-9]{2}"),
    "JPY": re.compile(r"-?[0-9]+"),
    "BHD": re.compile(r"-?[0-9]+\.[0-9]{3}"),
}
DOCUMENT_MONEY = ["subtotal", "tax_total", "total", "amount_paid", "balance_due"]
LINE_MONEY = ["line_subtotal", "line_tax"]


@pytest.fixture
def by_currency(org):
    """An invoice part-paid in each of USD, JPY and BHD, with a receipt for each payment."""
    made = {}
    for currency, price, paid in [
        ("USD", "10.5", "5.25"),
        ("JPY", "1500", "700"),
        ("BHD", "1.234", "0.617"),
    ]:
        customer = CustomerFactory(organization=org, currency=currency)
        invoice = make_document(
            customer=customer,
            state="sent",
            lines=[
                LineInput("Hours", Decimal("1.5"), Decimal(price), Decimal("10")),
                LineInput("Thirds", Decimal("3"), Decimal("0.333"), Decimal("0")),
            ],
        )
        payment = record_payment(
            organization=org,
            customer=customer,
            actor=Actor.system(),
            date=invoice.issue_date,
            amount=Decimal(paid) * 2,
            method="cash",
            allocations=[(invoice, Decimal(paid))],
            issue_receipt=True,
        )
        made[currency] = (invoice, payment)
    return made


def assert_money(body: dict, names: list[str], currency: str) -> None:
    for name in names:
        assert MONEY[currency].fullmatch(body[name]), (currency, name, body[name])


EXPECTED = {
    # total = 1.5 × price + 10 % tax, + 3 × 0.333 (rounded per line to the minor unit)
    "USD": {"subtotal": "16.75", "tax_total": "1.58", "total": "18.33", "amount_paid": "5.25",
            "balance_due": "13.08"},
    "JPY": {"subtotal": "2251", "tax_total": "225", "total": "2476", "amount_paid": "700",
            "balance_due": "1776"},
    "BHD": {"subtotal": "2.850", "tax_total": "0.185", "total": "3.035", "amount_paid": "0.617",
            "balance_due": "2.418"},
}  # fmt: skip
LINES = {
    "USD": [("1.5", "10.50", "10", "15.75", "1.58"), ("3", "0.333", "0", "1.00", "0.00")],
    "JPY": [("1.5", "1500", "10", "2250", "225"), ("3", "0.333", "0", "1", "0")],
    "BHD": [("1.5", "1.234", "10", "1.851", "0.185"), ("3", "0.333", "0", "0.999", "0.000")],
}


@pytest.mark.parametrize("currency", ["USD", "JPY", "BHD"])
def test_a_document_answer_writes_amounts_in_the_minor_unit(api, by_currency, currency):
    invoice, _ = by_currency[currency]
    body = api.get(f"{API}/documents/{invoice.pk}/").json()
    assert body["currency"] == currency
    assert {name: body[name] for name in DOCUMENT_MONEY} == EXPECTED[currency]
    assert [
        (
            line["quantity"],
            line["unit_price"],
            line["tax_rate"],
            line["line_subtotal"],
            line["line_tax"],
        )
        for line in body["lines"]
    ] == LINES[currency]


@pytest.mark.parametrize("currency", ["USD", "JPY", "BHD"])
def test_the_documents_list_writes_amounts_in_the_minor_unit(api, by_currency, currency):
    invoice, payment = by_currency[currency]
    rows = {row["id"]: row for row in api.get(f"{API}/documents/").json()["results"]}
    assert {name: rows[invoice.pk][name] for name in DOCUMENT_MONEY} == EXPECTED[currency]
    receipt = rows[payment.receipt.pk]
    assert receipt["currency"] == currency
    assert_money(receipt, DOCUMENT_MONEY, currency)
    # Filtered by number, the list is built as a QuerySet each time: the same rows.
    numbered = api.get(f"{API}/documents/?number={invoice.number}").json()["results"]
    assert numbered == [rows[invoice.pk]]


@pytest.mark.parametrize("currency", ["USD", "JPY", "BHD"])
def test_payment_answers_write_amounts_in_the_minor_unit(api, by_currency, currency):
    invoice, payment = by_currency[currency]
    paid = EXPECTED[currency]["amount_paid"]
    detail = api.get(f"{API}/payments/{payment.pk}/").json()
    assert detail["currency"] == currency
    assert detail["amount"] == format(Decimal(paid) * 2, "f")
    assert [(a["invoice"], a["amount"]) for a in detail["allocations"]] == [(invoice.pk, paid)]
    listed = api.get(f"{API}/payments/?customer={payment.customer_id}").json()["results"]
    assert [row["amount"] for row in listed] == [detail["amount"]]
    receipt = api.get(f"{API}/documents/{payment.receipt.pk}/").json()
    assert_money(receipt, DOCUMENT_MONEY, currency)
    for line in receipt["lines"]:
        assert_money(line, LINE_MONEY, currency)


@pytest.mark.parametrize(
    ("currency", "sent", "shown"),
    [("USD", "330", "330.00"), ("JPY", "330", "330"), ("BHD", "33.5", "33.500")],
)
def test_a_recorded_payment_answers_in_the_minor_unit(api, org, currency, sent, shown):
    customer = CustomerFactory(organization=org, currency=currency)
    invoice = make_document(customer=customer, state="sent")
    response = api.post(
        f"{API}/payments/",
        payment_body(customer, amount=sent, allocations=[{"invoice": invoice.pk, "amount": sent}]),
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["amount"], body["allocations"][0]["amount"]) == (shown, shown)
    # The invoice's activity records the allocation the same way.
    activity = api.get(f"{API}/documents/{invoice.pk}/activity/").json()["results"]
    recorded = [row["details"] for row in activity if row["verb"] == "payment_recorded"]
    assert [details["amount"] for details in recorded] == [shown]


def test_the_schema_documents_money_as_minor_unit_strings(api):
    schemas = openapi_schema()["components"]["schemas"]
    money = [
        *(("DocumentSummary", name) for name in DOCUMENT_MONEY),
        *(("DocumentOut", name) for name in DOCUMENT_MONEY),
        *(("LineOut", name) for name in LINE_MONEY),
        ("PaymentSummary", "amount"),
        ("PaymentOut", "amount"),
        ("AllocationOut", "amount"),
    ]
    for component, name in money:
        prop = schemas[component]["properties"][name]
        assert (prop["type"], prop["format"]) == ("string", "decimal"), (component, name)
        pattern = re.compile(prop["pattern"])
        assert all(pattern.search(text) for text in ["12.00", "12", "12.000", "-3.25"])
        assert not any(pattern.search(text) for text in ["12.0", "12.0000", "1e3", "12."])
        assert "minor unit" in prop["description"]
    price = schemas["LineOut"]["properties"]["unit_price"]
    assert (price["type"], price["format"]) == ("string", "decimal")
    assert re.compile(price["pattern"]).search("0.333") and "minor unit" in price["description"]


def test_lines_and_allocations_take_the_currency_already_loaded(api, org, customer):
    """A line's amounts are written in its document's currency and an allocation's in its
    payment's: read from the object already loaded, never one query per line."""

    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(path).status_code == 200
        return len(captured)

    line = LineInput("Hours", Decimal("1"), Decimal("10"), Decimal("0"))
    one, many = (
        make_document(customer=customer, lines=[line]),
        make_document(customer=customer, lines=[line] * 6),
    )
    invoices = [make_document(customer=customer, state="sent") for _ in range(6)]
    payments = [
        record_payment(
            organization=org,
            customer=customer,
            actor=Actor.system(),
            date=invoices[0].issue_date,
            amount=Decimal("6"),
            method="cash",
            allocations=[(invoice, Decimal("1")) for invoice in chosen],
        )
        for chosen in (invoices[:1], invoices)
    ]
    api.get(f"{API}/customers/")  # warm up: the key's last_used_at, the rate-limit counter
    assert queries(f"{API}/documents/{one.pk}/") == queries(f"{API}/documents/{many.pk}/")
    assert queries(f"{API}/payments/{payments[0].pk}/") == queries(
        f"{API}/payments/{payments[1].pk}/"
    )


def test_the_reference_page_says_how_numbers_are_written(client):
    html = client.get("/finance/api/docs/").content.decode()
    assert "as JSON strings" in html
    assert "minor unit" in html and "1250.000" in html
