"""missing_for_einvoice names each thing an invoice lacks for EN 16931, one sentence each;
a document that lacks them is a plain PDF, never an invalid e-invoice and never an error."""

import io
from decimal import Decimal as D

import pytest
from pypdf import PdfReader

from solabooks.documents.lines import LineInput
from solabooks.einvoice.readiness import missing_for_einvoice
from solabooks.einvoice.services import einvoice_xml
from solabooks.pdf.services import document_pdf
from tests.factories import CustomerFactory, OrganizationFactory, make_document

from .helpers import ready_business, ready_customer

pytestmark = pytest.mark.django_db

TAXED = [LineInput("Consulting", D("2"), D("150"), D("20"))]


def invoice_of(business_fields=None, customer_fields=None, lines=None, **document_fields):
    customer = ready_customer(ready_business(**(business_fields or {})), **(customer_fields or {}))
    return make_document(customer=customer, lines=lines or TAXED, **document_fields)


def test_a_ready_invoice_misses_nothing():
    document = invoice_of()
    assert missing_for_einvoice(document) == []
    assert einvoice_xml(document) is not None


@pytest.mark.parametrize(
    ("field", "sentence"),
    [
        ("legal_name", "Business settings: legal name."),
        ("vat_id", "Business settings: VAT identifier."),
        ("country", "Business settings: country."),
        ("city", "Business settings: city."),
        ("postcode", "Business settings: postcode."),
        ("address", "Business settings: street address."),
    ],
)
def test_each_missing_business_field_is_named(field, sentence):
    document = invoice_of(business_fields={field: "  " if field != "country" else ""})
    assert missing_for_einvoice(document) == [sentence]
    assert einvoice_xml(document) is None


def test_the_customer_country_is_named():
    document = invoice_of(customer_fields={"country": "", "name": "Jane's Bakery"})
    assert missing_for_einvoice(document) == ["Customer Jane's Bakery: country."]


def test_reverse_charge_needs_the_customer_vat_id():
    lines = [LineInput("Consulting", D("1"), D("500"), D("0"), "AE")]
    document = invoice_of(customer_fields={"vat_id": "", "name": "Bob's Garage"}, lines=lines)
    assert missing_for_einvoice(document) == [
        "Customer Bob's Garage: VAT identifier (needed for reverse charge)."
    ]
    # The same customer without a VAT id is fine on a standard-rated invoice.
    assert missing_for_einvoice(make_document(customer=document.customer, lines=TAXED)) == []


def test_not_subject_lines_cannot_share_an_invoice_with_taxed_lines():
    lines = [*TAXED, LineInput("Membership", D("1"), D("60"), D("0"), "O")]
    assert missing_for_einvoice(invoice_of(lines=lines)) == [
        "Lines: a line not subject to VAT cannot share an invoice with taxed lines; "
        "invoice them separately."
    ]


def test_a_not_subject_invoice_needs_the_registration_id_not_the_vat_id():
    lines = [LineInput("Membership", D("1"), D("60"), D("0"), "O")]
    without = invoice_of(business_fields={"vat_id": "", "registration_id": ""}, lines=lines)
    assert missing_for_einvoice(without) == [
        "Business settings: legal registration identifier (needed on invoices without VAT)."
    ]
    with_it = invoice_of(business_fields={"vat_id": "", "registration_id": "RCS 1"}, lines=lines)
    assert missing_for_einvoice(with_it) == []


def test_three_decimal_currencies_cannot_be_e_invoices():
    document = invoice_of(customer_fields={"currency": "BHD"}, currency="BHD")
    assert document.currency == "BHD"
    assert missing_for_einvoice(document) == [
        "BHD amounts have three decimals; e-invoices allow two at most."
    ]


def test_only_invoices_carry_e_invoice_data():
    quote = invoice_of(kind="quote")
    assert missing_for_einvoice(quote) == ["Only invoices and credit notes carry e-invoice data."]
    assert einvoice_xml(quote) is None


def test_a_business_without_the_data_gets_every_gap_named():
    business = OrganizationFactory(name="Main Street Bakery", country="US", address="")
    customer = CustomerFactory(organization=business, name="Diner", currency="USD")
    assert missing_for_einvoice(make_document(customer=customer)) == [
        "Business settings: legal name.",
        "Business settings: city.",
        "Business settings: postcode.",
        "Business settings: street address.",
        "Business settings: VAT identifier.",
        "Customer Diner: country.",
    ]


def test_a_us_business_without_the_data_gets_a_plain_pdf():
    business = OrganizationFactory(name="Main Street Bakery", country="US")
    customer = CustomerFactory(organization=business, currency="USD")
    document = make_document(customer=customer)
    assert einvoice_xml(document) is None
    pdf = document_pdf(document=document)
    reader = PdfReader(io.BytesIO(pdf))
    assert "Consulting" in reader.pages[0].extract_text()
    assert dict(reader.attachments) == {}
    assert "/AF" not in reader.trailer["/Root"]
    assert "/OutputIntents" not in reader.trailer["/Root"]
    xmp = reader.xmp_metadata
    assert xmp is None or b"pdfaid" not in xmp.stream.get_data()
