from email.utils import parseaddr

import pytest
from django.core.files.base import ContentFile

from solabooks.core.errors import DomainError
from solabooks.mail.crypto import decrypt_secret
from solabooks.mail.models import OutboxMessage, OutboxState
from solabooks.mail.services import LINK_PLACEHOLDER, queue_email
from tests.factories import make_document
from tests.mail.helpers import dump_all_tables, queue_link_email, secret_link

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(customer):
    return make_document(customer=customer)


def test_queue_renders_branded_parts_and_stores_a_queued_row(org, document):
    org.name = "Smith & Sons"
    org.brand_colour = "#aa3300"
    org.reply_to_email = "billing@smith.test"
    org.save()
    message = queue_link_email(document, secret_url=secret_link())

    message.refresh_from_db()
    assert message.state == OutboxState.QUEUED
    assert message.attempts == 0
    assert message.organization == org
    assert message.document == document
    assert message.customer == document.customer  # taken from the document
    assert message.to == "jane@bakery.test"
    # Plain text is not HTML-escaped; the HTML is.
    assert message.subject == "Invoice INV-0001 from Smith & Sons"
    assert "Smith & Sons" in message.text_body and "&amp;" not in message.text_body
    assert "Smith &amp; Sons" in message.html_body
    assert "#aa3300" in message.html_body  # brand colour
    assert parseaddr(message.from_email) == (
        "Smith & Sons via Solabooks",
        "no-reply@solabooks.test",
    )
    assert message.reply_to == "billing@smith.test"
    assert message.message_id.startswith("<") and message.message_id.endswith("@solabooks.test>")
    assert "Hello Jane's Bakery" in message.text_body


def test_logo_is_an_absolute_url(org, customer):
    org.logo.save("logo.png", ContentFile(b"\x89PNG fake"), save=True)
    message = queue_email(
        organization=org, to="a@b.test", template="test_notice", context={"message": "Hi"}
    )
    assert f'src="https://books.example.test{org.logo.url}"' in message.html_body


def test_no_reply_to_when_the_business_has_none(org):
    org.reply_to_email = ""
    org.save()
    message = queue_email(
        organization=org, to="a@b.test", template="test_notice", context={"message": "Hi"}
    )
    assert message.reply_to == ""
    assert message.document is None and message.customer is None


def test_given_subject_replaces_the_template_one_and_loses_line_breaks(document):
    message = queue_link_email(
        document, secret_url=secret_link(), subject="  Your invoice\r\nBcc: evil@x.test "
    )
    assert message.subject == "Your invoice Bcc: evil@x.test"


def test_blank_subject_means_the_template_subject(document):
    message = queue_link_email(document, secret_url=secret_link(), subject="   ")
    assert message.subject == "Invoice INV-0001 from Acme Ltd"


def test_overlong_subject_is_a_domain_error(document):
    with pytest.raises(DomainError):
        queue_link_email(document, secret_url=secret_link(), subject="x" * 251)


@pytest.mark.parametrize("to", ["", "not-an-address", "a@b.test\nBcc: c@d.test"])
def test_invalid_recipient_is_a_domain_error(document, to):
    with pytest.raises(DomainError):
        queue_email(
            organization=document.organization,
            to=to,
            template="test_notice",
            context={"message": "Hi"},
        )
    assert not OutboxMessage.objects.exists()


def test_secret_is_stored_encrypted_and_bound_to_the_message(document):
    url = secret_link()
    message = queue_link_email(document, secret_url=url)
    message.refresh_from_db()
    assert url not in message.secret_url_encrypted
    assert LINK_PLACEHOLDER in message.text_body and LINK_PLACEHOLDER in message.html_body
    assert decrypt_secret(message.secret_url_encrypted, bound_to=message.message_id) == url
    # Moved onto another row, it does not decrypt.
    with pytest.raises(Exception, match="decrypt"):
        decrypt_secret(message.secret_url_encrypted, bound_to="<other@solabooks.test>")


def test_before_delivery_no_table_holds_the_token_in_clear(document):
    url = secret_link()
    token = url.rsplit("/", 1)[1]
    queue_link_email(document, secret_url=url)  # on_commit never runs here: still queued
    assert OutboxMessage.objects.get().state == OutboxState.QUEUED
    assert token not in dump_all_tables()


def test_secret_key_fallbacks_still_decrypt_after_rotation(document, settings):
    url = secret_link()
    message = queue_link_email(document, secret_url=url)
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-brand-new-secret-key-" + "x" * 40
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert decrypt_secret(message.secret_url_encrypted, bound_to=message.message_id) == url


def test_a_secret_rendered_in_clear_is_refused(document):
    url = secret_link()
    with pytest.raises(ValueError, match="in clear"):
        queue_email(
            organization=document.organization,
            to="jane@bakery.test",
            template="test_leaky",
            context={"raw": url},
            secret_url=url,
        )
    assert not OutboxMessage.objects.exists()


def test_a_template_without_link_url_is_refused_when_a_secret_is_given(document):
    with pytest.raises(ValueError, match="link_url"):
        queue_email(
            organization=document.organization,
            to="jane@bakery.test",
            template="test_notice",
            context={"message": "Hi"},
            secret_url=secret_link(),
        )


def test_without_a_secret_nothing_is_encrypted(org):
    message = queue_email(
        organization=org, to="a@b.test", template="test_notice", context={"message": "Hi"}
    )
    assert message.secret_url_encrypted == ""


def test_delivery_is_enqueued_only_on_commit(document, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        queue_link_email(document, secret_url=secret_link())
    assert len(callbacks) == 1
