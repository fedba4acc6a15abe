"""Factories for the whole suite. Documents are made through the real services."""

import datetime
from decimal import Decimal

import factory

from solabooks.activity.services import Actor
from solabooks.customers.models import Customer
from solabooks.documents.services import LineInput, create_document
from solabooks.projects import customer_decisions
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
    """A document made by create_document; `state` then forces a state for test set-up.
    A credit note is made the only way there is: by voiding a sent invoice (made with the
    same arguments)."""
    lines = lines or [LineInput("Consulting", Decimal("2"), Decimal("150.00"), Decimal("10"))]
    if kind == "credit_note":
        from solabooks.documents.services import transition_document

        invoice = make_document(
            customer=customer, lines=lines, state="sent", issue_date=issue_date, **fields
        )
        transition_document(document=invoice, action="void", actor=actor or Actor.system())
        credit_note = invoice.derived_documents.get(kind="credit_note")
        if state is not None:
            type(credit_note).objects.filter(pk=credit_note.pk).update(state=state)
            credit_note.refresh_from_db()
        return credit_note
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


def make_project_with_time(*, customer, staff=None, name: str = "Website redesign") -> dict:
    """A project of `customer`, made through the real services, with one time entry in each
    place a staff URL can name: `entry` (pending, editable), `waiting` (in the open
    `approval_request`) and `approved` (approved by the customer, ready to invoice).
    `staff` (a member of the business) logs the time; None: nobody in particular."""
    from solabooks.projects import approvals
    from solabooks.projects.services import (
        EntryInput,
        ProjectInput,
        add_time_entries,
        create_project,
    )

    actor = Actor(type="staff", user=staff, label=staff.email) if staff else Actor.system()
    project = create_project(
        organization=customer.organization,
        customer=customer,
        actor=actor,
        data=ProjectInput(name=name, default_rate=Decimal("100")),
    )
    day = datetime.date(2026, 11, 2)
    entry, waiting, approved = add_time_entries(
        project=project,
        actor=actor,
        entries=[
            EntryInput(date=day, hours=Decimal("1.5"), description="Design"),
            EntryInput(date=day, hours=Decimal("2"), description="Build"),
            EntryInput(date=day, hours=Decimal("0.5"), description="Review"),
        ],
    )
    decided = approvals.request_time_approval(
        project=project, actor=actor, entry_ids=[approved.pk]
    ).approval_request
    items = list(decided.items.all())
    customer_decisions.decide_time(
        approval_request=decided,
        decisions={items[0].pk: ("approve", "")},
        seen_fingerprint=customer_decisions.request_fingerprint(decided, items),
        actor=Actor.system(),
    )
    approval_request = approvals.request_time_approval(
        project=project, actor=actor, entry_ids=[waiting.pk]
    ).approval_request
    for row in (entry, waiting, approved):
        row.refresh_from_db()
    return {
        "project": project,
        "entry": entry,
        "waiting": waiting,
        "approved": approved,
        "approval_request": approval_request,
    }


# What an EN 16931 e-invoice needs of the seller and the buyer (einvoice.readiness), valid
# by the settings' and customer form's own checks (core.identifiers).
EINVOICE_SELLER = {
    "legal_name": "Acme Trading GmbH",
    "vat_id": "DE136695976",
    "registration_id": "HRB 12345",
    "address": "Hauptstraße 1",
    "postcode": "10115",
    "city": "Berlin",
    "country": "DE",
    "iban": "DE89370400440532013000",
    "bic": "DEUTDEFF",
}
EINVOICE_BUYER = {
    "billing_address": "1 rue de Rivoli",
    "postcode": "75001",
    "city": "Paris",
    "country": "FR",
    "vat_id": "FR40303265045",
    "buyer_reference": "PO-4711",
}


def make_einvoice_ready(*, organization, customers=()) -> None:
    """Give a business (and some of its customers) everything an e-invoice needs, as test
    set-up: a row update, like the factories', with no Activity of its own."""
    Organization.objects.filter(pk=organization.pk).update(**EINVOICE_SELLER)
    organization.refresh_from_db()
    for customer in customers:
        Customer.objects.filter(pk=customer.pk).update(**EINVOICE_BUYER)
        customer.refresh_from_db()
