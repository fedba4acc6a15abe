"""The portal's invoice page offers the e-invoice XML (the one inside the PDF) when the
invoice has one, behind the same checks as the PDF: the signed-in customer's own sent
documents only."""

import pytest

from solabooks.activity.models import Activity, Verb
from solabooks.einvoice.services import einvoice_xml
from tests.factories import make_document, make_einvoice_ready

pytestmark = pytest.mark.django_db

BASE = "/finance/customer-portal/documents"


def xml_url(document) -> str:
    return f"{BASE}/{document.pk}/einvoice.xml"


@pytest.fixture
def ready(org, customer):
    make_einvoice_ready(organization=org, customers=[customer])
    return make_document(customer=customer, state="sent")


def test_the_invoice_page_links_the_xml_and_it_downloads(portal, ready):
    page = portal.get(f"{BASE}/{ready.pk}/").content.decode()
    assert f'href="{xml_url(ready)}"' in page and "Download e-invoice (XML)" in page
    response = portal.get(xml_url(ready))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{ready.number}.xml"'
    # Kept by no cache, as the PDF's answer.
    pdf = portal.get(f"{BASE}/{ready.pk}/pdf/")
    assert "no-store" in response["Cache-Control"]
    assert response["Cache-Control"] == pdf["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    ready.refresh_from_db()
    assert response.content == einvoice_xml(ready)
    download = Activity.objects.get(document=ready, verb=Verb.EINVOICE_DOWNLOADED)
    assert download.actor_type == "portal" and download.actor_label == "jane@bakery.test"


def test_an_invoice_without_data_has_no_link_and_a_clear_404(portal, customer):
    invoice = make_document(customer=customer, state="sent")
    page = portal.get(f"{BASE}/{invoice.pk}/").content.decode()
    assert "einvoice.xml" not in page
    response = portal.get(xml_url(invoice))
    assert response.status_code == 404
    html = response.content.decode()
    assert "carries no e-invoice data" in html
    assert "Business settings" not in html  # what staff must fill in is not the customer's
    assert not Activity.objects.filter(verb=Verb.EINVOICE_DOWNLOADED).exists()


def test_other_kinds_have_no_xml(portal, org, customer):
    make_einvoice_ready(organization=org, customers=[customer])
    quote = make_document(customer=customer, kind="quote", state="sent")
    assert "einvoice.xml" not in portal.get(f"{BASE}/{quote.pk}/").content.decode()
    assert portal.get(xml_url(quote)).status_code == 404


def test_another_customers_or_businesss_invoice_is_a_404(
    portal, org, other_org, customer, other_customer, foreign_customer
):
    make_einvoice_ready(organization=org, customers=[customer, other_customer])
    make_einvoice_ready(organization=other_org, customers=[foreign_customer])
    for stranger in (other_customer, foreign_customer):
        theirs = make_document(customer=stranger, state="sent")
        response = portal.get(xml_url(theirs))
        assert response.status_code == 404
        assert theirs.number not in response.content.decode()
    assert not Activity.objects.filter(verb=Verb.EINVOICE_DOWNLOADED).exists()


def test_a_draft_is_not_the_customers_yet(portal, org, customer):
    make_einvoice_ready(organization=org, customers=[customer])
    draft = make_document(customer=customer)
    assert portal.get(xml_url(draft)).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, ready):
    response = client.get(xml_url(ready))
    assert response.status_code == 302
    assert "/customer-portal/login" in response["Location"]


def test_only_reading_methods(portal, ready):
    assert portal.post(xml_url(ready)).status_code == 405
