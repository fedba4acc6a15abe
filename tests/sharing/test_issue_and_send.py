import datetime
import hashlib

import pytest
from django.core import mail
from django.urls import reverse

from solabooks.activity.models import Activity, Verb
from solabooks.core.errors import DomainError
from solabooks.documents.services import transition_document
from solabooks.sharing.models import SecureLink
from solabooks.sharing.services import LINK_LIFETIME, issue_link, send_document
from tests.factories import make_document

from .conftest import token_of

pytestmark = pytest.mark.django_db


def test_link_lifetime_is_24_hours(invoice, staff_actor):
    assert datetime.timedelta(hours=24) == LINK_LIFETIME
    issued = issue_link(document=invoice, actor=staff_actor)
    assert issued.link.expires_at - issued.link.created_at == datetime.timedelta(hours=24)


def test_token_has_256_bits_and_only_its_sha256_is_stored(invoice, staff_actor):
    issued = issue_link(document=invoice, actor=staff_actor)
    # token_urlsafe(32): 32 random bytes, 43 URL-safe characters.
    assert len(issued.raw_token) == 43
    assert issued.link.token_hash == hashlib.sha256(issued.raw_token.encode()).hexdigest()
    stored = SecureLink.objects.values().get(pk=issued.link.pk)
    assert issued.raw_token not in repr(stored)


def test_every_link_gets_its_own_token(invoice, staff_actor):
    tokens = {issue_link(document=invoice, actor=staff_actor).raw_token for _ in range(20)}
    assert len(tokens) == 20


@pytest.mark.parametrize(
    "requested, overridden",
    [
        (None, False),
        (datetime.timedelta(hours=24), False),
        (86400, False),
        (86400.0, False),
        ("86400", False),
        (datetime.timedelta(days=7), True),
        (datetime.timedelta(hours=1), True),
        (datetime.timedelta(0), True),
        (datetime.timedelta(hours=-24), True),
        (3600, True),
        (0, True),
        (-86400, True),
        (True, True),
        ("7 days", True),
        ("", True),
        (datetime.datetime(2099, 1, 1, tzinfo=datetime.UTC), True),
        (datetime.date(2099, 1, 1), True),
        ({"days": 1}, True),
        (object(), True),
    ],
)
def test_custom_expiry_is_overridden_to_24_hours(invoice, staff_actor, requested, overridden):
    issued = issue_link(document=invoice, actor=staff_actor, requested_expiry=requested)
    assert issued.link.expires_at - issued.link.created_at == LINK_LIFETIME
    assert issued.expiry_overridden is overridden


def test_send_emails_a_link_to_the_customers_email_on_file(invoice, send, settings):
    result, path = send(invoice)
    message = mail.outbox[-1]
    assert message.to == ["jane@bakery.test"]
    token = token_of(path)
    assert path == f"/finance/i/{token}"
    assert f"{settings.BASE_URL}/finance/i/{token}" in message.body
    assert f"{settings.BASE_URL}/finance/i/{token}" in message.alternatives[0][0]
    assert result.sent_to == "jane@bakery.test"
    assert result.link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert result.link.expires_at - result.link.created_at == LINK_LIFETIME
    assert "expires in 24 hours" in message.body


def test_a_quote_link_is_the_public_quote_url(quote, send):
    _, path = send(quote)
    assert path.startswith("/finance/q/")


def test_send_marks_a_draft_sent(invoice, quote, send):
    send(invoice)
    send(quote)
    invoice.refresh_from_db()
    quote.refresh_from_db()
    assert (invoice.state, quote.state) == ("sent", "sent")
    assert invoice.sent_at is not None


def test_sales_order_send_confirms_it_and_receipt_stays_issued(customer, send):
    order = make_document(customer=customer, kind="sales_order")
    receipt = make_document(customer=customer, kind="receipt")
    send(order)
    send(receipt)
    order.refresh_from_db()
    receipt.refresh_from_db()
    assert (order.state, receipt.state) == ("confirmed", "issued")


def test_send_records_to_whom_which_link_and_subject_never_the_token(invoice, send):
    result, path = send(invoice, subject="Your invoice")
    sent = Activity.objects.get(document=invoice, verb=Verb.SENT)
    assert sent.details["sent_to"] == "jane@bakery.test"
    assert sent.details["link_id"] == result.link.pk
    assert sent.details["subject"] == "Your invoice"
    assert sent.actor_type == "staff"
    assert token_of(path) not in repr(sent.details)


def test_subject_and_message_are_the_staffs(invoice, send):
    send(invoice, subject="April work", message="Thanks for a great month & more.")
    message = mail.outbox[-1]
    assert message.subject == "April work"
    assert "Thanks for a great month & more." in message.body
    assert "Thanks for a great month &amp; more." in message.alternatives[0][0]


def test_default_subject_and_message(invoice, send, org):
    send(invoice)
    message = mail.outbox[-1]
    assert message.subject == f"Invoice {invoice.number} from {org.name}"
    assert "Hello Jane's Bakery," in message.body
    assert message.reply_to == [org.reply_to_email]


def test_send_ignores_any_address_but_the_one_on_file(invoice, send, customer):
    customer.email = "new-address@bakery.test"
    customer.save()
    send(invoice)
    assert mail.outbox[-1].to == ["new-address@bakery.test"]


def test_send_again_issues_a_new_link(invoice, send):
    first, first_path = send(invoice)
    second, second_path = send(invoice)
    assert first.link.pk != second.link.pk
    assert first_path != second_path
    assert Activity.objects.filter(document=invoice, verb=Verb.SENT).count() == 2


def test_requested_expiry_is_overridden_and_recorded(invoice, send):
    result, _ = send(invoice, requested_expiry=datetime.timedelta(days=30))
    assert result.expiry_overridden is True
    assert result.link.expires_at - result.link.created_at == LINK_LIFETIME
    sent = Activity.objects.get(document=invoice, verb=Verb.SENT)
    assert sent.details["expiry_overridden"] is True


@pytest.mark.parametrize("kind, action", [("invoice", "void"), ("sales_order", "cancel")])
def test_dead_documents_are_not_sent(customer, staff_actor, kind, action):
    document = make_document(customer=customer, kind=kind)
    transition_document(document=document, action=action, actor=staff_actor)
    with pytest.raises(DomainError):
        send_document(document=document, actor=staff_actor)
    assert not SecureLink.objects.filter(document=document).exists()
    assert not Activity.objects.filter(document=document, verb=Verb.SENT).exists()


def test_a_failed_send_leaves_no_link(invoice, staff_actor):
    with pytest.raises(DomainError):
        send_document(document=invoice, actor=staff_actor, subject="x" * 1000)
    assert not SecureLink.objects.exists()
    invoice.refresh_from_db()
    assert invoice.state == "draft"


# --- The staff view and dialog -----------------------------------------------------------


def test_send_view_sends_and_says_so(manager_client, invoice, django_capture_on_commit_callbacks):
    url = reverse("document-send", args=[invoice.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            url,
            {"subject": "Hello", "message": "See attached", "email": "attacker@evil.test"},
            follow=True,
        )
    assert response.redirect_chain[-1][0] == reverse("document-detail", args=[invoice.pk])
    assert "Sent to jane@bakery.test. The link expires in 24 hours." in response.content.decode()
    assert [m.to for m in mail.outbox] == [["jane@bakery.test"]]
    assert mail.outbox[0].subject == "Hello"


def test_send_view_refuses_a_void_invoice_with_a_message(owner_client, invoice, staff_actor):
    transition_document(document=invoice, action="void", actor=staff_actor)
    response = owner_client.post(reverse("document-send", args=[invoice.pk]), follow=True)
    assert response.status_code == 200
    assert "can no longer be sent" in response.content.decode()
    assert not SecureLink.objects.exists()


def test_send_view_is_scoped_to_the_business(other_client, invoice):
    response = other_client.post(reverse("document-send", args=[invoice.pk]))
    assert response.status_code == 404
    assert not SecureLink.objects.exists()


def test_send_view_needs_a_signed_in_member_and_a_post(client, owner_client, invoice):
    url = reverse("document-send", args=[invoice.pk])
    assert client.post(url).status_code == 302
    assert owner_client.get(url).status_code == 405
    assert not SecureLink.objects.exists()


def test_dialog_shows_the_address_on_file_and_editable_defaults(owner_client, invoice):
    page = owner_client.get(reverse("document-detail", args=[invoice.pk])).content.decode()
    assert f'data-dialog-open="send-dialog-{invoice.pk}"' in page
    assert f'<dialog id="send-dialog-{invoice.pk}"' in page
    assert 'value="jane@bakery.test" readonly' in page
    assert 'name="email"' not in page.split(f'<dialog id="send-dialog-{invoice.pk}"')[1]
    assert f'name="subject" value="Invoice {invoice.number} from Acme Ltd"' in page
    assert "Hello Jane&#x27;s Bakery," in page
    assert ">Send to Customer</button>" in page


def test_dialog_button_says_send_again_once_sent(owner_client, sent_invoice):
    invoice, _ = sent_invoice
    page = owner_client.get(reverse("document-detail", args=[invoice.pk])).content.decode()
    assert ">Send again</button>" in page
    assert ">Send to Customer</button>" not in page
