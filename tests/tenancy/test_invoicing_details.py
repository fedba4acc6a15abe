"""The business's invoicing details (the e-invoice's seller): entered once on the settings
page, checked and normalised on save, with a sentence beside the field for anything wrong."""

import pytest
from django.urls import reverse

from solabooks.activity.models import Activity, Verb
from solabooks.activity.services import Actor
from solabooks.core.errors import DomainError
from solabooks.tenancy.services import update_organization

from .test_settings import settings_post

pytestmark = pytest.mark.django_db

URL = reverse("organization-settings")
DETAILS = {
    "legal_name": "  Acme   Trading GmbH ",
    "vat_id": "de 136.695.976",
    "registration_id": "HRB 12345",
    "address": "Hauptstraße 1",
    "postcode": "10115",
    "city": "Berlin",
    "country": "DE",
    "iban": "de89 3704 0044 0532 0130 00",
    "bic": "deut de ff",
}


def test_the_settings_page_groups_the_invoicing_details(owner_client):
    html = owner_client.get(URL).content.decode()
    assert "Invoicing details (for e-invoices)" in html
    for name in DETAILS:
        assert f'name="{name}"' in html, name
    assert '<option value="DE">Germany</option>' in html


def test_saved_details_are_normalised_and_recorded(owner_client, org):
    response = owner_client.post(URL, settings_post(org, **DETAILS))
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.legal_name == "Acme Trading GmbH"
    assert org.vat_id == "DE136695976"
    assert org.iban == "DE89370400440532013000"
    assert org.bic == "DEUTDEFF"
    assert str(org.country) == "DE" and org.postcode == "10115" and org.city == "Berlin"
    changed = Activity.objects.get(verb=Verb.SETTINGS_CHANGED).details["fields"]
    assert {"vat_id", "iban", "bic", "country", "legal_name"} <= set(changed)
    assert "branding_version" in changed  # printed on documents: cached PDFs render anew
    # The form shows them back as stored.
    html = owner_client.get(URL).content.decode()
    assert 'value="DE136695976"' in html
    assert '<option value="DE" selected>Germany</option>' in html


def test_a_vat_identifier_without_prefix_takes_the_countrys(owner_client, org):
    owner_client.post(URL, settings_post(org, **{**DETAILS, "vat_id": "136695976"}))
    org.refresh_from_db()
    assert org.vat_id == "DE136695976"


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("vat_id", "DE123456789", "not a valid VAT identifier"),
        ("vat_id", "QQ1234", "QQ is not one"),
        ("iban", "DE89370400440532013001", "IBAN is not valid"),
        ("bic", "DEUTDE", "BIC is not valid"),
        ("country", "XX", "Choose a country from the list"),
        ("country", "Germany", "Choose a country from the list"),
        ("postcode", "1" * 21, "at most 20 characters"),
        ("legal_name", "x" * 201, "at most 200 characters"),
        ("registration_id", "x" * 51, "at most 50 characters"),
    ],
)
def test_a_wrong_detail_is_a_form_error_beside_its_field(owner_client, org, field, value, says):
    response = owner_client.post(URL, settings_post(org, **{**DETAILS, field: value}))
    assert response.status_code == 200
    assert says in response.content.decode()
    assert response.context["form"].errors[field]
    org.refresh_from_db()
    assert org.vat_id == "" and org.iban == ""  # nothing was saved
    assert not Activity.objects.filter(verb=Verb.SETTINGS_CHANGED).exists()


def test_a_bic_needs_an_iban(owner_client, org):
    response = owner_client.post(URL, settings_post(org, **{**DETAILS, "iban": ""}))
    assert response.status_code == 200
    assert "Enter the IBAN this BIC belongs to" in response.content.decode()


def test_details_can_be_left_empty_and_cleared(owner_client, org):
    owner_client.post(URL, settings_post(org, **DETAILS))
    empty = dict.fromkeys(DETAILS, "")
    assert owner_client.post(URL, settings_post(org, **empty)).status_code == 302
    org.refresh_from_db()
    assert (org.vat_id, org.iban, org.bic, str(org.country)) == ("", "", "", "")


def test_the_service_checks_the_same_rules_for_any_caller(org, owner):
    actor = Actor(type="staff", user=owner, label=owner.email)
    with pytest.raises(DomainError, match="not a valid VAT identifier"):
        update_organization(organization=org, actor=actor, vat_id="DE123456789")
    with pytest.raises(DomainError, match="IBAN is not valid"):
        update_organization(organization=org, actor=actor, iban="DE00")
    with pytest.raises(DomainError, match="Enter the IBAN the BIC belongs to"):
        update_organization(organization=org, actor=actor, bic="DEUTDEFF")
    with pytest.raises(DomainError, match="Choose a country"):
        update_organization(organization=org, actor=actor, country="ZZ")
    # The VAT identifier is read with the country saved with it, or the business's own.
    saved = update_organization(organization=org, actor=actor, country="AT", vat_id="U13585627")
    assert saved.vat_id == "ATU13585627"
    # German digits typed without a prefix for an Austrian business are Austrian digits.
    with pytest.raises(DomainError, match="check the digits after AT"):
        update_organization(organization=org, actor=actor, vat_id="136695976")


def test_a_non_eu_business_enters_its_own_format(owner_client, org):
    details = {**DETAILS, "country": "CH", "vat_id": "CHE-123.456.789 MWST", "iban": "", "bic": ""}
    assert owner_client.post(URL, settings_post(org, **details)).status_code == 302
    org.refresh_from_db()
    assert org.vat_id == "CHE123456789MWST"
