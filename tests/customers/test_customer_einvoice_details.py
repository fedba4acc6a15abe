"""A customer's postal address, VAT identifier and buyer reference: entered on the customer
form or through the API, checked like the business's (core.identifiers), shown on the
customer's page."""

import pytest
from django.urls import reverse

from solabooks.activity.models import Activity, Verb
from solabooks.activity.services import Actor
from solabooks.core.errors import DomainError
from solabooks.customers.models import Customer
from solabooks.customers.services import create_customer, update_customer

from .test_customer_views import valid_post

pytestmark = pytest.mark.django_db

DETAILS = {
    "billing_address": "1 rue de Rivoli",
    "postcode": "75001",
    "city": "Paris",
    "country": "FR",
    "vat_id": "fr 40 303 265 045",
    "buyer_reference": "PO-4711",
}


def test_the_form_saves_and_the_page_shows_them(owner_client, customer):
    response = owner_client.post(
        reverse("customer-edit", args=[customer.pk]), valid_post(**DETAILS)
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.vat_id == "FR40303265045"
    assert (customer.postcode, customer.city, str(customer.country)) == ("75001", "Paris", "FR")
    assert customer.buyer_reference == "PO-4711"
    edited = Activity.objects.get(verb=Verb.CUSTOMER_EDITED, customer=customer)
    assert {"country", "vat_id", "buyer_reference"} <= set(edited.details["changed"])
    page = owner_client.get(reverse("customer-detail", args=[customer.pk])).content.decode()
    assert "1 rue de Rivoli<br>75001 Paris<br>France" in page
    assert "VAT ID FR40303265045" in page and "PO-4711" in page
    form = owner_client.get(reverse("customer-edit", args=[customer.pk])).content.decode()
    assert '<option value="FR" selected>France</option>' in form


def test_a_new_customer_gets_them_too(owner_client, org):
    response = owner_client.post(
        reverse("customer-create"), valid_post(name="Café Noir", **DETAILS)
    )
    assert response.status_code == 302
    created = Customer.objects.for_org(org).get(name="Café Noir")
    assert created.vat_id == "FR40303265045"


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("vat_id", "FR00303265045", "not a valid VAT identifier"),
        ("vat_id", "ZZ99", "ZZ is not one"),
        ("country", "XX", "Choose a country from the list"),
        ("postcode", "9" * 21, "at most 20 characters"),
        ("buyer_reference", "x" * 101, "at most 100 characters"),
    ],
)
def test_a_wrong_value_is_a_form_error(owner_client, customer, field, value, says):
    response = owner_client.post(
        reverse("customer-edit", args=[customer.pk]), valid_post(**{**DETAILS, field: value})
    )
    assert response.status_code == 200
    assert says in response.content.decode()
    customer.refresh_from_db()
    assert customer.vat_id == ""


def test_the_services_check_them_for_any_caller(org, customer, owner):
    actor = Actor(type="staff", user=owner, label=owner.email)
    with pytest.raises(DomainError, match="not a valid VAT identifier"):
        create_customer(organization=org, actor=actor, name="X", email="x@x.test", vat_id="DE1")
    with pytest.raises(DomainError, match="Choose a country"):
        update_customer(
            customer=customer,
            actor=actor,
            name=customer.name,
            email=customer.email,
            currency="USD",
            country="Narnia",
        )
