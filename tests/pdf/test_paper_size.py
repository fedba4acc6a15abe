"""Paper size follows the business: US Letter in the United States and Canada, A4
elsewhere, a setting the PDF prints on and its cache fingerprint names; existing businesses
got their country's default in migration tenancy 0005."""

import datetime
import importlib
import io

import pytest
import time_machine
from django.apps import apps
from django.urls import reverse
from pypdf import PdfReader

from solabooks.activity.services import Actor
from solabooks.pdf.services import document_pdf, pdf_fingerprint
from solabooks.tenancy.models import Organization, PaperSize, default_paper_size
from solabooks.tenancy.services import update_organization
from tests.factories import OrganizationFactory, make_document

pytestmark = pytest.mark.django_db

# PDF points (1/72 inch): A4 is 210 × 297 mm, US Letter 8.5 × 11 in.
A4_POINTS = (595, 842)
LETTER_POINTS = (612, 792)


def page_points(pdf: bytes) -> tuple[int, int]:
    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    return round(float(box.width)), round(float(box.height))


def test_a_new_business_gets_its_country_s_paper():
    assert default_paper_size("US") == default_paper_size("ca") == PaperSize.LETTER
    assert default_paper_size("DE") == default_paper_size("") == PaperSize.A4
    assert OrganizationFactory(country="US").paper_size == PaperSize.LETTER
    assert OrganizationFactory(country="CA").paper_size == PaperSize.LETTER
    assert OrganizationFactory(country="GB").paper_size == PaperSize.A4
    assert OrganizationFactory().paper_size == PaperSize.A4  # no country yet


def test_the_migration_gives_existing_businesses_their_country_s_paper():
    us, fr, none = (OrganizationFactory(country=c) for c in ("US", "FR", ""))
    Organization.objects.update(paper_size="")
    migration = importlib.import_module("solabooks.tenancy.migrations.0005_organization_paper_size")
    migration.set_paper_by_country(apps, None)
    for organization, paper in ((us, "letter"), (fr, "a4"), (none, "a4")):
        organization.refresh_from_db()
        assert organization.paper_size == paper


def test_the_pdf_prints_on_the_business_s_paper_and_its_cache_follows(org, customer):
    document = make_document(customer=customer)
    assert page_points(document_pdf(document=document)) == A4_POINTS
    before = pdf_fingerprint(document)
    update_organization(organization=org, actor=Actor.system(), paper_size="letter")
    document.refresh_from_db()
    document.organization.refresh_from_db()
    assert pdf_fingerprint(document) != before
    assert page_points(document_pdf(document=document)) == LETTER_POINTS


def test_the_owner_chooses_the_paper_in_settings(owner_client, org):
    page = owner_client.get(reverse("organization-settings")).content.decode()
    assert 'name="paper_size"' in page and "US Letter" in page
    form = owner_client.get(reverse("organization-settings")).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k != "logo"}
    data["paper_size"] = "letter"
    response = owner_client.post(reverse("organization-settings"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    org.refresh_from_db()
    assert org.paper_size == PaperSize.LETTER


def test_the_pdf_cache_names_the_customer_s_state_word(customer):
    # "Due" becomes "Overdue" the day after the due date: a new PDF, not yesterday's.
    document = make_document(
        customer=customer,
        state="sent",
        issue_date=datetime.date(2025, 1, 1),
        due_date=datetime.date(2025, 1, 31),
    )
    with time_machine.travel(datetime.datetime(2025, 1, 31, 12, tzinfo=datetime.UTC)):
        due = pdf_fingerprint(document)
    with time_machine.travel(datetime.datetime(2025, 2, 1, 12, tzinfo=datetime.UTC)):
        late = pdf_fingerprint(document)
        assert "Overdue" in "".join(
            p.extract_text() for p in PdfReader(io.BytesIO(document_pdf(document=document))).pages
        )
    with time_machine.travel(datetime.datetime(2025, 2, 2, 12, tzinfo=datetime.UTC)):
        still_late = pdf_fingerprint(document)
    assert due != late == still_late  # the days are not printed: one file while overdue
