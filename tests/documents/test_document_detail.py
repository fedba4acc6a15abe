"""The document page and its actions: state changes, re-assign, convert."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from solabooks.activity.models import Activity, Verb
from solabooks.activity.services import Actor, record_activity
from solabooks.documents.models import Document
from solabooks.documents.payments import record_payment
from solabooks.sharing.models import SecureLink
from tests.confirming import CONFIRMED
from tests.documents.helpers import bulk_lines
from tests.factories import make_document

pytestmark = pytest.mark.django_db


def detail_url(document) -> str:
    return reverse("document-detail", args=[document.pk])


def test_page_shows_head_send_button_body_and_activity(owner_client, customer):
    document = make_document(customer=customer, notes="Pay by transfer")
    response = owner_client.get(detail_url(document))
    html = response.content.decode()
    assert response.status_code == 200
    assert "INV-0001" in html and "Draft" in html
    head = html[html.index('class="page-head') : html.index('class="document-sheet')]
    assert "Send to Customer" in head  # the sharing seam, top right of the page
    assert reverse("document-edit", args=[document.pk]) in head
    assert "Mark as sent" in head and "Void" in head
    assert "Pay by transfer" in html  # the customer's view of the document
    assert "Consulting" in html
    activity = html[html.index('id="activity"') :]
    assert "Created" in activity


def record_views(document, count: int) -> None:
    for i in range(count):
        record_activity(
            organization=document.organization,
            document=document,
            verb=Verb.VIEWED,
            actor=Actor.system(f"viewer {i}"),
        )


def test_activity_is_newest_first_and_capped(owner_client, customer):
    document = make_document(customer=customer)
    record_views(document, 60)
    response = owner_client.get(detail_url(document))
    shown = list(response.context["activity"])
    assert len(shown) == 50
    assert shown[0].actor_label == "viewer 59"
    assert "The latest 50 of 61 events" in response.content.decode()


def test_activity_of_other_documents_is_not_shown(owner_client, customer):
    document = make_document(customer=customer)
    other = make_document(customer=customer)
    record_activity(
        organization=customer.organization,
        document=other,
        verb=Verb.VIEWED,
        actor=Actor.system("x"),
    )
    shown = list(owner_client.get(detail_url(document)).context["activity"])
    assert {a.document_id for a in shown} == {document.pk}


def test_detail_query_count_does_not_grow_with_lines_or_activity(owner_client, customer):
    document = make_document(customer=customer, state="sent")
    record_payment(
        organization=customer.organization,
        customer=customer,
        actor=Actor.system(),
        date=document.issue_date,
        amount=Decimal("10"),
        method="cash",
        allocations=[(document, Decimal("10"))],
    )
    bulk_lines(document, 4)
    owner_client.get(detail_url(document))  # warm up the session
    with CaptureQueriesContext(connection) as few:
        owner_client.get(detail_url(document))
    bulk_lines(document, 495)
    for _ in range(100):
        record_activity(
            organization=customer.organization,
            document=document,
            verb=Verb.VIEWED,
            actor=Actor.system(),
        )
    with CaptureQueriesContext(connection) as many:
        response = owner_client.get(detail_url(document))
    assert len(response.context["lines"]) == 500
    assert len(few) == len(many)


def transition(client, document, action):
    return client.post(
        reverse("document-transition", args=[document.pk]),
        {"action": action, **CONFIRMED},
        follow=True,
    )


def test_mark_sent_then_void(owner_client, customer):
    document = make_document(customer=customer)
    response = transition(owner_client, document, "mark_sent")
    assert "INV-0001 is now sent." in response.content.decode()
    document.refresh_from_db()
    assert document.state == "sent"
    transition(owner_client, document, "void")
    document.refresh_from_db()
    assert document.state == "void"
    assert Activity.objects.filter(document=document, verb=Verb.VOIDED).exists()


@pytest.mark.parametrize(
    "kind,state,action,message",
    [
        ("invoice", "paid", "void", "cannot be moved to void"),
        ("invoice", "draft", "mark_accepted", "is not something an invoice can do"),
        ("quote", "draft", "mark_accepted", "cannot be moved to accepted"),
        ("sales_order", "fulfilled", "cancel", "cannot be moved to cancelled"),
        ("receipt", None, "void", "is not something a receipt can do"),
        ("invoice", "draft", "", "is not something"),
        ("invoice", "draft", "x" * 10_000, "is not something"),
    ],
)
def test_invalid_transitions_give_a_clear_message(
    owner_client, customer, kind, state, action, message
):
    document = make_document(customer=customer, kind=kind, state=state)
    response = transition(owner_client, document, action)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Document.objects.get(pk=document.pk).state == document.state


def test_an_invoice_with_payments_cannot_be_voided(owner_client, customer):
    document = make_document(customer=customer, state="sent")
    Document.objects.filter(pk=document.pk).update(amount_paid=Decimal("1"))
    response = transition(owner_client, document, "void")
    assert "cannot be voided" in response.content.decode()


def test_state_changes_need_a_post(owner_client, customer):
    document = make_document(customer=customer)
    url = reverse("document-transition", args=[document.pk])
    assert owner_client.get(url, {"action": "void"}).status_code == 405
    assert Document.objects.get(pk=document.pk).state == "draft"


def make_link(document, **fields) -> SecureLink:
    now = timezone.now()
    return SecureLink.objects.create(
        organization=document.organization,
        customer=document.customer,
        document=document,
        token_hash=f"{document.pk:064d}",
        sent_to=document.customer.email,
        created_at=now,
        expires_at=now + timezone.timedelta(hours=24),
        **fields,
    )


def reassign(client, document, customer_value):
    return client.post(
        reverse("document-reassign", args=[document.pk]),
        {"customer": customer_value, **CONFIRMED},
        follow=True,
    )


def test_reassign_moves_the_document_kills_links_and_records_activity(
    owner_client, owner, customer, other_customer
):
    document = make_document(customer=customer, state="sent")
    link = make_link(document)
    response = reassign(owner_client, document, other_customer.pk)
    assert "now belongs to Bob&#x27;s Garage" in response.content.decode()
    document.refresh_from_db()
    link.refresh_from_db()
    assert document.customer == other_customer
    assert link.revoked_at is not None
    entry = Activity.objects.get(document=document, verb=Verb.REASSIGNED)
    assert entry.actor_user == owner
    assert entry.details["from_customer"] == "Jane's Bakery"
    assert entry.details["to_customer"] == "Bob's Garage"
    # and it shows in the document's Activity
    assert "Re-assigned to another customer" in response.content.decode()


def test_reassign_offers_only_other_customers_of_this_business(
    owner_client, customer, other_customer, foreign_customer
):
    document = make_document(customer=customer)
    form = owner_client.get(detail_url(document)).context["reassign_form"]
    assert list(form.fields["customer"].queryset) == [other_customer]


@pytest.mark.parametrize("value", ["foreign", "", "abc", "same"])
def test_reassign_to_a_customer_not_allowed_is_refused(
    owner_client, customer, foreign_customer, value
):
    document = make_document(customer=customer)
    posted = {"foreign": foreign_customer.pk, "same": customer.pk}.get(value, value)
    response = reassign(owner_client, document, posted)
    assert response.status_code == 200
    assert "Choose another of your customers" in response.content.decode()
    document.refresh_from_db()
    assert document.customer == customer
    assert not Activity.objects.filter(verb=Verb.REASSIGNED).exists()


def test_reassigning_a_paid_document_is_refused_with_a_message(
    owner_client, customer, other_customer
):
    document = make_document(customer=customer, state="sent")
    Document.objects.filter(pk=document.pk).update(amount_paid=Decimal("1"))
    response = reassign(owner_client, document, other_customer.pk)
    assert "with payments cannot be re-assigned" in response.content.decode()
    assert Document.objects.get(pk=document.pk).customer == customer


def convert(client, document, to_kind):
    return client.post(
        reverse("document-convert", args=[document.pk]), {"to_kind": to_kind}, follow=True
    )


@pytest.mark.parametrize("to_kind,number", [("invoice", "INV-0001"), ("sales_order", "SO-0001")])
def test_an_accepted_quote_converts(owner_client, customer, to_kind, number):
    quote = make_document(customer=customer, kind="quote", state="accepted", notes="As agreed")
    page = owner_client.get(detail_url(quote)).content.decode()
    assert "Convert to invoice" in page and "Convert to sales order" in page
    response = convert(owner_client, quote, to_kind)
    created = Document.objects.get(source_document=quote)
    assert response.redirect_chain[-1][0] == detail_url(created)
    assert (created.kind, created.number, created.total) == (to_kind, number, quote.total)
    assert created.notes == "As agreed"
    assert "From quote" in response.content.decode()
    assert Activity.objects.filter(document=quote, verb=Verb.QUOTE_CONVERTED).exists()
    # the quote links to what it became, and offers that conversion no more
    page = owner_client.get(detail_url(quote)).content.decode()
    assert number in page
    assert f"Convert to {'invoice' if to_kind == 'invoice' else 'sales order'}" not in page


def test_a_quote_converts_only_once_per_kind(owner_client, customer):
    quote = make_document(customer=customer, kind="quote", state="accepted")
    convert(owner_client, quote, "invoice")
    response = convert(owner_client, quote, "invoice")
    assert "already been converted" in response.content.decode()
    assert Document.objects.filter(source_document=quote).count() == 1


@pytest.mark.parametrize(
    "kind,state,to_kind,message",
    [
        ("quote", "sent", "invoice", "Only an accepted quote"),
        ("invoice", "sent", "invoice", "Only quotes can be converted"),
        ("quote", "accepted", "receipt", "converts into an invoice or a sales order"),
        ("quote", "accepted", "", "converts into an invoice or a sales order"),
    ],
)
def test_bad_conversions_give_a_message(owner_client, customer, kind, state, to_kind, message):
    document = make_document(customer=customer, kind=kind, state=state)
    response = convert(owner_client, document, to_kind)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Document.objects.filter(source_document=document).exists()


def test_convert_buttons_only_on_accepted_quotes(owner_client, customer):
    quote = make_document(customer=customer, kind="quote", state="sent")
    assert "Convert to" not in owner_client.get(detail_url(quote)).content.decode()


@pytest.mark.parametrize("who", ["owner_client", "manager_client", "accountant_client"])
def test_every_role_can_act_on_documents(request, who, customer, other_customer):
    client = request.getfixturevalue(who)
    document = make_document(customer=customer)
    assert client.get(detail_url(document)).status_code == 200
    transition(client, document, "mark_sent")
    reassign(client, document, other_customer.pk)
    document.refresh_from_db()
    assert (document.state, document.customer) == ("sent", other_customer)


def activity_url(document) -> str:
    return reverse("document-activity", args=[document.pk])


def test_activity_page_pages_through_every_event_newest_first(owner_client, customer):
    document = make_document(customer=customer)  # records "Created"
    other = make_document(customer=customer)
    record_views(document, 60)
    record_activity(
        organization=customer.organization, document=other, verb=Verb.VIEWED, actor=Actor.system()
    )
    detail = owner_client.get(detail_url(document)).content.decode()
    assert f'href="{activity_url(document)}"' in detail  # from "The latest 50 of 61 events"

    first = owner_client.get(activity_url(document))
    assert first.status_code == 200
    page = first.context["page"]
    assert page.paginator.count == 61 and page.paginator.num_pages == 3
    assert [a.actor_label for a in page][:2] == ["viewer 59", "viewer 58"]
    last = owner_client.get(activity_url(document), {"page": "3"}).context["page"]
    assert [a.get_verb_display() for a in last][-1] == "Created"
    seen = set()
    for number in (1, 2, 3):
        seen |= {
            a.pk for a in owner_client.get(activity_url(document), {"page": number}).context["page"]
        }
    assert len(seen) == 61
    assert set(Activity.objects.filter(pk__in=seen).values_list("document_id", flat=True)) == {
        document.pk
    }
    # Junk and out-of-range pages answer a page, never an error.
    for junk in ("abc", "-1", "1e999", "99"):
        assert owner_client.get(activity_url(document), {"page": junk}).status_code == 200


def test_activity_link_only_when_some_events_are_not_shown(owner_client, customer):
    document = make_document(customer=customer)
    html = owner_client.get(detail_url(document)).content.decode()
    assert activity_url(document) not in html


def test_activity_page_is_404_for_another_business_and_made_up_ids(owner_client, foreign_customer):
    foreign = make_document(customer=foreign_customer)
    record_activity(
        organization=foreign_customer.organization,
        document=foreign,
        verb=Verb.VIEWED,
        actor=Actor.system("secret viewer"),
    )
    response = owner_client.get(activity_url(foreign))
    assert response.status_code == 404
    assert b"secret viewer" not in response.content
    assert owner_client.get(reverse("document-activity", args=[999999])).status_code == 404


def test_activity_page_query_count_does_not_grow_with_events(owner_client, customer):
    from tests.customers.bulk import make_activity

    document = make_document(customer=customer)
    url = activity_url(document)
    make_activity(customer, [document], 5)
    owner_client.get(url)
    with CaptureQueriesContext(connection) as few:
        owner_client.get(url)
    make_activity(customer, [document], 500)
    with CaptureQueriesContext(connection) as many:
        response = owner_client.get(url)
    assert response.context["page"].paginator.count == 506
    assert len(many) == len(few)
