"""Credit notes (SPEC 3): issued when a sent invoice is voided, in the same transaction, once;
numbered CN-0001… per business; never created any other way; staff pages link the invoice
and its credit note; another business reaches neither."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from solabooks.activity.models import Activity, Verb
from solabooks.activity.services import Actor
from solabooks.core.errors import DomainError, InvalidTransition
from solabooks.documents.credit_notes import issue_credit_note
from solabooks.documents.models import Document, Kind
from solabooks.documents.selectors import credit_note_of, receivables_by_currency
from solabooks.documents.services import (
    LineInput,
    create_document,
    reassign_document,
    transition_document,
)
from tests.concurrency import run_at_once
from tests.confirming import CONFIRMED
from tests.documents.helpers import document_post
from tests.factories import CustomerFactory, OrganizationFactory, make_document

SYSTEM = Actor.system()
LINES = [
    LineInput("Design work", Decimal("3"), Decimal("100.00"), Decimal("20")),
    LineInput("Hosting", Decimal("1"), Decimal("40.00"), tax_category="Z"),
]


def sent_invoice(customer, **fields) -> Document:
    invoice = make_document(customer=customer, lines=LINES, **fields)
    return transition_document(document=invoice, action="mark_sent", actor=SYSTEM)


def void(invoice: Document) -> Document:
    return transition_document(document=invoice, action="void", actor=SYSTEM)


def credit_notes_of(customer):
    return Document.objects.for_org(customer.organization).filter(kind=Kind.CREDIT_NOTE)


# Issuing ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_voiding_a_sent_invoice_issues_one_credit_note_that_copies_it(org, customer):
    org.time_zone = "Pacific/Kiritimati"  # UTC+14: the business's today is tomorrow in UTC
    org.save()
    invoice = sent_invoice(customer, currency="EUR", issue_date=datetime.date(2026, 3, 1))
    with time_machine.travel(datetime.datetime(2026, 3, 9, 12, 0, tzinfo=datetime.UTC)):
        void(invoice)
    credit_note = credit_notes_of(customer).get()
    assert (credit_note.number, credit_note.state, credit_note.kind) == (
        "CN-0001",
        "issued",
        "credit_note",
    )
    assert credit_note.customer_id == customer.pk and credit_note.currency == "EUR"
    assert credit_note.source_document_id == invoice.pk
    assert credit_note.issue_date == datetime.date(2026, 3, 10)
    assert credit_note.due_date is None and credit_note.amount_paid == 0
    assert (credit_note.subtotal, credit_note.tax_total, credit_note.total) == (
        invoice.subtotal,
        invoice.tax_total,
        invoice.total,
    )
    fields = ("description", "quantity", "unit_price", "tax_rate", "tax_category", "unit_code")
    assert list(credit_note.lines.values_list(*fields)) == list(invoice.lines.values_list(*fields))
    assert credit_note.notes == "This credit note cancels invoice INV-0001 of 1 March 2026."
    assert credit_note_of(invoice) == credit_note


@pytest.mark.django_db
def test_the_credit_note_and_the_invoice_each_record_it(customer):
    invoice = void(sent_invoice(customer))
    credit_note = credit_note_of(invoice)
    on_invoice = Activity.objects.get(document=invoice, verb=Verb.CREDIT_NOTE_ISSUED)
    assert on_invoice.details == {"credit_note": "CN-0001", "credit_note_id": credit_note.pk}
    on_credit_note = Activity.objects.get(document=credit_note, verb=Verb.CREDIT_NOTE_ISSUED)
    assert on_credit_note.details == {"invoice": "INV-0001", "invoice_id": invoice.pk}
    assert Activity.objects.filter(document=credit_note, verb=Verb.CREATED).count() == 1
    assert Activity.objects.filter(document=invoice, verb=Verb.VOIDED).count() == 1


@pytest.mark.django_db
def test_voiding_a_draft_issues_no_credit_note(customer):
    draft = make_document(customer=customer)
    assert void(draft).state == "void"
    assert not credit_notes_of(customer).exists()
    assert not Activity.objects.filter(verb=Verb.CREDIT_NOTE_ISSUED).exists()


@pytest.mark.django_db
def test_voiding_twice_makes_no_second_credit_note(customer):
    invoice = void(sent_invoice(customer))
    with pytest.raises(InvalidTransition, match="INV-0001 is void"):
        void(invoice)
    with pytest.raises(DomainError, match="already been credited by CN-0001"):
        issue_credit_note(invoice=invoice, actor=SYSTEM)
    assert credit_notes_of(customer).count() == 1


@pytest.mark.django_db
def test_only_a_voided_invoice_is_credited(customer):
    invoice = sent_invoice(customer)
    with pytest.raises(DomainError, match="Only a voided invoice"):
        issue_credit_note(invoice=invoice, actor=SYSTEM)
    quote = make_document(customer=customer, kind="quote", state="declined")
    with pytest.raises(DomainError, match="Only a voided invoice"):
        issue_credit_note(invoice=quote, actor=SYSTEM)
    assert not credit_notes_of(customer).exists()


@pytest.mark.django_db
def test_the_database_holds_one_credit_note_per_invoice(customer):
    invoice = void(sent_invoice(customer))
    with pytest.raises(IntegrityError), transaction.atomic():
        # Straight past the service's check: the constraint is the last word.
        create_document(
            organization=customer.organization,
            kind=Kind.CREDIT_NOTE,
            customer=customer,
            actor=SYSTEM,
            lines=LINES,
            source_document=invoice,
        )


@pytest.mark.django_db
def test_a_credit_note_is_never_created_on_its_own(customer, other_customer):
    other_invoice = make_document(customer=other_customer, state="void")
    quote = make_document(customer=customer, kind="quote")
    for source in (None, other_invoice, quote):
        with pytest.raises(DomainError, match="issued by voiding a sent invoice"):
            create_document(
                organization=customer.organization,
                kind=Kind.CREDIT_NOTE,
                customer=customer,
                actor=SYSTEM,
                lines=LINES,
                source_document=source,
            )
    assert not credit_notes_of(customer).exists()


# Numbering ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_credit_notes_have_their_own_sequence_per_business(org, other_org, customer):
    foreign = CustomerFactory(organization=other_org)
    first, second = sent_invoice(customer), sent_invoice(customer)
    assert (first.number, second.number) == ("INV-0001", "INV-0002")
    void(second)
    void(first)
    assert credit_note_of(second).number == "CN-0001"
    assert credit_note_of(first).number == "CN-0002"
    assert make_document(customer=customer).number == "INV-0003"  # invoices go on as before
    theirs = void(sent_invoice(foreign))
    assert credit_note_of(theirs).number == "CN-0001"
    org.credit_note_prefix = "AV"
    org.save()
    assert credit_note_of(void(sent_invoice(customer))).number == "AV-0003"


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_voids_issue_one_credit_note():
    if connection.vendor != "postgresql":
        pytest.skip("Needs PostgreSQL row locks and real concurrent connections.")
    threads_count = 5
    customer = CustomerFactory(organization=OrganizationFactory())
    invoice = sent_invoice(customer)

    def void_it() -> str:
        void(invoice)
        return "voided"

    outcomes = run_at_once(void_it, threads=threads_count)
    assert outcomes == ["refused"] * (threads_count - 1) + ["voided"]
    assert credit_notes_of(customer).count() == 1
    assert credit_notes_of(customer).get().number == "CN-0001"


# What a credit note is not ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_credit_note_is_final(customer):
    credit_note = make_document(customer=customer, kind="credit_note")
    for action in ("void", "mark_sent", "edit", "cancel"):
        with pytest.raises(InvalidTransition, match="not something a credit note can do"):
            transition_document(document=credit_note, action=action, actor=SYSTEM)
    assert not credit_note.is_editable


@pytest.mark.django_db
def test_credit_notes_and_voided_invoices_are_no_receivable(org, customer):
    open_invoice = sent_invoice(customer)
    void(sent_invoice(customer))
    [row] = receivables_by_currency(organization=org)
    assert (row["count"], row["open"]) == (1, open_invoice.total)
    assert receivables_by_currency(organization=org, customer=customer)[0]["count"] == 1


@pytest.mark.django_db
def test_a_credit_note_and_its_invoice_stay_with_their_customer(customer, other_customer):
    invoice = void(sent_invoice(customer))
    credit_note = credit_note_of(invoice)
    with pytest.raises(DomainError, match="belongs to the customer of the invoice"):
        reassign_document(document=credit_note, new_customer=other_customer, actor=SYSTEM)
    with pytest.raises(DomainError, match="cancelled by a credit note"):
        reassign_document(document=invoice, new_customer=other_customer, actor=SYSTEM)
    # A voided draft was never credited: it may move as before.
    draft = void(make_document(customer=customer))
    assert reassign_document(document=draft, new_customer=other_customer, actor=SYSTEM)


# Staff pages --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_void_button_says_a_credit_note_will_be_issued_for_a_sent_invoice(
    owner_client, customer
):
    invoice = sent_invoice(customer)
    page = owner_client.get(reverse("document-detail", args=[invoice.pk])).content.decode()
    # The Void dialog names the credit note it will issue (the next CN- number).
    assert "Credit note CN-0001 will be issued to" in page
    assert "Voiding issues a credit note that cancels this invoice" in page
    draft = make_document(customer=customer)
    page = owner_client.get(reverse("document-detail", args=[draft.pk])).content.decode()
    assert "Void" in page and "will be issued" not in page
    assert "Voiding issues a credit note" not in page


@pytest.mark.django_db
def test_after_voiding_the_pages_link_invoice_and_credit_note(owner_client, customer):
    invoice = sent_invoice(customer)
    response = owner_client.post(
        reverse("document-transition", args=[invoice.pk]),
        {"action": "void", **CONFIRMED},
        follow=True,
    )
    credit_note = credit_note_of(invoice)
    page = response.content.decode()
    assert "INV-0001 is now void. Credit note CN-0001 cancels it." in page
    assert "Cancelled by credit note" in page
    assert reverse("document-detail", args=[credit_note.pk]) in page
    assert "Re-assign" not in page
    page = owner_client.get(reverse("document-detail", args=[credit_note.pk])).content.decode()
    assert "Credit note CN-0001" in page
    assert "Credits invoice" in page and reverse("document-detail", args=[invoice.pk]) in page
    assert "Credits invoice INV-0001 of" in page  # the document itself says so too
    assert "Credit to" in page and "Bill to" not in page
    assert "Balance due" not in page and "Record a payment" not in page
    assert "Re-assign" not in page and "Edit</a>" not in page


@pytest.mark.django_db
def test_the_staff_list_shows_credit_notes(owner_client, customer, other_customer):
    void(sent_invoice(customer))
    void(sent_invoice(other_customer))
    page = owner_client.get(reverse("document-list", args=["credit_note"]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "CN-0001" in html and "CN-0002" in html and "INV-0001" in html
    assert "issued by voiding a sent invoice" in html
    assert reverse("document-create", args=["credit_note"]) not in html
    filtered = owner_client.get(
        reverse("document-list", args=["credit_note"]), {"customer": other_customer.pk}
    ).content.decode()
    assert "CN-0002" in filtered and "CN-0001" not in filtered
    home = owner_client.get(reverse("dashboard")).content.decode()
    assert reverse("document-list", args=["credit_note"]) in home  # the main navigation


@pytest.mark.django_db
def test_the_new_document_form_refuses_credit_notes(owner_client, customer):
    url = reverse("document-create", args=["credit_note"])
    for response in (
        owner_client.get(url, follow=True),
        owner_client.post(url, document_post(customer=customer), follow=True),
    ):
        assert response.redirect_chain[-1][0] == reverse("document-list", args=["invoice"])
        assert "Credit notes are issued by voiding a sent invoice" in response.content.decode()
    assert not credit_notes_of(customer).exists()


# Another business ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_another_business_reaches_no_credit_note(owner_client, other_client, customer):
    invoice = void(sent_invoice(customer))
    credit_note = credit_note_of(invoice)
    before = Activity.objects.count()
    for method, name, data in (
        ("get", "document-detail", {}),
        ("get", "document-pdf", {}),
        ("get", "document-activity", {}),
        ("post", "document-transition", {"action": "void"}),
        ("post", "document-send", {"subject": "Hi", "message": "Hi"}),
        ("post", "document-reassign", {"customer": customer.pk}),
    ):
        for target in (credit_note, invoice):
            response = getattr(other_client, method)(reverse(name, args=[target.pk]), data)
            assert response.status_code == 404, (method, name, target.number)
    assert Activity.objects.count() == before
    assert credit_notes_of(customer).count() == 1
    # Their own list of credit notes is empty.
    theirs = other_client.get(reverse("document-list", args=["credit_note"])).content.decode()
    assert "CN-0001" not in theirs
    # The business's own staff still reach it.
    assert owner_client.get(reverse("document-detail", args=[credit_note.pk])).status_code == 200
