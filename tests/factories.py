"""Factories for the whole suite. Documents are made through the real services."""

import datetime
from decimal import Decimal

import factory

from solabooks.activity.services import Actor
from solabooks.customers.models import Customer
from solabooks.documents.services import LineInput, create_document
from solabooks.tenancy.models import Membership, Organization, Role, User

TEST_PASSWORD = "correct-horse-battery-staple"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Business {n}")
    reply_to_email = factory.Sequence(lambda n: f"billing{n}@business.test")
    address = "1 High Street\nTown"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"staff{n}@example.test")
    full_name = factory.Sequence(lambda n: f"Staff Member {n}")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.OWNER


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Customer {n}")
    email = factory.Sequence(lambda n: f"customer{n}@client.test")
    currency = "USD"
    billing_address = "2 Client Road\nCity"


def make_document(
    *,
    customer,
    kind: str = "invoice",
    lines=None,
    state: str | None = None,
    actor=None,
    issue_date: datetime.date | None = None,
    **fields,
):
    """A document made by create_document; `state` then forces a state for test set-up."""
    lines = lines or [LineInput("Consulting", Decimal("2"), Decimal("150.00"), Decimal("10"))]
    document = create_document(
        organization=customer.organization,
        kind=kind,
        customer=customer,
        actor=actor or Actor.system(),
        lines=lines,
        issue_date=issue_date,
        **fields,
    )
    if state is not None:
        type(document).objects.filter(pk=document.pk).update(state=state)
        document.refresh_from_db()
    return document
