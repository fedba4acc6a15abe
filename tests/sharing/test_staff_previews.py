"""Staff previews are not customer views (issue 14, item 5): a link page opened in a
browser holding a staff session of the SAME business is recorded as PREVIEWED, leaves the
document un-viewed and says so on the page; anyone else (a staff member of another business
included) is a visitor whose view counts. Decisions stay the customer's. "Preview as
customer" shows the page without minting a link."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from solabooks.activity.models import Activity, ActorType, Verb
from solabooks.sharing.models import SecureLink
from solabooks.tenancy.middleware import SESSION_KEY
from solabooks.tenancy.models import Membership
from tests.factories import make_document

from .test_quote_decisions import accept, decline

pytestmark = pytest.mark.django_db

BANNER = "You are previewing what the customer sees"


def verbs(document) -> list[str]:
    """The document's access records, oldest first."""
    return list(
        Activity.objects.filter(
            document=document, verb__in=[Verb.VIEWED, Verb.PREVIEWED, Verb.PDF_DOWNLOADED]
        )
        .order_by("id")
        .values_list("verb", flat=True)
    )


def viewed(document) -> bool:
    document.refresh_from_db()
    return document.viewed_at is not None


def test_a_customer_view_without_a_staff_session_marks_the_document_viewed(
    sent_invoice, customer_client
):
    invoice, path = sent_invoice
    page = customer_client.get(path).content.decode()
    assert BANNER not in page
    assert viewed(invoice)
    assert verbs(invoice) == [Verb.VIEWED]


@pytest.mark.parametrize("member", ["owner_client", "manager_client", "accountant_client"])
def test_a_member_of_the_business_previews_and_the_document_stays_unviewed(
    request, sent_invoice, member, owner, manager, accountant
):
    invoice, path = sent_invoice
    client = request.getfixturevalue(member)
    response = client.get(path)
    assert response.status_code == 200
    assert BANNER in response.content.decode()
    assert not viewed(invoice)
    row = Activity.objects.get(document=invoice, verb=Verb.PREVIEWED)
    user = {"owner_client": owner, "manager_client": manager, "accountant_client": accountant}
    assert row.actor_type == ActorType.STAFF
    assert row.actor_user_id == user[member].pk
    assert row.actor_label == user[member].display_name
    assert Verb.VIEWED not in verbs(invoice)


def test_a_preview_then_the_customer_the_customers_view_still_counts(
    sent_invoice, owner_client, customer_client
):
    invoice, path = sent_invoice
    owner_client.get(path)
    assert not viewed(invoice)
    customer_client.get(path)
    assert viewed(invoice)
    assert verbs(invoice) == [Verb.PREVIEWED, Verb.VIEWED]


def test_staff_of_another_business_is_any_visitor(sent_invoice, other_client, other_owner):
    invoice, path = sent_invoice
    page = other_client.get(path).content.decode()
    assert BANNER not in page
    assert viewed(invoice)
    assert verbs(invoice) == [Verb.VIEWED]
    row = Activity.objects.get(document=invoice, verb=Verb.VIEWED)
    assert row.actor_type == ActorType.LINK and row.actor_user_id is None


def test_a_member_with_another_business_selected_still_previews(
    sent_invoice, owner, owner_client, other_org
):
    invoice, path = sent_invoice
    Membership.objects.create(user=owner, organization=other_org, role="owner")
    session = owner_client.session
    session[SESSION_KEY] = other_org.pk
    session.save()
    assert BANNER in owner_client.get(path).content.decode()
    assert not viewed(invoice)
    assert verbs(invoice) == [Verb.PREVIEWED]


def test_a_signed_out_staff_browser_is_a_visitor(sent_invoice, owner_client):
    invoice, path = sent_invoice
    owner_client.logout()
    assert BANNER not in owner_client.get(path).content.decode()
    assert viewed(invoice)


def test_the_page_cache_never_gives_the_banner_to_a_customer(
    sent_invoice, owner_client, customer_client
):
    _, path = sent_invoice
    for _ in range(2):  # rendered, then from memory
        assert BANNER in owner_client.get(path).content.decode()
        assert BANNER not in customer_client.get(path).content.decode()


def test_the_page_cache_never_serves_staff_the_customers_page(
    sent_invoice, owner_client, customer_client
):
    _, path = sent_invoice
    for _ in range(2):
        assert BANNER not in customer_client.get(path).content.decode()
        assert BANNER in owner_client.get(path).content.decode()


def test_the_customers_cached_page_costs_no_extra_query(sent_invoice, customer_client):
    _, path = sent_invoice
    customer_client.get(path)
    with CaptureQueriesContext(connection) as queries:
        customer_client.get(path)
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert len(reads) == 1 and "sharing_securelink" in reads[0]


def test_a_staff_pdf_download_is_a_preview(sent_invoice, owner_client):
    invoice, path = sent_invoice
    response = owner_client.get(path + "?format=pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert verbs(invoice) == [Verb.PREVIEWED]
    assert Activity.objects.get(document=invoice, verb=Verb.PREVIEWED).details["format"] == "pdf"
    assert not viewed(invoice)


@pytest.mark.parametrize("decide", [accept, decline])
def test_staff_cannot_decide_for_the_customer_on_the_link(sent_quote, owner_client, decide):
    quote, path = sent_quote
    response = decide(owner_client, path, quote.content_version)
    assert response.status_code == 302
    page = owner_client.get(path).content.decode()
    assert "Staff cannot decide for the customer here" in page
    assert BANNER in page
    quote.refresh_from_db()
    assert quote.state == "sent"
    assert not Activity.objects.filter(
        document=quote, verb__in=[Verb.QUOTE_ACCEPTED, Verb.QUOTE_DECLINED]
    ).exists()


def test_the_customer_still_decides_after_a_refused_staff_attempt(
    sent_quote, owner_client, customer_client
):
    quote, path = sent_quote
    accept(owner_client, path, quote.content_version)
    assert accept(customer_client, path, quote.content_version).status_code == 302
    quote.refresh_from_db()
    assert quote.state == "accepted"


def test_staff_of_another_business_decides_as_any_visitor(sent_quote, other_client):
    quote, path = sent_quote
    accept(other_client, path, quote.content_version)
    quote.refresh_from_db()
    assert quote.state == "accepted"


# --- Preview as customer (the document page's button) ---------------------------------


def preview_url(document) -> str:
    return f"/finance/document/{document.pk}/preview/"


@pytest.mark.parametrize("kind", ["invoice", "quote", "sales_order", "receipt", "credit_note"])
def test_preview_as_customer_shows_the_customer_page_for_every_kind(kind, customer, owner_client):
    state = {"invoice": "sent", "quote": "sent", "sales_order": "confirmed"}.get(kind)
    document = make_document(customer=customer, kind=kind, state=state)
    response = owner_client.get(preview_url(document))
    assert response.status_code == 200
    page = response.content.decode()
    assert BANNER in page and document.number in page
    assert not SecureLink.objects.filter(document=document).exists()
    assert not viewed(document)
    assert Activity.objects.filter(document=document, verb=Verb.PREVIEWED).count() == 1
    assert not Activity.objects.filter(document=document, verb=Verb.VIEWED).exists()


def test_the_document_page_offers_preview_as_customer(invoice, owner_client):
    page = owner_client.get(f"/finance/document/{invoice.pk}/").content.decode()
    assert preview_url(invoice) in page and "Preview as customer" in page


def test_a_sent_quotes_preview_shows_the_decision_forms(customer, owner_client):
    quote = make_document(customer=customer, kind="quote", state="sent")
    page = owner_client.get(preview_url(quote)).content.decode()
    assert 'name="op" value="accept"' in page


def test_a_decision_posted_on_the_preview_is_refused(customer, owner_client):
    quote = make_document(customer=customer, kind="quote", state="sent")
    response = accept(owner_client, preview_url(quote), quote.content_version)
    assert response.status_code == 302 and response["Location"] == preview_url(quote)
    quote.refresh_from_db()
    assert quote.state == "sent"
    followed = owner_client.get(preview_url(quote)).content.decode()
    assert "Staff cannot decide for the customer here" in followed


def test_set_up_an_account_posted_on_the_preview_says_what_to_do_instead(
    invoice, owner_client, monkeypatch
):
    from solabooks.portal import accounts as portal_accounts

    calls = []
    monkeypatch.setattr(
        portal_accounts, "start_portal_setup_from_link", lambda **kwargs: calls.append(kwargs)
    )
    response = owner_client.post(preview_url(invoice), {"op": "setup_account"})
    assert response.status_code == 302
    followed = owner_client.get(preview_url(invoice)).content.decode()
    assert "Set up an account is the customer&#x27;s button" in followed
    assert calls == []


def test_preview_refuses_another_businesses_document(foreign_customer, owner_client):
    foreign = make_document(customer=foreign_customer, kind="invoice", state="sent")
    assert owner_client.get(preview_url(foreign)).status_code == 404
    assert owner_client.post(preview_url(foreign)).status_code == 404
    assert not Activity.objects.filter(document=foreign, verb=Verb.PREVIEWED).exists()


def test_preview_needs_a_staff_session(invoice, customer_client):
    response = customer_client.get(preview_url(invoice))
    assert response.status_code == 302 and "login" in response["Location"]
    assert not Activity.objects.filter(document=invoice, verb=Verb.PREVIEWED).exists()


def test_the_document_activity_says_who_previewed(sent_invoice, owner, owner_client):
    invoice, path = sent_invoice
    owner_client.get(path)
    page = owner_client.get(f"/finance/document/{invoice.pk}/").content.decode()
    assert f"Previewed by <bdi>{owner.display_name}</bdi>" in page


# --- The customer's other buttons -----------------------------------------------------------


def expire(link: SecureLink) -> None:
    """Expired a minute ago (staff sessions outlive no 24-hour time travel)."""
    now = timezone.now()
    SecureLink.objects.filter(pk=link.pk).update(
        created_at=now - datetime.timedelta(days=1, minutes=1),
        expires_at=now - datetime.timedelta(minutes=1),
    )


def test_staff_cannot_request_access_for_the_customer(
    sent_invoice, owner_client, django_capture_on_commit_callbacks
):
    """Request access would email the customer a fresh link as though they had asked."""
    from django.core import mail

    invoice, path = sent_invoice
    expire(SecureLink.objects.get(document=invoice))
    before = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(path, {"op": "request_access"})
    assert response.status_code == 302
    page = owner_client.get(path).content.decode()
    assert "Request access is the customer&#x27;s button" in page
    assert len(mail.outbox) == before
    assert SecureLink.objects.filter(document=invoice).count() == 1


def test_staff_of_another_business_requests_access_as_any_visitor(
    sent_invoice, other_client, django_capture_on_commit_callbacks
):
    from django.core import mail

    invoice, path = sent_invoice
    expire(SecureLink.objects.get(document=invoice))
    before = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        response = other_client.post(path, {"op": "request_access"})
    assert response.status_code == 200
    assert len(mail.outbox) == before + 1
    assert mail.outbox[-1].to == [invoice.customer.email]


def test_staff_cannot_set_up_an_account_for_the_customer(sent_invoice, owner_client, monkeypatch):
    from solabooks.portal import accounts as portal_accounts

    calls = []
    monkeypatch.setattr(
        portal_accounts, "start_portal_setup_from_link", lambda **kwargs: calls.append(kwargs)
    )
    _, path = sent_invoice
    assert owner_client.post(path, {"op": "setup_account"}).status_code == 302
    assert (
        "Set up an account is the customer&#x27;s button" in owner_client.get(path).content.decode()
    )
    assert calls == []
