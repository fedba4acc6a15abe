"""einvoice.schema: the product's own check of its XML against the Factur-X EN 16931 XML
Schema (the one that runs before sending). It must pass what cii.py makes and catch XML
that breaks the schema."""

from decimal import Decimal as D

import pytest
from lxml import etree

from solabooks.documents.lines import LineInput
from solabooks.einvoice.cii import RAM
from solabooks.einvoice.schema import schema_errors
from solabooks.einvoice.services import einvoice_xml
from tests.factories import CustomerFactory, OrganizationFactory, make_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready_invoice():
    organization = OrganizationFactory(
        legal_name="Northwind Studio SARL", vat_id="FR40303265045", country="FR",
        city="Paris", postcode="75002",
    )  # fmt: skip
    customer = CustomerFactory(organization=organization, country="DE", currency="EUR")
    return make_document(
        customer=customer, currency="EUR", lines=[LineInput("Design", D("2"), D("450"), D("20"))]
    )


def test_the_xml_the_product_makes_passes_the_schema(ready_invoice):
    assert schema_errors(einvoice_xml(ready_invoice)) == []


def test_a_missing_required_element_is_caught(ready_invoice):
    tree = etree.fromstring(einvoice_xml(ready_invoice))
    settlement = tree.find(f".//{{{RAM}}}ApplicableHeaderTradeSettlement")
    settlement.remove(settlement.find(f"{{{RAM}}}InvoiceCurrencyCode"))
    errors = schema_errors(etree.tostring(tree))
    assert errors and "InvoiceCurrencyCode" in " ".join(errors)


def test_elements_out_of_order_are_caught(ready_invoice):
    tree = etree.fromstring(einvoice_xml(ready_invoice))
    document = tree.find("{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}"
                         "ExchangedDocument")  # fmt: skip
    type_code = document.find(f"{{{RAM}}}TypeCode")
    document.remove(type_code)
    document.insert(0, type_code)  # before the invoice number (BT-1)
    assert schema_errors(etree.tostring(tree))


def test_an_amount_that_is_not_a_number_is_caught(ready_invoice):
    xml = einvoice_xml(ready_invoice).replace(b">1080.00<", b">1,080.00<")
    assert b"1,080.00" in xml
    assert schema_errors(xml)


def test_not_well_formed_xml_is_an_error_not_an_exception():
    [error] = schema_errors(b"<a>")
    assert error.startswith("not well-formed XML")
