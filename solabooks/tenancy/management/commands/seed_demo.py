"""The demo business behind ./scripts/demo: accounts, customers, every kind of document in
every state, and projects with time and approval requests in every state (_demo_projects.py),
all made through the real services so totals, numbers, links, emails and Activity are real.

It creates accounts with a published password, so it runs only in demo mode
(SOLABOOKS_DEMO=1, which ./scripts/demo sets) or with --force. Re-running it keeps what is
there: if Demo Co exists it says so and stops, only adding the demo projects to a Demo Co
seeded before projects existed (one that has none).
"""

import datetime
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from solabooks.activity.models import ActorType
from solabooks.activity.services import Actor
from solabooks.customers.models import Customer
from solabooks.customers.services import create_customer
from solabooks.documents.acceptance import set_quote_terms
from solabooks.documents.models import Kind, PaymentMethod
from solabooks.documents.payments import record_payment
from solabooks.documents.services import (
    LineInput,
    convert_quote,
    create_document,
    transition_document,
)
from solabooks.portal.models import PortalUser
from solabooks.portal.services import enable_portal_access
from solabooks.tenancy.models import Membership, Organization, Role, User

from . import _demo_projects

DEMO_BUSINESS = "Demo Co"
SECOND_BUSINESS = "Northwind Studio"
# Shorter than the 12-character rule on purpose: it is typed by people trying the demo, and
# only this command (demo mode only) ever sets it, bypassing the validators.
DEMO_PASSWORD = "demo-password"  # noqa: S105
DEMO_ACCOUNTS = [
    ("owner@demo.test", "Dana Whitfield", Role.OWNER),
    ("manager@demo.test", "Marcus Lee", Role.MANAGER),
    ("accountant@demo.test", "Priya Raman", Role.ACCOUNTANT),
]

# Name, email, street, city, postcode: all in the United States.
CUSTOMERS = [
    ("Bluebird Bakery", "bluebird.bakery@example.test", "18 Orchard Lane", "Portland, OR", "97205"),
    ("Harbor Lights Dental", "billing.harborlights@example.test", "2 Pier Road", "Seattle, WA",
     "98101"),
    ("Greenfield Landscaping", "office.greenfield@example.test", "940 Meadow Drive", "Boise, ID",
     "83702"),
    ("Summit Outdoor Gear", "accounts.summit@example.test", "77 Ridge Avenue", "Denver, CO",
     "80202"),
    ("Lopez & Carter LLP", "lopez.carter@example.test", "500 Court Street", "Sacramento, CA",
     "95814"),
    ("Riverbend Yoga Studio", "riverbend.yoga@example.test", "31 Willow Way", "Eugene, OR",
     "97401"),
]  # fmt: skip
# The customer who signs in to the demo's portal: Harbor Lights Dental.
DEMO_PORTAL_EMAIL = CUSTOMERS[1][1]

D = Decimal
TAX = D("8.5")
CATALOGUE = {
    "support": LineInput("Monthly IT support retainer", D("1"), D("850.00"), TAX),
    "onsite": LineInput("On-site support (hours)", D("6"), D("95.00"), TAX),
    "laptop": LineInput("Laptop setup and data migration", D("3"), D("120.00"), TAX),
    "switch": LineInput("Managed network switch, 24-port", D("1"), D("489.99"), TAX),
    "wifi": LineInput("Wi-Fi access point, installed", D("2"), D("239.00"), TAX),
    "backup": LineInput("Cloud backup, 500 GB (annual)", D("1"), D("360.00"), D("0")),
    "website": LineInput("Website refresh: design and build", D("1"), D("2400.00"), D("0")),
    "hosting": LineInput("Website hosting (12 months)", D("12"), D("24.50"), D("0")),
    "workshop": LineInput("Discovery workshop (half day)", D("1"), D("650.00"), D("0")),
    "training": LineInput("Staff training session", D("2"), D("175.00"), D("0")),
    "security": LineInput("Security review and report", D("1"), D("1150.00"), D("0")),
    "pos": LineInput("Point-of-sale terminal, configured", D("2"), D("329.00"), TAX),
}


@dataclass(frozen=True)
class Planned:
    """One document of the demo: who, what, when (days ago), and how far it has got."""

    customer: int
    kind: str
    days_ago: int
    items: tuple[str, ...]
    state: str
    by: int = 0  # index into DEMO_ACCOUNTS
    paid_fraction: Decimal = D("0")


DEMO_QUOTE_TERMS = (
    "1. Prices are valid until the date on the quote.\n"
    "2. Work starts within 10 working days of acceptance.\n"
    "3. 50% is invoiced on acceptance and the rest on delivery, payable within 30 days."
)

# Invoices issued more than 30 days ago and still open are overdue (30-day terms).
PLAN = [
    # Invoices
    Planned(0, Kind.INVOICE, 150, ("support", "onsite"), "paid", by=2, paid_fraction=D("1")),
    Planned(1, Kind.INVOICE, 138, ("security",), "paid", by=0, paid_fraction=D("1")),
    Planned(2, Kind.INVOICE, 120, ("wifi", "onsite"), "paid", by=1, paid_fraction=D("1")),
    Planned(3, Kind.INVOICE, 96, ("pos", "training"), "partially_paid", paid_fraction=D("0.4")),
    Planned(4, Kind.INVOICE, 84, ("support",), "sent", by=2),  # overdue
    Planned(5, Kind.INVOICE, 75, ("website", "hosting"), "void", by=1),
    Planned(0, Kind.INVOICE, 62, ("laptop", "backup"), "sent", by=0),  # overdue
    # Overdue and partly paid: the demo portal account (Harbor Lights Dental) has it to pay.
    Planned(
        1, Kind.INVOICE, 55, ("support", "switch"), "partially_paid", by=2, paid_fraction=D("0.3")
    ),
    Planned(2, Kind.INVOICE, 47, ("onsite",), "partially_paid", by=1, paid_fraction=D("0.5")),
    Planned(3, Kind.INVOICE, 40, ("support",), "sent", by=2),  # overdue
    Planned(4, Kind.INVOICE, 21, ("training", "laptop"), "sent", by=0),
    Planned(5, Kind.INVOICE, 12, ("hosting",), "sent", by=1),
    Planned(0, Kind.INVOICE, 6, ("support",), "paid", by=2, paid_fraction=D("1")),
    Planned(1, Kind.INVOICE, 3, ("onsite", "wifi"), "draft", by=1),
    Planned(2, Kind.INVOICE, 0, ("backup",), "draft", by=0),
    # Quotes
    Planned(4, Kind.QUOTE, 110, ("website", "workshop"), "accepted", by=0),  # -> invoice
    Planned(1, Kind.QUOTE, 90, ("security", "training"), "declined", by=1),
    Planned(3, Kind.QUOTE, 70, ("switch", "wifi", "onsite"), "expired", by=1),
    Planned(5, Kind.QUOTE, 35, ("pos", "training"), "accepted", by=0),  # -> sales order
    Planned(0, Kind.QUOTE, 9, ("website", "hosting"), "sent", by=1),
    Planned(2, Kind.QUOTE, 4, ("workshop",), "sent", by=0),
    Planned(4, Kind.QUOTE, 1, ("backup", "laptop"), "draft", by=1),
    # Sales orders
    Planned(3, Kind.SALES_ORDER, 100, ("pos",), "fulfilled", by=1),
    Planned(1, Kind.SALES_ORDER, 66, ("switch", "wifi"), "cancelled", by=0),
    Planned(0, Kind.SALES_ORDER, 28, ("laptop",), "fulfilled", by=1),
    Planned(2, Kind.SALES_ORDER, 14, ("wifi", "onsite"), "confirmed", by=1),
    Planned(5, Kind.SALES_ORDER, 2, ("training",), "draft", by=0),
]

# The state changes (through transition_document) that take a new document to its state.
ACTIONS = {
    (Kind.INVOICE, "draft"): [],
    (Kind.INVOICE, "sent"): ["mark_sent"],
    (Kind.INVOICE, "partially_paid"): ["mark_sent"],
    (Kind.INVOICE, "paid"): ["mark_sent"],
    (Kind.INVOICE, "void"): ["mark_sent", "void"],
    (Kind.QUOTE, "draft"): [],
    (Kind.QUOTE, "sent"): ["mark_sent"],
    (Kind.QUOTE, "accepted"): ["mark_sent", "mark_accepted"],
    (Kind.QUOTE, "declined"): ["mark_sent", "mark_declined"],
    (Kind.QUOTE, "expired"): ["mark_sent", "mark_expired"],
    (Kind.SALES_ORDER, "draft"): [],
    (Kind.SALES_ORDER, "confirmed"): ["confirm"],
    (Kind.SALES_ORDER, "fulfilled"): ["confirm", "fulfil"],
    (Kind.SALES_ORDER, "cancelled"): ["confirm", "cancel"],
}
PAYMENT_METHODS = [PaymentMethod.BANK_TRANSFER, PaymentMethod.CARD, PaymentMethod.CHEQUE]


def staff_actor(user: User) -> Actor:
    return Actor(type=ActorType.STAFF, user=user, label=user.email)


class Command(BaseCommand):
    help = "Create the Demo Co business, its accounts and documents (demo mode only)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run outside demo mode (SOLABOOKS_DEMO unset). Creates published passwords!",
        )

    def handle(self, *args, force: bool = False, **options):
        if not (settings.SOLABOOKS_DEMO or force):
            raise CommandError(
                "seed_demo creates accounts with a published password, so it runs only in "
                "demo mode (SOLABOOKS_DEMO=1, as ./scripts/demo sets) or with --force."
            )
        # Each email the seed sends is delivered by a task that logs two lines; dozens of
        # them would bury the summary (and the accounts) the demo prints.
        logging.getLogger("django_tasks").setLevel(logging.WARNING)
        existing = Organization.objects.filter(name=DEMO_BUSINESS).first()
        if existing is not None:
            self.stdout.write(f"{DEMO_BUSINESS} already exists; leaving its data as it is.")
            if not _demo_projects.has_projects(existing):
                self.add_projects_to(existing)
            return
        emails = [email for email, _, _ in DEMO_ACCOUNTS]
        if User.objects.filter(email__in=emails).exists():
            raise CommandError(
                "A demo account exists without the Demo Co business; not touching it. "
                "Start from an empty database."
            )
        with transaction.atomic():
            summary = self.seed()
        self.stdout.write(self.style.SUCCESS(summary))

    def seed(self) -> str:
        users = []
        for email, full_name, _ in DEMO_ACCOUNTS:
            user = User(email=email, full_name=full_name)
            user.set_password(DEMO_PASSWORD)
            user.save()
            users.append(user)

        org = Organization.objects.create(
            name=DEMO_BUSINESS,
            address="400 Market Street, Suite 210",
            city="San Francisco, CA",
            postcode="94105",
            country="US",
            reply_to_email="billing@demo.test",
            brand_colour="#0f766e",
            default_currency="USD",
            time_zone="America/Los_Angeles",
            payment_terms_days=30,
        )
        today = org.today()
        for user, (_, _, role) in zip(users, DEMO_ACCOUNTS, strict=True):
            Membership.objects.create(user=user, organization=org, role=role)
        actors = [staff_actor(user) for user in users]

        customers = [
            create_customer(
                organization=org,
                actor=actors[0],
                name=name,
                email=email,
                billing_address=street,
                city=city,
                postcode=postcode,
                country="US",
                currency="USD",
            )
            for name, email, street, city, postcode in CUSTOMERS
        ]

        # Accepting one of its sent quotes shows the terms and the "I agree" box.
        set_quote_terms(organization=org, text=DEMO_QUOTE_TERMS, actor=actors[0])
        for number, planned in enumerate(PLAN):
            self.make(
                planned, org=org, customers=customers, actors=actors, today=today, number=number
            )

        projects = _demo_projects.seed_projects(
            organization=org, customers=customers, actors=actors, today=today
        )
        self.seed_portal_account(customer=customers[1], actor=actors[0])
        self.seed_second_business(owner=users[0], today=today)
        count = org.documents.count()
        return (
            f"Created {DEMO_BUSINESS} ({count} documents, {len(customers)} customers, "
            f"{len(projects)} projects) and "
            f"{SECOND_BUSINESS}. Sign in as {', '.join(user.email for user in users)} "
            f"with the password {DEMO_PASSWORD!r}; customer portal: {DEMO_PORTAL_EMAIL}, "
            "same password."
        )

    def seed_portal_account(self, *, customer: Customer, actor: Actor) -> None:
        """A customer who has set up their portal account (Harbor Lights Dental, whose
        project is shown in the portal), with the published demo password: the person
        chose a password first, so Enable Portal Access grants at once and emails the
        notice, as it does for any email that already has a portal password."""
        portal_user = PortalUser.objects.create(email=customer.email)
        # Set directly, like the staff accounts': the demo password is published and short.
        portal_user.password = make_password(DEMO_PASSWORD)
        portal_user.password_changed_at = timezone.now()
        portal_user.save()
        enable_portal_access(customer=customer, confirmed_email=customer.email, actor=actor)

    def add_projects_to(self, org: Organization) -> None:
        """A Demo Co seeded before projects existed gets its projects, if its demo
        accounts and first two customers are still there."""
        members = {
            membership.user.email: membership.user
            for membership in Membership.objects.filter(organization=org).select_related("user")
        }
        users = [members.get(email) for email, _, _ in DEMO_ACCOUNTS]
        by_email = {c.email: c for c in Customer.objects.for_org(org)}
        customers = [by_email.get(email) for _, email, *_ in CUSTOMERS[:2]]
        if None in users or None in customers:
            self.stdout.write("Its demo accounts or customers changed; not adding demo projects.")
            return
        with transaction.atomic():
            projects = _demo_projects.seed_projects(
                organization=org,
                customers=customers,
                actors=[staff_actor(user) for user in users],
                today=org.today(),
            )
        self.stdout.write(self.style.SUCCESS(f"Added {len(projects)} demo projects."))

    def make(self, planned: Planned, *, org, customers, actors, today, number: int) -> None:
        actor = actors[planned.by]
        customer = customers[planned.customer]
        issue_date = today - datetime.timedelta(days=planned.days_ago)
        valid_until = None
        if planned.kind == Kind.QUOTE and planned.state == "accepted":
            # Marked accepted today, as the seed writes history: still valid today (a quote
            # past its date cannot be accepted).
            valid_until = issue_date + datetime.timedelta(days=max(30, planned.days_ago))
        document = create_document(
            organization=org,
            kind=planned.kind,
            customer=customer,
            actor=actor,
            lines=[CATALOGUE[item] for item in planned.items],
            issue_date=issue_date,
            valid_until=valid_until,
            notes="Thank you for your business!" if planned.kind == Kind.INVOICE else "",
            terms="Payment due within 30 days by bank transfer or card."
            if planned.kind == Kind.INVOICE
            else "",
        )
        for action in ACTIONS[(planned.kind, planned.state)]:
            document = transition_document(document=document, action=action, actor=actor)

        if planned.paid_fraction:
            amount = (document.total * planned.paid_fraction).quantize(D("0.01"))
            paid_on = min(today, issue_date + datetime.timedelta(days=9 + number % 17))
            record_payment(
                organization=org,
                customer=customer,
                actor=actors[2],  # the accountant records payments
                date=paid_on,
                amount=amount,
                method=PAYMENT_METHODS[number % len(PAYMENT_METHODS)],
                reference=f"REF-{70310 + number * 37}",
                allocations=[(document, amount)],
                issue_receipt=True,
            )

        if planned.kind == Kind.QUOTE and planned.state == "accepted":
            into = Kind.INVOICE if planned.days_ago > 60 else Kind.SALES_ORDER
            converted = convert_quote(quote=document, to_kind=into, actor=actor)
            first_step = "mark_sent" if into == Kind.INVOICE else "confirm"
            transition_document(document=converted, action=first_step, actor=actor)

    def seed_second_business(self, *, owner: User, today: datetime.date) -> None:
        """A second, smaller business the owner also belongs to, so the switcher shows: a
        French studio invoicing in euros, with everything an EN 16931 e-invoice needs, so
        its invoices are Factur-X PDFs (Demo Co, in the US, sends plain PDFs)."""
        org = Organization.objects.create(
            name=SECOND_BUSINESS,
            legal_name="Northwind Studio SARL",
            address="12 rue Vivienne",
            postcode="75002",
            city="Paris",
            country="FR",
            vat_id="FR40303265045",
            registration_id="303265045",
            iban="FR7630006000011234567890189",
            bic="AGRIFRPP",
            reply_to_email="hello@northwind.test",
            brand_colour="#7c3aed",
            default_currency="EUR",
            time_zone="Europe/Paris",
            payment_terms_days=30,
            invoice_prefix="NW",
        )
        Membership.objects.create(user=owner, organization=org, role=Role.OWNER)
        actor = staff_actor(owner)
        gallery = create_customer(
            organization=org,
            actor=actor,
            name="Galerie du Rhône",
            email="galerie.rhone@example.test",
            billing_address="8 quai Saint-Antoine",
            postcode="69002",
            city="Lyon",
            country="FR",
            vat_id="FR61954506077",
        )
        press = create_customer(
            organization=org,
            actor=actor,
            name="Nordlicht Verlag GmbH",
            email="nordlicht.verlag@example.test",
            billing_address="Speicherstadt 5",
            postcode="20457",
            city="Hamburg",
            country="DE",
            vat_id="DE136695976",
            buyer_reference="PO-2026-118",
        )
        shoot = create_document(
            organization=org,
            kind=Kind.INVOICE,
            customer=gallery,
            actor=actor,
            lines=[
                LineInput("Exhibition photography (day rate)", D("2"), D("450.00"), D("20")),
                LineInput("Print of the exhibition catalogue", D("1"), D("120.00"), D("5.5")),
            ],
            issue_date=today - datetime.timedelta(days=20),
        )
        transition_document(document=shoot, action="mark_sent", actor=actor)
        typesetting = create_document(
            organization=org,
            kind=Kind.INVOICE,
            customer=press,
            actor=actor,
            lines=[LineInput("Typesetting, 240 pages", D("240"), D("3.50"), D("0"), "AE")],
            issue_date=today - datetime.timedelta(days=9),
        )
        transition_document(document=typesetting, action="mark_sent", actor=actor)
        create_document(
            organization=org,
            kind=Kind.QUOTE,
            customer=press,
            actor=actor,
            # A service to a business in another EU country: the customer accounts for the
            # VAT (reverse charge), so the lines carry none.
            lines=[
                LineInput("Book cover design", D("1"), D("800.00"), D("0"), "AE"),
                LineInput("Illustrations", D("6"), D("120.00"), D("0"), "AE"),
            ],
            issue_date=today - datetime.timedelta(days=3),
        )
