"""The invoice PDF of a business with e-invoice data is a Factur-X PDF/A-3b: its
factur-x.xml (the very bytes einvoice_xml gives) is an associated file of the document,
the XMP identifies PDF/A-3B and declares the Factur-X properties, colours have an sRGB
output intent and every font is embedded. The link page, the portal and the staff page
hand out the same cached bytes; the cache follows what the e-invoice shows."""

import io
import subprocess
import sys
from decimal import Decimal as D
from unittest import mock

import pytest
from django.core import mail
from lxml import etree
from pypdf import PdfReader
from pypdf.generic import IndirectObject

from solabooks.activity.services import Actor
from solabooks.documents.lines import LineInput
from solabooks.documents.models import Document
from solabooks.documents.services import transition_document
from solabooks.einvoice.services import einvoice_xml
from solabooks.pdf import services
from solabooks.pdf.services import document_pdf, pdf_fingerprint
from solabooks.portal.services import enable_portal_access
from solabooks.sharing.services import issue_link
from tests.factories import make_document
from tests.portal.conftest import PORTAL_PASSWORD, customer_browser, portal_link_in

from .conftest import VALIDATOR_DIR
from .helpers import NS, make_ready, parse

pytestmark = pytest.mark.django_db

FX = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
XMP_NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "fx": FX,
    "pdfaExtension": "http://www.aiim.org/pdfa/ns/extension/",
    "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
    "pdfaProperty": "http://www.aiim.org/pdfa/ns/property#",
}
# Latin, Arabic, Chinese, Greek and emoji: each comes from another font file.
DESCRIPTION = 'Design & build <phase 2> "final" — مرحبا 你好 Καλημέρα 🚀'


@pytest.fixture
def invoice(org, customer):
    """Acme Ltd's sent invoice to Jane's Bakery, both with everything EN 16931 needs."""
    make_ready(org, iban="FR7630006000011234567890189", bic="AGRIFRPP")
    customer.country, customer.postcode, customer.city = "DE", "10115", "Berlin"
    customer.vat_id, customer.currency = "DE136695976", "EUR"
    customer.save()
    document = make_document(
        customer=customer,
        currency="EUR",
        lines=[
            LineInput(DESCRIPTION, D("2"), D("150"), D("20")),
            LineInput("Books", D("3"), D("12.333"), D("5.5")),
            LineInput("Training", D("1"), D("400"), D("0"), "E", "Article 261-4-4° CGI"),
        ],
    )
    return transition_document(document=document, action="mark_sent", actor=Actor.system())


def fresh(document) -> Document:
    """The document as a request reads it: business and customer from the database."""
    return Document.objects.get(pk=document.pk)


def reader_of(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def xmp_of(reader: PdfReader):
    return etree.fromstring(reader.xmp_metadata.stream.get_data())


def filespec_reference(reader: PdfReader, name: str) -> IndirectObject:
    names = reader.trailer["/Root"]["/Names"]["/EmbeddedFiles"]["/Names"]
    return dict(zip(names[::2], names[1::2], strict=True))[name]


def test_the_xml_inside_the_pdf_is_the_standalone_xml(invoice):
    pdf = document_pdf(document=invoice)
    reader = reader_of(pdf)
    assert list(reader.attachments) == ["factur-x.xml"]
    xml = einvoice_xml(fresh(invoice))
    assert reader.attachments["factur-x.xml"] == [xml]
    assert parse(xml).xpath("//ram:SpecifiedTradeProduct/ram:Name/text()", namespaces=NS)[0] == (
        DESCRIPTION
    )


def test_the_xml_is_an_associated_file_with_the_data_relationship(invoice):
    reader = reader_of(document_pdf(document=invoice))
    reference = filespec_reference(reader, "factur-x.xml")
    filespec = reference.get_object()
    assert filespec["/Type"] == "/Filespec"
    assert filespec["/AFRelationship"] == "/Data"
    assert filespec["/F"] == "factur-x.xml" and filespec["/UF"] == "factur-x.xml"
    embedded = filespec["/EF"]["/F"].get_object()
    assert embedded["/Subtype"] == "/text/xml"
    associated = reader.trailer["/Root"]["/AF"]
    assert reference.idnum in {item.idnum for item in associated}
    # Nothing but the XML is associated with the document.
    assert {item.idnum for item in associated} == {reference.idnum}


def test_the_xmp_says_pdf_a_3b_and_declares_the_factur_x_properties(invoice):
    xmp = xmp_of(reader_of(document_pdf(document=invoice)))
    # One rdf:RDF in the packet (XMP allows no more), the Factur-X properties inside it.
    (rdf,) = xmp.xpath("/x:xmpmeta/rdf:RDF", namespaces={**XMP_NS, "x": "adobe:ns:meta/"})
    assert rdf.xpath("rdf:Description/fx:ConformanceLevel", namespaces=XMP_NS)
    ids = xmp.xpath("//rdf:Description[@pdfaid:part]", namespaces=XMP_NS)
    assert len(ids) == 1
    assert ids[0].get(f"{{{XMP_NS['pdfaid']}}}part") == "3"
    assert ids[0].get(f"{{{XMP_NS['pdfaid']}}}conformance") == "B"

    def fx(name: str) -> list[str]:
        return xmp.xpath(f"//fx:{name}/text()", namespaces=XMP_NS)

    assert fx("DocumentType") == ["INVOICE"]
    assert fx("DocumentFileName") == ["factur-x.xml"]
    assert fx("Version") == ["1.0"]
    assert fx("ConformanceLevel") == ["EN 16931"]

    (schema,) = xmp.xpath(
        "//pdfaExtension:schemas/rdf:Bag/rdf:li[pdfaSchema:namespaceURI = $ns]",
        namespaces=XMP_NS,
        ns=FX,
    )
    assert schema.findtext("pdfaSchema:prefix", namespaces=XMP_NS) == "fx"
    properties = {
        item.findtext("pdfaProperty:name", namespaces=XMP_NS): (
            item.findtext("pdfaProperty:valueType", namespaces=XMP_NS),
            item.findtext("pdfaProperty:category", namespaces=XMP_NS),
        )
        for item in schema.xpath("pdfaSchema:property/rdf:Seq/rdf:li", namespaces=XMP_NS)
    }
    assert properties == {
        name: ("Text", "external")
        for name in ("DocumentType", "DocumentFileName", "Version", "ConformanceLevel")
    }


def test_colours_have_an_srgb_output_intent(invoice):
    reader = reader_of(document_pdf(document=invoice))
    (intent,) = [item.get_object() for item in reader.trailer["/Root"]["/OutputIntents"]]
    assert intent["/S"] == "/GTS_PDFA1"
    assert "sRGB" in intent["/OutputConditionIdentifier"]
    profile = intent["/DestOutputProfile"].get_object()
    icc = profile.get_data()
    assert icc[36:40] == b"acsp"  # an ICC profile
    assert icc[16:20] == b"RGB "  # of an RGB colour space
    assert profile["/N"] == 3


def _fonts(resources, seen: set) -> list:
    """Every font a resource dictionary uses, with those of its form XObjects."""
    if resources is None:
        return []
    resources = resources.get_object()
    fonts = [font.get_object() for font in resources.get("/Font", {}).get_object().values()]
    for xobject in resources.get("/XObject", {}).get_object().values():
        if xobject.idnum in seen:
            continue
        seen.add(xobject.idnum)
        xobject = xobject.get_object()
        if xobject.get("/Subtype") == "/Form":
            fonts += _fonts(xobject.get("/Resources"), seen)
    return fonts


def unembedded_fonts(reader: PdfReader) -> list[str]:
    missing, seen, count = [], set(), 0
    for page in reader.pages:
        for font in _fonts(page.get("/Resources"), seen):
            count += 1
            if font["/Subtype"] == "/Type3":  # glyphs drawn by the PDF itself (emoji)
                if "/CharProcs" not in font:
                    missing.append(f"Type3 font without glyphs: {font!r}")
                continue
            described = (
                font["/DescendantFonts"][0].get_object() if font["/Subtype"] == "/Type0" else font
            )
            descriptor = described["/FontDescriptor"].get_object()
            if not {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor):
                missing.append(str(font.get("/BaseFont")))
    assert count >= 2, "expected several fonts (Latin, Arabic, Chinese, emoji)"
    return missing


def test_every_font_is_embedded(invoice):
    assert unembedded_fonts(reader_of(document_pdf(document=invoice))) == []


def test_the_shared_validate_script_passes_the_pdf(invoice, official_validator, tmp_path):
    """The validator's own script, as a separate process, on the PDF file: it extracts the
    XML itself. (official_validator: skip locally, fail under CI, when it is missing.)"""
    path = tmp_path / f"{invoice.number}.pdf"
    path.write_bytes(document_pdf(document=invoice))
    done = subprocess.run(
        [sys.executable, str(VALIDATOR_DIR / "validate"), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith("OK"), done.stdout


# --- the same bytes wherever the customer or staff download it --------------------------


@pytest.fixture
def portal_browser(customer, owner, settings, django_capture_on_commit_callbacks):
    """Jane's Bakery signed in to the portal, set up through the emailed link."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    actor = Actor(type="staff", user=owner, label=owner.email)
    with django_capture_on_commit_callbacks(execute=True):
        enable_portal_access(customer=customer, confirmed_email=customer.email, actor=actor)
    path = portal_link_in(mail.outbox[-1], "setup")
    browser = customer_browser()
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            path, {"new_password1": PORTAL_PASSWORD, "new_password2": PORTAL_PASSWORD}
        )
    assert response.status_code == 302
    return browser


def test_link_portal_and_staff_serve_the_same_factur_x_bytes(invoice, owner_client, portal_browser):
    token = issue_link(document=invoice, actor=Actor.system()).raw_token
    with mock.patch.object(
        services, "render_document_pdf", wraps=services.render_document_pdf
    ) as spy:
        answers = {
            "staff": owner_client.get(f"/finance/document/{invoice.pk}/pdf/"),
            "link": customer_browser().get(f"/finance/i/{token}?format=pdf"),
            "portal": portal_browser.get(f"/finance/customer-portal/documents/{invoice.pk}/pdf/"),
        }
    for where, response in answers.items():
        assert response.status_code == 200, where
        assert response["Content-Type"] == "application/pdf", where
    assert spy.call_count == 1  # rendered once, then served from the cache
    contents = {response.content for response in answers.values()}
    assert len(contents) == 1
    (pdf,) = contents
    assert reader_of(pdf).attachments["factur-x.xml"] == [einvoice_xml(fresh(invoice))]


# --- the cache follows what the e-invoice shows ------------------------------------------


def renders(document) -> tuple[int, bytes]:
    with mock.patch.object(
        services, "render_document_pdf", wraps=services.render_document_pdf
    ) as spy:
        pdf = document_pdf(document=fresh(document))
    return spy.call_count, pdf


def test_downloading_twice_renders_once(invoice, owner_client):
    url = f"/finance/document/{invoice.pk}/pdf/"
    with mock.patch.object(
        services, "render_document_pdf", wraps=services.render_document_pdf
    ) as spy:
        first = owner_client.get(url).content
        services.RECENT_PDFS.clear()  # the second from the private storage's file
        second = owner_client.get(url).content
    assert spy.call_count == 1
    assert first == second


def test_a_new_business_vat_id_renders_a_new_pdf(org, invoice):
    assert renders(invoice)[0] == 1
    before = pdf_fingerprint(fresh(invoice))
    org.vat_id = "FR11123456789"
    org.save()
    assert pdf_fingerprint(fresh(invoice)) != before
    count, pdf = renders(invoice)
    assert count == 1
    xml = reader_of(pdf).attachments["factur-x.xml"][0]
    assert b"FR11123456789" in xml and b"FR40303265045" not in xml
    assert renders(invoice)[0] == 0


def test_a_new_customer_country_renders_a_new_pdf(customer, invoice):
    assert renders(invoice)[0] == 1
    before = pdf_fingerprint(fresh(invoice))
    customer.country = "AT"
    customer.save()
    assert pdf_fingerprint(fresh(invoice)) != before
    count, pdf = renders(invoice)
    assert count == 1
    buyer = parse(reader_of(pdf).attachments["factur-x.xml"][0]).xpath(
        "//ram:BuyerTradeParty/ram:PostalTradeAddress/ram:CountryID/text()", namespaces=NS
    )
    assert buyer == ["AT"]
    assert renders(invoice)[0] == 0
