"""The portal of a customer named in Hebrew (with an emoji), kept by a business named in
Arabic: names as written, each set right to left, on every page's header."""

import pytest

from tests.factories import CustomerFactory, OrganizationFactory, make_document

from .conftest import DASHBOARD

pytestmark = pytest.mark.django_db

BUSINESS = "مخبز الياسمين"
CUSTOMER = "מאפיית השקד 🍰"


@pytest.fixture
def org(db):
    return OrganizationFactory(name=BUSINESS)


@pytest.fixture
def customer(org):
    return CustomerFactory(organization=org, name=CUSTOMER, email="shaked@bakery.test")


def test_portal_pages_show_both_names_right_to_left(portal, customer):
    invoice = make_document(customer=customer, kind="invoice", state="sent")
    for path in (DASHBOARD, f"{DASHBOARD}invoices/", f"{DASHBOARD}documents/{invoice.pk}/"):
        page = portal.get(path).content.decode()
        assert f'<span class="business-name" dir="rtl">{BUSINESS}</span>' in page, path
        assert f'<span class="portal-customer" dir="rtl">{CUSTOMER}</span>' in page, path
    assert f'<div class="strong" dir="rtl">{CUSTOMER}</div>' in page  # the invoice itself
