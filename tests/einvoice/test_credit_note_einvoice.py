"""The credit note a voided, e-invoice-ready invoice issues is itself a valid EN 16931
e-invoice (type 381, naming the invoice it credits), embedded in its PDF as factur-x.xml."""

import io
from decimal import Decimal

import pytest
from lxml import etree
from pypdf import PdfReader

from solabooks.activity.services import Actor
from solabooks.documents.services import LineInput, transition_document
from solabooks.einvoice.readiness import missing_for_einvoice
from solabooks.einvoice.services import einvoice_xml
from solabooks.pdf.services import document_pdf
from tests.factories import make_document

pytestmark = pytest.mark.django_db

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}


@pytest.fixture
def credit_note(org, customer):
    org.legal_name = "Acme Ltd SARL"
    org.vat_id = "FR40303265045"
    org.country = "FR"
    org.city = "Paris"
    org.postcode = "75001"
    org.address = "1 rue de Rivoli"
    org.save()
    customer.country = "FR"
    customer.city = "Lyon"
    customer.postcode = "69001"
    customer.save()
    invoice = make_document(
        customer=customer,
        currency="EUR",
        lines=[
            LineInput("Design work", Decimal("3"), Decimal("100.00"), Decimal("20")),
            LineInput("Books", Decimal("2"), Decimal("12.35"), Decimal("5.5")),
        ],
    )
    transition_document(document=invoice, action="mark_sent", actor=Actor.system())
    transition_document(document=invoice, action="void", actor=Actor.system())
    return invoice.derived_documents.get(kind="credit_note")


def test_the_credit_note_passes_the_official_en16931_rules(credit_note, official_validator):
    assert missing_for_einvoice(credit_note) == []
    xml = einvoice_xml(credit_note)
    found = official_validator.problems(xml)
    assert found["schema"] == [] and found["fatal"] == [], found
    root = etree.fromstring(xml)
    assert root.findtext(".//rsm:ExchangedDocument/ram:TypeCode", namespaces=NS) == "381"
    assert root.findtext(".//rsm:ExchangedDocument/ram:ID", namespaces=NS) == "CN-0001"
    referenced = root.find(".//ram:InvoiceReferencedDocument", namespaces=NS)
    assert referenced.findtext("ram:IssuerAssignedID", namespaces=NS) == "INV-0001"


def test_the_credit_note_pdf_embeds_its_factur_x_xml(credit_note):
    reader = PdfReader(io.BytesIO(document_pdf(document=credit_note)))
    assert list(reader.attachments) == ["factur-x.xml"]
    assert reader.attachments["factur-x.xml"] == [einvoice_xml(credit_note)]
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Credit note" in text and "Credits invoice INV-0001" in text
