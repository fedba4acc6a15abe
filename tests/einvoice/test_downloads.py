"""The e-invoice XML alone, for staff and the API: the bytes of einvoice_xml (the XML inside
the PDF), only for invoices with e-invoice data, only within the caller's business; and the
staff page's E-invoice panel, which says whether the PDF carries it and what is missing."""

from decimal import Decimal

import pytest
from django.urls import reverse

from solabooks.documents.models import Document
from solabooks.documents.services import LineInput
from solabooks.einvoice.services import einvoice_xml
from tests.api.conftest import API, key_client, make_key
from tests.factories import make_document, make_einvoice_ready

pytestmark = pytest.mark.django_db

XML_HEADERS = {
    "Content-Type": "application/xml; charset=utf-8",
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
}


@pytest.fixture
def ready(org, customer):
    make_einvoice_ready(organization=org, customers=[customer])
    return make_document(customer=customer)


def staff_url(document) -> str:
    return reverse("document-einvoice-xml", args=[document.pk])


def api_url(document) -> str:
    return f"{API}/documents/{document.pk}/einvoice.xml"


def assert_is_the_xml(response, document) -> None:
    assert response.status_code == 200
    for header, value in XML_HEADERS.items():
        assert response[header] == value, header
    assert response["Content-Disposition"] == f'attachment; filename="{document.number}.xml"'
    fresh = Document.objects.select_related("organization", "customer").get(pk=document.pk)
    assert response.content == einvoice_xml(fresh)
    assert response.content.startswith(b"<?xml")


# --- Staff -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "manager", "accountant"])
def test_staff_download_the_xml(request, ready, role):
    client = request.getfixturevalue(f"{role}_client")
    assert_is_the_xml(client.get(staff_url(ready)), ready)


def test_a_document_without_data_is_a_404_that_says_what_is_missing(owner_client, customer):
    invoice = make_document(customer=customer)
    response = owner_client.get(staff_url(invoice))
    assert response.status_code == 404
    html = response.content.decode()
    assert f"{invoice.number} carries no e-invoice data" in html
    assert "Business settings: VAT identifier." in html
    assert "Customer Jane&#x27;s Bakery: country." in html
    assert reverse("document-detail", args=[invoice.pk]) in html


@pytest.mark.parametrize("kind", ["quote", "sales_order"])
def test_other_kinds_have_no_xml(owner_client, org, customer, kind):
    make_einvoice_ready(organization=org, customers=[customer])
    document = make_document(customer=customer, kind=kind)
    response = owner_client.get(staff_url(document))
    assert response.status_code == 404
    assert "only invoices and credit notes carry e-invoice data" in response.content.decode()


def test_another_business_gets_a_plain_404(other_client, ready):
    response = other_client.get(staff_url(ready))
    assert response.status_code == 404
    assert ready.number not in response.content.decode()


def test_a_filename_is_safe_whatever_the_number(owner_client, ready):
    Document.objects.filter(pk=ready.pk).update(number='INV"1\r\n/..;x')
    response = owner_client.get(staff_url(ready))
    assert response["Content-Disposition"] == 'attachment; filename="INV-1-..-x.xml"'


# --- The E-invoice panel -------------------------------------------------------------------


def test_the_panel_says_included_and_links_the_xml(owner_client, ready):
    html = owner_client.get(reverse("document-detail", args=[ready.pk])).content.decode()
    assert "Included:</strong> the PDF carries Factur-X (EN 16931) data" in html
    assert f'href="{staff_url(ready)}"' in html


def test_the_panel_lists_each_missing_field_with_where_to_fill_it(owner_client, customer):
    invoice = make_document(customer=customer)
    html = owner_client.get(reverse("document-detail", args=[invoice.pk])).content.decode()
    assert "Not included:" in html
    for field in ("legal name.", "country.", "city.", "postcode.", "VAT identifier."):
        assert f"Business settings: {field}" in html, field
    assert f'href="{reverse("organization-settings")}#invoicing-details"' in html
    assert "Customer <bdi>Jane&#x27;s Bakery</bdi>: country." in html
    assert f'href="{reverse("customer-edit", args=[customer.pk])}"' in html
    assert staff_url(invoice) not in html


def test_managers_are_told_an_owner_fills_in_the_settings(manager_client, customer):
    invoice = make_document(customer=customer)
    html = manager_client.get(reverse("document-detail", args=[invoice.pk])).content.decode()
    assert "(an owner fills it in)" in html
    assert reverse("organization-settings") + "#" not in html


def test_mixed_lines_point_to_the_editor(owner_client, org, customer):
    make_einvoice_ready(organization=org, customers=[customer])
    invoice = make_document(
        customer=customer,
        lines=[
            LineInput("A", Decimal("1"), Decimal("10"), Decimal("20")),
            LineInput("B", Decimal("1"), Decimal("10"), Decimal("0"), "O"),
        ],
    )
    html = owner_client.get(reverse("document-detail", args=[invoice.pk])).content.decode()
    assert "Lines: a line not subject to VAT cannot share an invoice" in html
    assert f'href="{reverse("document-edit", args=[invoice.pk])}"' in html


@pytest.mark.parametrize("kind", ["quote", "sales_order"])
def test_other_kinds_show_no_panel(owner_client, customer, kind):
    document = make_document(customer=customer, kind=kind)
    html = owner_client.get(reverse("document-detail", args=[document.pk])).content.decode()
    assert "E-invoice" not in html


def test_an_old_document_never_fails_the_page(owner_client, customer):
    """Made before categories existed: a 0% line stored as standard, no unit, no address."""
    invoice = make_document(customer=customer)
    invoice.lines.update(unit_code="C62")
    for url in (reverse("document-detail", args=[invoice.pk]), staff_url(invoice)):
        assert owner_client.get(url).status_code in (200, 404)


# --- API -----------------------------------------------------------------------------------


@pytest.fixture
def api(org, owner):
    return key_client(make_key(org, owner).raw)


def test_the_api_downloads_the_xml(api, ready):
    assert_is_the_xml(api.get(api_url(ready)), ready)


def test_the_api_says_why_there_is_none_in_its_error_shape(api, customer):
    invoice = make_document(customer=customer)
    response = api.get(api_url(invoice))
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "einvoice_unavailable"
    assert "Business settings: VAT identifier." in error["message"]
    assert error["fields"] == {}


def test_the_api_never_reaches_another_business(other_org, other_owner, ready):
    other_api = key_client(make_key(other_org, other_owner).raw)
    response = other_api.get(api_url(ready))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_api_refuses_other_kinds(api, org, customer):
    make_einvoice_ready(organization=org, customers=[customer])
    quote = make_document(customer=customer, kind="quote")
    assert api.get(api_url(quote)).json()["error"]["code"] == "einvoice_unavailable"


def test_the_schema_documents_the_xml_answer():
    from solabooks.api.schema import openapi_schema

    operation = openapi_schema()["paths"]["/finance/api/v1/documents/{id}/einvoice.xml"]["get"]
    assert operation["responses"]["200"]["content"] == {
        "application/xml": {"schema": {"type": "string"}}
    }
    assert "404" in operation["responses"]
