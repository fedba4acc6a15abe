import pytest

from solabooks.activity.models import Activity, Verb
from solabooks.activity.services import Actor
from solabooks.core.errors import DomainError
from solabooks.customers.services import create_customer, update_customer

pytestmark = pytest.mark.django_db


def test_create_customer_defaults_currency_to_the_business(org):
    org.default_currency = "GBP"
    customer = create_customer(
        organization=org, actor=Actor.system(), name=" Shop ", email="A@Shop.test"
    )
    assert (customer.name, customer.email, customer.currency) == ("Shop", "a@shop.test", "GBP")
    assert Activity.objects.for_org(org).get().verb == Verb.CUSTOMER_CREATED


@pytest.mark.parametrize(
    "bad",
    [
        {"name": "  "},
        {"name": "x" * 201},
        {"email": "nope"},
        {"currency": "ABC"},
        {"notes": "x" * 5001},
    ],
)
def test_services_refuse_bad_values_with_a_domain_error(org, bad):
    values = {"name": "Shop", "email": "a@shop.test", "currency": "USD"} | bad
    with pytest.raises(DomainError):
        create_customer(organization=org, actor=Actor.system(), **values)


def test_update_reads_the_stored_email_not_the_callers_copy(org, customer, monkeypatch):
    """A stale in-memory customer must not hide (or invent) an email change."""
    calls = []
    import solabooks.customers.services as services

    monkeypatch.setattr(
        services,
        "_notify_portal_of_email_change",
        lambda *, customer, actor: calls.append(customer.email),
    )
    stale = type(customer).objects.for_org(org).get(pk=customer.pk)
    stale.email = "new@bakery.test"  # as if someone else had already saved it elsewhere
    change = update_customer(
        customer=stale,
        actor=Actor.system(),
        name=customer.name,
        email="new@bakery.test",
        billing_address=customer.billing_address,
        currency=customer.currency,
    )
    assert change.changed == ["email"]
    assert calls == ["new@bakery.test"]
