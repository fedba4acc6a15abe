"""The e-invoice data through the API: a customer's address, VAT identifier and buyer
reference; a line's unit, VAT category and exemption reason. Optional on input (older
clients keep working), always in the answers, documented in the schema."""

import pytest

from solabooks.api.schema import openapi_schema
from solabooks.documents.models import Document

from .conftest import API

pytestmark = pytest.mark.django_db

DETAILS = {
    "billing_address": "1 rue de Rivoli",
    "postcode": "75001",
    "city": "Paris",
    "country": "FR",
    "vat_id": "fr 40 303 265 045",
    "buyer_reference": "PO-4711",
}


def test_the_api_takes_and_shows_them(api, customer):
    url = f"{API}/customers/{customer.pk}/"
    body = api.patch(url, DETAILS, format="json").json()
    assert body["vat_id"] == "FR40303265045"
    assert body["country"] == "FR" and body["postcode"] == "75001" and body["city"] == "Paris"
    assert body["buyer_reference"] == "PO-4711"
    # PATCH leaves the others as they are; a customer without a country shows "".
    assert api.patch(url, {"notes": "Pays fast"}, format="json").json()["vat_id"] == (
        "FR40303265045"
    )
    created = api.post(
        f"{API}/customers/", {"name": "Plain", "email": "p@plain.test"}, format="json"
    ).json()
    assert created["country"] == "" and created["vat_id"] == "" and created["buyer_reference"] == ""


@pytest.mark.parametrize(
    ("body", "field_or_message"),
    [
        ({"vat_id": "FR00303265045"}, "not a valid VAT identifier"),
        ({"country": "XX"}, "country"),
        ({"country": 12}, "country"),
        ({"vat_id": "X" * 31}, "vat_id"),
        ({"buyer_reference": ["PO"]}, "buyer_reference"),
    ],
)
def test_the_api_refuses_wrong_values_with_a_400(api, customer, body, field_or_message):
    response = api.patch(f"{API}/customers/{customer.pk}/", body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert field_or_message in error["fields"] or field_or_message in error["message"]


def test_another_business_cannot_edit_them(other_api, customer):
    response = other_api.patch(f"{API}/customers/{customer.pk}/", DETAILS, format="json")
    assert response.status_code == 404
    customer.refresh_from_db()
    assert customer.vat_id == ""


# --- Lines -------------------------------------------------------------------------------

OLD_LINE = {"description": "Design", "quantity": "2", "unit_price": "100", "tax_rate": "20"}


def test_an_older_client_sends_only_the_four_fields(api, customer):
    zero = {"description": "Postage", "quantity": "1", "unit_price": "5"}
    body = api.post(
        f"{API}/documents/",
        {"kind": "invoice", "customer": customer.pk, "lines": [OLD_LINE, zero]},
        format="json",
    ).json()
    first, second = body["lines"]
    assert (first["unit_code"], first["tax_category"], first["tax_exemption_reason"]) == (
        "C62",
        "S",
        "",
    )
    assert second["tax_category"] == "Z" and second["tax_rate"] == "0"
    assert body["tax_total"] == "40.00"


def test_a_client_sends_units_categories_and_reasons(api, customer):
    lines = [
        {**OLD_LINE, "unit_code": "HUR"},
        {
            "description": "Training",
            "quantity": "1",
            "unit_price": "300",
            "tax_rate": "0",
            "tax_category": "E",
            "tax_exemption_reason": "Article 132(1)(i) Directive 2006/112/EC",
        },
    ]
    created = api.post(
        f"{API}/documents/",
        {"kind": "invoice", "customer": customer.pk, "lines": lines},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["lines"][0]["unit_code"] == "HUR"
    assert body["lines"][1]["tax_category"] == "E"
    assert body["lines"][1]["tax_exemption_reason"].startswith("Article 132")
    # PATCH without lines keeps them, units and categories included.
    patched = api.patch(f"{API}/documents/{body['id']}/", {"notes": "Thanks"}, format="json").json()
    assert [line["tax_category"] for line in patched["lines"]] == ["S", "E"]
    assert patched["lines"][0]["unit_code"] == "HUR"


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"tax_category": "E"}, "taxed at 0%"),  # exempt at 20%
        ({"tax_category": "E", "tax_rate": "0"}, "needs the reason"),
        ({"tax_category": "S", "tax_rate": "0"}, "needs a tax rate above 0%"),
        ({"tax_exemption_reason": "Because"}, "only exempt"),
        ({"unit_code": "XYZ"}, "lines.0.unit_code"),
        ({"tax_category": "K"}, "lines.0.tax_category"),
        ({"tax_exemption_reason": "x" * 201}, "lines.0.tax_exemption_reason"),
    ],
)
def test_wrong_line_data_is_a_400_that_says_why(api, customer, change, says):
    response = api.post(
        f"{API}/documents/",
        {"kind": "invoice", "customer": customer.pk, "lines": [{**OLD_LINE, **change}]},
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert says in error["message"] or says in error["fields"]
    assert not Document.objects.exists()


def test_the_schema_documents_the_new_fields():
    schemas = openapi_schema()["components"]["schemas"]
    line_in = schemas["LineInRequest"]
    assert {"unit_code", "tax_category", "tax_exemption_reason"} <= set(line_in["properties"])
    assert {"unit_code", "tax_category", "tax_exemption_reason"} <= set(
        schemas["LineOut"]["properties"]
    )
    assert not {"unit_code", "tax_category", "tax_exemption_reason"} & set(
        line_in.get("required", [])
    )
    customer_out = schemas["CustomerOut"]["properties"]
    assert {"postcode", "city", "country", "vat_id", "buyer_reference"} <= set(customer_out)
