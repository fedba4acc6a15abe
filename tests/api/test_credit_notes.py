"""Credit notes through the API: voiding a sent invoice answers with its credit note's id,
credit notes read and list like any document, creating one is a clear 400, and another
business's are 404s."""

import pytest

from solabooks.api.schema import openapi_schema
from solabooks.documents.models import Document, Kind
from tests.factories import make_document

from .conftest import API

pytestmark = pytest.mark.django_db

LINE = {"description": "Design work", "quantity": "3", "unit_price": "100.00", "tax_rate": "20"}


def void_over_the_api(api, invoice) -> dict:
    response = api.post(f"{API}/documents/{invoice.pk}/actions/void")
    assert response.status_code == 200, response.content
    return response.json()


def test_voiding_a_sent_invoice_answers_with_its_credit_note(api, customer):
    invoice = make_document(customer=customer, state="sent")
    body = void_over_the_api(api, invoice)
    assert body["state"] == "void" and body["credit_note"] is not None
    credit_note = api.get(f"{API}/documents/{body['credit_note']}/").json()
    assert (credit_note["kind"], credit_note["number"], credit_note["state"]) == (
        "credit_note",
        "CN-0001",
        "issued",
    )
    assert credit_note["source_document"] == invoice.pk
    assert credit_note["customer"] == customer.pk and credit_note["total"] == body["total"]
    assert credit_note["available_actions"] == [] and credit_note["credit_note"] is None
    draft = make_document(customer=customer)
    assert void_over_the_api(api, draft)["credit_note"] is None


def test_credit_notes_list_by_kind(api, customer):
    void_over_the_api(api, make_document(customer=customer, state="sent"))
    make_document(customer=customer, state="sent")
    listed = api.get(f"{API}/documents/", {"kind": "credit_note"}).json()
    assert [row["number"] for row in listed["results"]] == ["CN-0001"]
    assert listed["results"][0]["kind"] == "credit_note"
    issued = api.get(f"{API}/documents/", {"kind": "credit_note", "state": "issued"}).json()
    assert issued["count"] == 1


def test_creating_a_credit_note_is_a_clear_400(api, customer):
    response = api.post(
        f"{API}/documents/",
        {"kind": "credit_note", "customer": customer.pk, "lines": [LINE]},
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert "Credit notes are issued by voiding a sent invoice" in error["fields"]["kind"][0]
    assert not Document.objects.filter(kind=Kind.CREDIT_NOTE).exists()
    receipt = api.post(
        f"{API}/documents/",
        {"kind": "receipt", "customer": customer.pk, "lines": [LINE]},
        format="json",
    )
    assert "Receipts are issued from payments" in receipt.json()["error"]["fields"]["kind"][0]


def test_a_credit_note_takes_no_action_and_no_edit(api, customer):
    credit_note = make_document(customer=customer, kind="credit_note")
    for action in ("void", "mark_sent"):
        response = api.post(f"{API}/documents/{credit_note.pk}/actions/{action}")
        assert response.status_code == 400
    response = api.patch(f"{API}/documents/{credit_note.pk}/", {"notes": "x"}, format="json")
    assert response.status_code == 400
    assert "issued credit note can no longer be edited" in response.json()["error"]["message"]


def test_another_business_gets_404_for_credit_notes(api, other_api, customer):
    invoice = make_document(customer=customer, state="sent")
    credit_note_id = void_over_the_api(api, invoice)["credit_note"]
    for path in (
        f"{API}/documents/{credit_note_id}/",
        f"{API}/documents/{invoice.pk}/",
    ):
        assert other_api.get(path).status_code == 404
    assert other_api.post(f"{API}/documents/{credit_note_id}/send", {}).status_code == 404
    assert other_api.post(f"{API}/documents/{invoice.pk}/actions/void").status_code == 404
    assert other_api.get(f"{API}/documents/", {"kind": "credit_note"}).json()["count"] == 0


def test_the_schema_lists_credit_notes_where_they_can_be_read_not_created():
    schemas = openapi_schema()["components"]["schemas"]

    def kinds(name: str) -> set[str]:
        prop = schemas[name]["properties"]["kind"]
        ref = prop.get("$ref") or prop["allOf"][0]["$ref"]
        return set(schemas[ref.rsplit("/", 1)[-1]]["enum"])

    assert "credit_note" in kinds("DocumentOut")
    assert "credit_note" not in kinds("DocumentCreateInRequest")
    assert "Credit notes are issued by voiding" in (
        schemas["DocumentCreateInRequest"]["properties"]["kind"].get("description", "")
    )
    credit_note = schemas["DocumentOut"]["properties"]["credit_note"]
    assert credit_note.get("type") == "integer" and credit_note.get("nullable") is True
