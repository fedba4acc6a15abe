"""The demo data behind ./scripts/demo: every kind in every state, the three accounts,
and a second run that changes nothing."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.utils import timezone

from solabooks.activity.models import Activity
from solabooks.customers.models import Customer
from solabooks.documents.models import STATES_BY_KIND, Document, Kind, Payment, State
from solabooks.tenancy.management.commands.seed_demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from solabooks.tenancy.models import Membership, Organization, Role, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_mode(settings):
    settings.SOLABOOKS_DEMO = True


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def demo_co() -> Organization:
    return Organization.objects.get(name="Demo Co")


def test_seed_creates_every_kind_in_every_state(demo_mode):
    seed()
    documents = Document.objects.for_org(demo_co())
    present = set(documents.values_list("kind", "state"))
    for kind, states in STATES_BY_KIND.items():
        for state in states:
            assert (kind, state) in present, f"no {kind} in state {state}"
    assert documents.count() >= 30


def test_seed_documents_are_consistent_and_realistic(demo_mode):
    seed()
    org = demo_co()
    documents = Document.objects.for_org(org)
    today = timezone.localdate()
    # Some open invoices are past their due date.
    assert documents.filter(
        kind=Kind.INVOICE,
        state__in=[State.SENT, State.PARTIALLY_PAID],
        due_date__lt=today,
    ).exists()
    # Issue dates are spread over months, none in the future.
    dates = list(documents.values_list("issue_date", flat=True))
    assert max(dates) <= today
    assert (today - min(dates)).days >= 90
    # Payments were recorded through the service: balances and receipts follow.
    for invoice in documents.filter(kind=Kind.INVOICE, state=State.PAID):
        assert invoice.amount_paid == invoice.total > 0
    for invoice in documents.filter(kind=Kind.INVOICE, state=State.PARTIALLY_PAID):
        assert 0 < invoice.amount_paid < invoice.total
    payments = Payment.objects.for_org(org)
    assert payments.count() == documents.filter(kind=Kind.RECEIPT).count() > 0
    assert all(receipt.payment_id is not None for receipt in documents.filter(kind=Kind.RECEIPT))
    # Accepted quotes were converted, and everything has its history.
    assert documents.filter(source_document__kind=Kind.QUOTE).count() == 2
    assert Activity.objects.for_org(org).filter(document__isnull=False).count() > len(dates)
    assert all(document.lines.exists() for document in documents)


def test_seed_creates_the_accounts_and_customers(demo_mode):
    seed()
    org = demo_co()
    assert org.default_currency == "USD"
    assert org.address and org.reply_to_email and org.brand_colour
    for email, _, role in DEMO_ACCOUNTS:
        user = authenticate(email=email, password=DEMO_PASSWORD)
        assert user is not None, email
        assert Membership.objects.get(user=user, organization=org).role == role
    customers = Customer.objects.for_org(org)
    emails = list(customers.values_list("email", flat=True))
    assert len(emails) == len(set(emails)) == 6
    assert all(email.endswith("@example.test") for email in emails)
    # The owner also belongs to a second business, so the switcher shows.
    owner = User.objects.get(email="owner@demo.test")
    owned = Membership.objects.filter(user=owner, role=Role.OWNER)
    assert set(owned.values_list("organization__name", flat=True)) == {
        "Demo Co",
        "Northwind Studio",
    }


def test_running_twice_keeps_data_and_does_not_duplicate(demo_mode):
    seed()
    org = demo_co()
    counts = (
        Organization.objects.count(),
        User.objects.count(),
        Customer.objects.count(),
        Document.objects.count(),
        Payment.objects.count(),
    )
    # A change made after the first run survives the second.
    customer = Customer.objects.for_org(org).first()
    Customer.objects.filter(pk=customer.pk).update(notes="Prefers email")

    output = seed()

    assert "already exists" in output
    assert counts == (
        Organization.objects.count(),
        User.objects.count(),
        Customer.objects.count(),
        Document.objects.count(),
        Payment.objects.count(),
    )
    customer.refresh_from_db()
    assert customer.notes == "Prefers email"


def test_refuses_to_run_outside_demo_mode(settings):
    settings.SOLABOOKS_DEMO = False
    with pytest.raises(CommandError, match="demo mode"):
        call_command("seed_demo", stdout=StringIO())
    assert not User.objects.filter(email="owner@demo.test").exists()

    call_command("seed_demo", "--force", stdout=StringIO())
    assert Organization.objects.filter(name="Demo Co").exists()
