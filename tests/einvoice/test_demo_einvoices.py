"""The demo's second business, Northwind Studio, is a French business in EUR with a VAT id
and an IBAN: every invoice it has is a Factur-X e-invoice that passes the official EN 16931
rules (reverse charge to its German customer included). Demo Co, in the US, keeps sending
plain PDFs and its staff see why, never an error."""

from io import StringIO

import pytest
from django.core.management import call_command

from solabooks.documents.models import Document, Kind
from solabooks.einvoice.readiness import missing_for_einvoice
from solabooks.einvoice.services import einvoice_xml
from solabooks.tenancy.models import Organization

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings):
    settings.SOLABOOKS_DEMO = True
    call_command("seed_demo", stdout=StringIO())


def test_every_northwind_invoice_is_a_valid_e_invoice(seeded, official_validator):
    northwind = Organization.objects.get(name="Northwind Studio")
    assert (northwind.default_currency, str(northwind.country)) == ("EUR", "FR")
    assert northwind.vat_id and northwind.iban
    invoices = Document.objects.for_org(northwind).filter(kind=Kind.INVOICE)
    categories = set()
    assert invoices.count() >= 2
    for invoice in invoices:
        xml = einvoice_xml(invoice)
        assert xml is not None, missing_for_einvoice(invoice)
        found = official_validator.problems(xml)
        assert not found["schema"] and not found["fatal"], (invoice.number, found)
        categories |= {line.tax_category for line in invoice.lines.all()}
    assert {"S", "AE"} <= categories


def test_demo_co_sends_plain_pdfs_and_says_why(seeded):
    demo_co = Organization.objects.get(name="Demo Co")
    invoice = Document.objects.for_org(demo_co).filter(kind=Kind.INVOICE).first()
    assert einvoice_xml(invoice) is None
    assert "Business settings: VAT identifier." in missing_for_einvoice(invoice)
