"""The demo data behind ./scripts/demo: every kind in every state, the three accounts,
and a second run that changes nothing."""

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from solabooks.activity.models import Activity, ActorType, Verb
from solabooks.customers.models import Customer
from solabooks.documents.models import STATES_BY_KIND, Document, Kind, Payment, State
from solabooks.projects import selectors
from solabooks.projects.models import (
    ApprovalItem,
    ApprovalRequest,
    EntryState,
    ItemDecision,
    Project,
    RequestState,
    TimeEntry,
)
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
        Project.objects.count(),
        TimeEntry.objects.count(),
        ApprovalRequest.objects.count(),
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
        Project.objects.count(),
        TimeEntry.objects.count(),
        ApprovalRequest.objects.count(),
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


# --- Projects and time ------------------------------------------------------------------

PROJECT_LINK = re.compile(r"https?://[^\s\"'<>]+?(/finance/([pt])/[A-Za-z0-9_\-]+)")


@pytest.fixture
def seeded_with_email(demo_mode, settings, django_capture_on_commit_callbacks):
    """The seed with its emails delivered (after its commit, as in the demo)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        seed()
    return demo_co()


def test_seed_creates_projects_with_every_entry_and_request_state(seeded_with_email):
    org = seeded_with_email
    projects = {project.name: project for project in Project.objects.for_org(org)}
    assert set(projects) == {"Website redesign", "Office network upgrade"}
    entries = TimeEntry.objects.for_org(org)
    assert set(entries.values_list("state", flat=True)) == set(EntryState.values)
    requests = ApprovalRequest.objects.for_org(org)
    assert set(requests.values_list("state", flat=True)) == set(RequestState.values)
    items = ApprovalItem.objects.for_org(org)
    assert set(items.values_list("decision", flat=True)) == set(ItemDecision.values)
    # Staff members' time, dated in the weeks before today.
    today = timezone.localdate()
    members = set(Membership.objects.filter(organization=org).values_list("user_id", flat=True))
    assert set(entries.values_list("staff_member_id", flat=True)) <= members
    dates = list(entries.values_list("date", flat=True))
    assert max(dates) < today and (today - min(dates)).days <= 42
    # Rejections carry the customer's comment, decided on the link, from an address.
    for entry in entries.filter(state=EntryState.REJECTED):
        assert entry.customer_comment
    decisions = Activity.objects.for_org(org).filter(verb=Verb.TIME_DECIDED)
    assert decisions.count() == 3
    assert {(a.actor_type, bool(a.ip)) for a in decisions} == {(ActorType.LINK, True)}
    # Only the network project is in the portal.
    assert [p.name for p in projects.values() if p.portal_visible] == ["Office network upgrade"]


def test_the_website_project_is_amber_and_invoiced_through_a_draft(seeded_with_email):
    project = Project.objects.for_org(seeded_with_email).get(name="Website redesign")
    burns = selectors.budget_burn(project, selectors.time_totals(project))
    assert [burn.unit for burn in burns] == ["h", "USD"]
    assert {burn.level for burn in burns} == {"warning"}  # 80 % and more, not past 100 %
    states = set(project.time_entries.values_list("state", flat=True))
    assert states == {EntryState.INVOICED, EntryState.APPROVED, EntryState.PENDING}
    (invoice,) = selectors.project_invoices(project)
    assert invoice.state == State.DRAFT and invoice.customer_id == project.customer_id
    invoiced = project.time_entries.filter(state=EntryState.INVOICED)
    assert sum(line.quantity for line in invoice.lines.all()) == sum(
        entry.hours for entry in invoiced
    )
    assert all(entry.invoice_line_id for entry in invoiced)


def test_the_open_request_waits_in_the_mailbox_and_its_link_opens(seeded_with_email):
    project = Project.objects.for_org(seeded_with_email).get(name="Office network upgrade")
    waiting = ApprovalRequest.objects.for_org(seeded_with_email).get(state=RequestState.OPEN)
    assert waiting.project_id == project.pk
    to_customer = [m for m in mail.outbox if project.customer.email in m.to]
    assert {m.subject for m in to_customer} >= {f"Please approve time on {project.name} (Demo Co)"}
    # The newest approval email to the customer is the open request's: its link opens the
    # page with Approve / Reject for each waiting entry.
    approval_emails = [m for m in to_customer if "/finance/t/" in m.body]
    assert len(approval_emails) == 3  # decided, withdrawn, open
    path = PROJECT_LINK.search(approval_emails[-1].body).group(1)
    page = Client().get(path)
    assert page.status_code == 200
    html = page.content.decode()
    pending = waiting.items.filter(decision=ItemDecision.PENDING).count()
    assert pending and html.count('value="approve"') == pending
    # The withdrawn request's link no longer works; the website project was shared.
    old = PROJECT_LINK.search(approval_emails[1].body).group(1)
    assert Client().get(old).status_code == 410
    assert any("/finance/p/" in m.body for m in mail.outbox)


def test_a_demo_co_without_projects_gets_them_on_the_next_run(seeded_with_email):
    org = seeded_with_email
    ApprovalRequest.objects.for_org(org).delete()
    Project.objects.for_org(org).delete()
    Document.objects.for_org(org).filter(notes__startswith="Time on project").delete()
    documents = Document.objects.for_org(org).count()

    output = seed()

    assert "Added 2 demo projects" in output
    assert Project.objects.for_org(org).count() == 2
    assert Document.objects.for_org(org).count() == documents + 1  # the new draft invoice
    assert "Added" not in seed()  # and only once


def test_the_published_portal_account_signs_in(demo_mode):
    """The README's portal row: the seeded customer signs in with the demo password and
    sees their own dashboard."""
    from solabooks.tenancy.management.commands.seed_demo import DEMO_PORTAL_EMAIL

    seed()
    client = Client()
    response = client.post(
        "/finance/customer-portal/login",
        {"email": DEMO_PORTAL_EMAIL, "password": DEMO_PASSWORD},
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Harbor Lights Dental" in page
    assert "Sign out" in page
    # Something to see: an overdue invoice to pay.
    assert re.search(r"[\d,]+\.\d\d USD overdue", page)


def test_the_demo_shows_overdue_invoices_on_the_dashboard(demo_mode):
    # documents/overdue.py: the demo's old open invoices are overdue, and the owner's
    # dashboard lists them with their days.
    from solabooks.documents.selectors import overdue_invoices

    seed()
    org = demo_co()
    assert overdue_invoices(organization=org)
    owner = Membership.objects.filter(organization=org, role=Role.OWNER).first().user
    client = Client()
    client.force_login(owner)
    html = client.get("/finance/").content.decode()
    assert "Overdue invoices" in html and re.search(r"Overdue · \d+ days", html)


def test_the_demo_script_collects_static_files_before_seeding():
    """Seeding renders PDFs (the accepted quotes' records), whose stylesheet is looked up in
    the static files manifest: without it, ./scripts/demo failed on a fresh checkout."""
    from pathlib import Path

    script = (Path(__file__).resolve().parents[1] / "scripts" / "demo").read_text()
    assert script.index("manage.py collectstatic") < script.index("manage.py seed_demo")
