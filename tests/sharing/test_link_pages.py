"""The customer's side of a secure link: what opens, what has expired, what is dead."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from solabooks.activity.models import Activity, Verb
from solabooks.documents.models import Document
from solabooks.documents.services import reassign_document, transition_document
from solabooks.mail.models import OutboxMessage
from solabooks.sharing.models import SecureLink
from solabooks.sharing.services import LINK_LIFETIME
from tests.factories import CustomerFactory, OrganizationFactory, make_document

from .conftest import token_of

pytestmark = pytest.mark.django_db

INVALID = "This link is no longer valid"
EXPIRED = "This link has expired"


def test_link_opens_the_branded_document(sent_invoice, customer_client, org):
    invoice, path = sent_invoice
    response = customer_client.get(path)
    page = response.content.decode()
    assert response.status_code == 200
    assert invoice.number in page
    assert 'class="business-name" dir="ltr">Acme Ltd<' in page
    assert 'class="document-sheet"' in page
    assert 'href="?format=pdf"' in page
    assert "Download PDF" in page
    # SPEC 4: no response but the email contains the token, not even its own page.
    assert path.rsplit("/", 1)[1] not in page
    # An invoice has no decision to make.
    assert "Accept" not in page


def test_a_view_is_recorded_with_time_ip_user_agent_and_link(sent_invoice, customer_client):
    invoice, path = sent_invoice
    link = SecureLink.objects.get(document=invoice)
    customer_client.get(path)
    viewed = Activity.objects.get(document=invoice, verb=Verb.VIEWED)
    assert viewed.ip == "203.0.113.7"
    assert viewed.user_agent == "Mozilla/5.0 (Customer)"
    assert viewed.actor_type == "link"
    assert viewed.actor_label == f"link #{link.pk}"
    assert viewed.details["link_id"] == link.pk
    assert viewed.created_at is not None
    link.refresh_from_db()
    assert link.last_used_at is not None


def test_the_first_view_sets_viewed_and_later_views_keep_it(sent_invoice, customer_client):
    invoice, path = sent_invoice
    assert invoice.viewed_at is None
    customer_client.get(path)
    invoice.refresh_from_db()
    first = invoice.viewed_at
    assert first is not None
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=1)):
        customer_client.get(path)
    invoice.refresh_from_db()
    assert invoice.viewed_at == first
    assert Activity.objects.filter(document=invoice, verb=Verb.VIEWED).count() == 2


def test_get_only_scanners_change_nothing_send_nothing_use_nothing_up(
    sent_quote, customer_client, django_capture_on_commit_callbacks
):
    quote, path = sent_quote
    link = SecureLink.objects.get(document=quote)
    mails, outbox = len(mail.outbox), OutboxMessage.objects.count()
    token = token_of(path)
    urls = [
        path,
        f"{path}?format=pdf",
        f"{path}?op=accept&accept-signer_name=Bot&accept-version=1",
        f"{path}?op=decline&decline-version=1",
        f"{path}?op=request_access",
        f"{path}?op=setup_account",
    ]
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(10):
            for url in urls:
                customer_client.get(url)
                customer_client.head(url)
    quote.refresh_from_db()
    assert quote.state == "sent"
    assert (len(mail.outbox), OutboxMessage.objects.count()) == (mails, outbox)
    assert SecureLink.objects.filter(document=quote).count() == 1
    link.refresh_from_db()
    assert link.revoked_at is None
    assert not Activity.objects.filter(
        verb__in=[Verb.QUOTE_ACCEPTED, Verb.QUOTE_DECLINED, Verb.ACCESS_REQUESTED]
    ).exists()
    # Still opens: a link is good any number of times within its 24 hours.
    assert customer_client.get(f"/finance/q/{token}").status_code == 200


def test_the_link_still_works_at_23_hours_59_minutes(sent_invoice, customer_client):
    _, path = sent_invoice
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=23, minutes=59)):
        response = customer_client.get(path)
    assert response.status_code == 200
    assert EXPIRED not in response.content.decode()


@pytest.mark.parametrize(
    "after", [LINK_LIFETIME, LINK_LIFETIME + datetime.timedelta(seconds=1)], ids=["24h", "24h1s"]
)
def test_the_link_expires_24_hours_after_creation(sent_invoice, customer_client, after):
    invoice, path = sent_invoice
    link = SecureLink.objects.get(document=invoice)
    with time_machine.travel(link.created_at + after):
        response = customer_client.get(path)
        pdf = customer_client.get(f"{path}?format=pdf")
    page = response.content.decode()
    assert response.status_code == 410
    assert EXPIRED in page
    assert "Request access" in page
    assert 'name="op" value="request_access"' in page
    assert path.rsplit("/", 1)[1] not in page
    assert invoice.number not in page  # the document is not shown any more
    assert pdf.status_code == 410
    assert pdf["Content-Type"].startswith("text/html")
    assert not Activity.objects.filter(document=invoice, verb=Verb.VIEWED).exists()


def _assert_no_longer_valid(response, org):
    page = response.content.decode()
    assert response.status_code == 410
    assert INVALID in page
    assert f"mailto:{org.reply_to_email}" in page
    assert "Request access" not in page
    assert 'value="request_access"' not in page


def test_a_revoked_link_is_no_longer_valid(sent_invoice, customer_client, customer, org):
    _, path = sent_invoice
    SecureLink.objects.update(revoked_at=timezone.now(), revoked_reason="revoked")
    _assert_no_longer_valid(customer_client.get(path), org)


def test_a_revoked_link_stays_invalid_after_it_expires(sent_invoice, customer_client, org):
    invoice, path = sent_invoice
    SecureLink.objects.update(revoked_at=timezone.now(), revoked_reason="revoked")
    with time_machine.travel(timezone.now() + datetime.timedelta(days=2)):
        _assert_no_longer_valid(customer_client.get(path), org)


def test_reassigning_the_document_kills_the_old_link(
    sent_invoice, customer_client, other_customer, staff_actor, org, send
):
    invoice, old_path = sent_invoice
    reassign_document(document=invoice, new_customer=other_customer, actor=staff_actor)
    _assert_no_longer_valid(customer_client.get(old_path), org)
    # The new customer's fresh link works and shows the new customer.
    _, new_path = send(invoice)
    assert mail.outbox[-1].to == ["bob@garage.test"]
    page = customer_client.get(new_path).content.decode()
    assert "Bob&#x27;s Garage" in page
    assert old_path != new_path
    _assert_no_longer_valid(customer_client.get(old_path), org)


def test_a_link_is_dead_once_its_document_belongs_to_someone_else_even_unrevoked(
    sent_invoice, customer_client, other_customer, org
):
    """Validity follows from state: a move that forgot to revoke still kills the link."""
    invoice, path = sent_invoice
    Document.objects.filter(pk=invoice.pk).update(customer=other_customer)
    assert SecureLink.objects.get(document=invoice).revoked_at is None
    _assert_no_longer_valid(customer_client.get(path), org)
    assert customer_client.get(f"{path}?format=pdf").status_code == 410


def test_business_a_link_after_its_document_moved_shows_nothing_of_the_new_owner(
    customer_client, send, staff_actor
):
    business_a = OrganizationFactory(name="Business A")
    first = CustomerFactory(organization=business_a, name="First Customer")
    second = CustomerFactory(organization=business_a, name="Second Customer")
    document = make_document(customer=first)
    _, path = send(document)
    reassign_document(document=document, new_customer=second, actor=staff_actor)
    response = customer_client.get(path)
    page = response.content.decode()
    assert response.status_code == 410
    assert "Second Customer" not in page
    assert document.number not in page


@pytest.mark.parametrize("kind, action", [("invoice", "void"), ("sales_order", "cancel")])
def test_a_voided_or_cancelled_documents_link_is_no_longer_valid(
    customer, send, staff_actor, customer_client, org, kind, action
):
    document = make_document(customer=customer, kind=kind)
    _, path = send(document)
    document.refresh_from_db()
    transition_document(document=document, action=action, actor=staff_actor)
    _assert_no_longer_valid(customer_client.get(path), org)


def test_a_deleted_documents_link_is_no_longer_valid(sent_invoice, customer_client, org):
    invoice, path = sent_invoice
    invoice.delete()
    link = SecureLink.objects.get()
    assert link.document is None
    _assert_no_longer_valid(customer_client.get(path), org)


def test_a_token_with_one_character_changed_is_not_found(sent_invoice, customer_client):
    _, path = sent_invoice
    token = token_of(path)
    changed = token[:-1] + ("A" if token[-1] != "A" else "B")
    response = customer_client.get(f"/finance/i/{changed}")
    assert response.status_code == 404
    assert customer_client.get(f"/finance/i/{changed}?format=pdf").status_code == 404


@pytest.mark.parametrize(
    "token",
    ["x", "not-a-token", "A" * 43, "A" * 5000, "%00%ff", "..%2F..%2Fetc", "ü" * 43, "<script>"],
)
def test_unknown_or_malformed_tokens_get_the_ordinary_404(customer_client, token, db):
    response = customer_client.get(f"/finance/i/{token}")
    assert response.status_code == 404
    assert "Not Found" in response.content.decode()
    assert customer_client.get(f"/finance/q/{token}").status_code == 404


def test_unknown_token_does_the_same_hash_and_lookup_as_a_real_one(
    sent_invoice, customer_client, django_assert_num_queries, monkeypatch
):
    """Same work either way: one hash, one indexed lookup (no early exit on the format)."""
    from solabooks.sharing import selectors

    _, path = sent_invoice
    hashed = []
    real_hash = selectors.hash_token
    monkeypatch.setattr(selectors, "hash_token", lambda raw: hashed.append(raw) or real_hash(raw))
    for token in ["short", "A" * 43, "!!!"]:
        with django_assert_num_queries(1):
            selectors.find_document_link(raw_token=token, prefix="i")
    with django_assert_num_queries(1):
        selectors.find_document_link(raw_token=token_of(path), prefix="i")
    # "!!!" is all pasted tail (selectors.token_as_pasted): stripped, then hashed and looked
    # up all the same.
    assert hashed == ["short", "A" * 43, "", token_of(path)]


def test_a_quote_token_lives_only_under_q_and_others_only_under_i(
    sent_invoice, sent_quote, customer_client
):
    """One URL per link: the wrong prefix is a 404, the same as an unknown token."""
    _, invoice_path = sent_invoice
    _, quote_path = sent_quote
    invoice_token, quote_token = token_of(invoice_path), token_of(quote_path)
    assert customer_client.get(f"/finance/q/{invoice_token}").status_code == 404
    assert customer_client.get(f"/finance/i/{quote_token}").status_code == 404
    assert customer_client.get(f"/finance/i/{quote_token}?format=pdf").status_code == 404
    assert customer_client.get(f"/finance/q/{quote_token}").status_code == 200
    assert customer_client.get(f"/finance/i/{invoice_token}").status_code == 200


def test_a_link_shows_only_its_own_document(customer, send, customer_client):
    first = make_document(customer=customer)
    second = make_document(customer=customer)
    _, path = send(first)
    page = customer_client.get(path).content.decode()
    assert first.number in page
    assert second.number not in page


def test_pdf_download_is_recorded_and_an_attachment(sent_invoice, customer_client):
    invoice, path = sent_invoice
    response = customer_client.get(f"{path}?format=pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{invoice.number}.pdf"'
    assert response.content.startswith(b"%PDF")
    downloaded = Activity.objects.get(document=invoice, verb=Verb.PDF_DOWNLOADED)
    assert downloaded.ip == "203.0.113.7"
    assert downloaded.details["link_id"] == SecureLink.objects.get(document=invoice).pk
    # A download is not a view: the page view is what sets viewed_at.
    assert not Activity.objects.filter(document=invoice, verb=Verb.VIEWED).exists()


def test_the_page_url_serves_the_pdf_and_its_own_operations(sent_invoice, customer_client):
    invoice, path = sent_invoice
    pdf = customer_client.get(f"{path}?format=pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert Activity.objects.filter(document=invoice, verb=Verb.PDF_DOWNLOADED).exists()
    # An operation the page does not offer is refused; an unknown token stays a 404.
    assert customer_client.post(path, {"op": "delete"}).status_code == 400
    assert customer_client.post(path, {"op": "accept"}).status_code == 400  # not a quote
    assert customer_client.post("/finance/i/" + "x" * 43, {"op": "accept"}).status_code == 404
    assert customer_client.put(path).status_code == 405


def test_redirects_after_a_post_never_spell_the_token(sent_quote, customer_client):
    quote, path = sent_quote
    response = customer_client.post(
        path,
        {"op": "accept", "accept-version": quote.content_version, "accept-signer_name": "Jane Doe"},
    )
    assert response.status_code == 302
    assert response["Location"] == "?"
    quote.refresh_from_db()
    assert quote.state == "accepted"
    setup = customer_client.post(path, {"op": "setup_account"})
    assert setup["Location"] == "?"
