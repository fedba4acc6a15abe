"""The acceptance record: the accepted PDF and certificate, stored once, privately; terms."""

import hashlib
import io

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from pypdf import PdfReader

from solabooks.activity.models import Activity, Verb
from solabooks.activity.services import Actor
from solabooks.core.errors import DomainError
from solabooks.core.storage import private_storage
from solabooks.customers.models import Customer
from solabooks.documents.acceptance import acceptance_file, set_quote_terms
from solabooks.documents.models import AcceptanceRecord, QuoteTerms
from solabooks.documents.quote_decisions import decide_quote
from solabooks.documents.services import transition_document
from solabooks.pdf.services import document_pdf
from solabooks.tenancy.models import Organization
from tests.factories import make_document
from tests.pdf.test_pdf import PNG

pytestmark = pytest.mark.django_db


def accept(client: Client, path: str, version: int, name: str = "Jane Baker", **fields):
    data = {"op": "accept", "accept-version": version, "accept-signer_name": name, **fields}
    return client.post(path, data)


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_accepting_stores_the_pdf_shown_and_a_certificate(sent_quote, customer_client):
    quote, path = sent_quote
    shown = customer_client.get(path + "?format=pdf").content
    assert accept(customer_client, path, quote.content_version).status_code == 302
    record = AcceptanceRecord.objects.get(document=quote)
    # The PDF the customer could download is, byte for byte, what was stored.
    assert acceptance_file(record, "pdf") == shown
    assert record.pdf_sha256 == hashlib.sha256(shown).hexdigest()
    assert record.signer_name == "Jane Baker"
    assert record.channel == "link" and record.channel_label.startswith("secure link #")
    assert record.ip == "203.0.113.7" and record.user_agent == "Mozilla/5.0 (Customer)"
    assert record.terms_version is None
    certificate = acceptance_file(record, "certificate")
    assert record.certificate_sha256 == hashlib.sha256(certificate).hexdigest()
    text = " ".join(text_of(certificate).split())
    for expected in (
        quote.organization.name,
        quote.customer.name,
        quote.number,
        f"version {quote.content_version}",
        "Jane Baker",
        "UTC",
        "203.0.113.7",
        "secure link #",
    ):
        assert expected in text, expected
    # The hash may wrap across lines.
    assert record.pdf_sha256 in "".join(text.split())
    accepted = Activity.objects.get(document=quote, verb=Verb.QUOTE_ACCEPTED)
    assert accepted.details["accepted_pdf_sha256"] == record.pdf_sha256


def test_the_stored_pdf_never_changes_with_the_customer_branding_or_address(
    sent_quote, customer_client, org
):
    quote, path = sent_quote
    accept(customer_client, path, quote.content_version)
    record = AcceptanceRecord.objects.get(document=quote)
    stored = acceptance_file(record, "pdf")
    certificate = acceptance_file(record, "certificate")
    Customer.objects.filter(pk=quote.customer_id).update(name="Renamed Customer Ltd")
    Organization.objects.filter(pk=org.pk).update(
        brand_colour="#aa0000", address="1 New Street\nElsewhere"
    )
    org.refresh_from_db()
    org.logo.save("logo.png", ContentFile(PNG), save=True)
    quote.refresh_from_db()
    # The live PDF does change (so the test means something) …
    live = document_pdf(document=quote)
    assert live != stored
    assert "Renamed Customer Ltd" in text_of(live)
    # … the stored proof does not, and no pruning of the PDF cache touched it.
    record = AcceptanceRecord.objects.get(pk=record.pk)
    assert acceptance_file(record, "pdf") == stored
    assert hashlib.sha256(stored).hexdigest() == record.pdf_sha256
    assert acceptance_file(record, "certificate") == certificate
    assert "Renamed" not in text_of(stored)


def test_a_record_is_never_changed(sent_quote, customer_client):
    quote, path = sent_quote
    accept(customer_client, path, quote.content_version)
    record = AcceptanceRecord.objects.get(document=quote)
    record.signer_name = "Someone Else"
    with pytest.raises(RuntimeError):
        record.save()


def test_the_files_are_private_with_unguessable_names(sent_quote, customer_client, org):
    quote, path = sent_quote
    accept(customer_client, path, quote.content_version)
    record = AcceptanceRecord.objects.get(document=quote)
    for name in (record.pdf_name, record.certificate_name):
        assert name.startswith(f"acceptances/{org.pk}/")
        assert len(name.rsplit("/", 1)[1].split("-", 1)[0]) == 40  # 160 random bits
        assert private_storage().exists(name)
        with pytest.raises(NotImplementedError):
            private_storage().url(name)
    # No public URL serves them: not under /media/, not under the static or private roots.
    anonymous = Client()
    for name in (record.pdf_name, record.certificate_name):
        for prefix in ("/finance/media/", "/media/", "/static/", "/private/", "/", "/finance/"):
            response = anonymous.get(prefix + name)
            assert response.status_code in (302, 404), (prefix, response.status_code)
            assert not response.content.startswith(b"%PDF")


def test_staff_mark_accepted_keeps_a_record_saying_staff_recorded_it(quote, staff_actor):
    make = type(quote).objects.filter(pk=quote.pk)
    make.update(state="sent")
    quote.refresh_from_db()
    transition_document(document=quote, action="mark_accepted", actor=staff_actor)
    record = AcceptanceRecord.objects.get(document=quote)
    assert record.channel == "staff"
    assert record.recorded_by == staff_actor.user
    assert record.signer_name == "" and record.terms_version is None
    assert "Recorded by staff" in " ".join(text_of(acceptance_file(record, "certificate")).split())


def test_a_decline_keeps_no_record(sent_quote, customer_client):
    quote, path = sent_quote
    customer_client.post(
        path, {"op": "decline", "decline-version": quote.content_version, "decline-reason": "No"}
    )
    quote.refresh_from_db()
    assert quote.state == "declined"
    assert not AcceptanceRecord.objects.exists()


# --- Terms -------------------------------------------------------------------------------


def test_editing_terms_adds_a_version_and_clearing_them_too(org, staff_actor):
    first = set_quote_terms(organization=org, text="Pay in 30 days.", actor=staff_actor)
    same = set_quote_terms(organization=org, text="Pay in 30 days.", actor=staff_actor)
    second = set_quote_terms(organization=org, text="Pay in 14 days.", actor=staff_actor)
    cleared = set_quote_terms(organization=org, text="  ", actor=staff_actor)
    assert (first.version, same.version, second.version, cleared.version) == (1, 1, 2, 3)
    assert QuoteTerms.objects.get(pk=first.pk).text == "Pay in 30 days."
    assert Activity.objects.filter(verb=Verb.SETTINGS_CHANGED, organization=org).count() == 3


def test_without_terms_nothing_changes_for_the_customer(sent_quote, customer_client):
    quote, path = sent_quote
    page = customer_client.get(path).content.decode()
    assert "I agree to the terms" not in page
    assert accept(customer_client, path, quote.content_version).status_code == 302
    quote.refresh_from_db()
    assert quote.state == "accepted"


def test_terms_are_shown_and_must_be_ticked(sent_quote, customer_client, org, staff_actor):
    quote, path = sent_quote
    set_quote_terms(organization=org, text="Deposit of 20% on acceptance.", actor=staff_actor)
    page = customer_client.get(path).content.decode()
    assert "Deposit of 20% on acceptance." in page
    assert "I agree to the terms" in page
    assert 'name="accept-terms_version" value="1"' in page
    # Not ticked: refused with the reason, nothing decided.
    response = accept(customer_client, path, quote.content_version, **{"accept-terms_version": 1})
    assert response.status_code == 400
    assert "Please tick" in response.content.decode()
    quote.refresh_from_db()
    assert quote.state == "sent" and not AcceptanceRecord.objects.exists()
    ticked = {"accept-terms_version": 1, "accept-agree_terms": "on"}
    assert accept(customer_client, path, quote.content_version, **ticked).status_code == 302
    record = AcceptanceRecord.objects.get(document=quote)
    assert (record.terms_version, record.terms_text) == (1, "Deposit of 20% on acceptance.")
    text = " ".join(text_of(acceptance_file(record, "certificate")).split())
    assert "Deposit of 20% on acceptance." in text and "Version 1" in text


def test_terms_changed_since_the_page_was_shown_are_refused(
    sent_quote, customer_client, org, staff_actor
):
    quote, path = sent_quote
    set_quote_terms(organization=org, text="Old terms.", actor=staff_actor)
    customer_client.get(path)
    set_quote_terms(organization=org, text="New terms.", actor=staff_actor)
    ticked = {"accept-terms_version": 1, "accept-agree_terms": "on"}
    response = accept(customer_client, path, quote.content_version, **ticked)
    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.state == "sent" and not AcceptanceRecord.objects.exists()
    page = customer_client.get(path).content.decode()
    assert "changed its terms" in page and "New terms." in page


def test_the_service_refuses_accept_without_the_terms(sent_quote, org, staff_actor):
    quote, _ = sent_quote
    set_quote_terms(organization=org, text="Terms.", actor=staff_actor)
    actor = Actor(type="link", label="link #1", extra={"link_id": 1})
    common = {"document": quote, "decision": "accept", "signer_name": "Jane", "reason": ""}
    for kwargs in ({}, {"terms_version": 1}, {"terms_version": 2, "agreed_to_terms": True}):
        with pytest.raises(DomainError):
            decide_quote(**common, seen_version=quote.content_version, actor=actor, **kwargs)
    # Declining needs no terms.
    decide_quote(
        **{**common, "decision": "decline"}, seen_version=quote.content_version, actor=actor
    )


def test_other_businesses_terms_do_not_apply(sent_quote, customer_client, other_org):
    quote, path = sent_quote
    set_quote_terms(
        organization=other_org, text="Other terms.", actor=Actor(type="staff", label="x")
    )
    assert "Other terms." not in customer_client.get(path).content.decode()
    assert accept(customer_client, path, quote.content_version).status_code == 302
    assert AcceptanceRecord.objects.get(document=quote).terms_version is None


def test_the_customer_gets_a_confirmation_with_both_pdfs(
    sent_quote, customer_client, django_capture_on_commit_callbacks
):
    from django.core import mail

    quote, path = sent_quote
    token = path.rsplit("/", 1)[1]
    before = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        accept(customer_client, path, quote.content_version)
    record = AcceptanceRecord.objects.get(document=quote)
    sent = mail.outbox[before:]
    assert len(sent) == 1
    email = sent[0]
    assert email.to == [quote.customer.email]
    assert "You accepted quote" in email.subject
    names = [name for name, _, _ in email.attachments]
    assert names == [
        f"{quote.number}-v1-accepted.pdf",
        f"{quote.number}-v1-acceptance-certificate.pdf",
    ]
    assert email.attachments[0][1] == acceptance_file(record, "pdf")
    assert email.attachments[1][1] == acceptance_file(record, "certificate")
    assert all(mimetype == "application/pdf" for _, _, mimetype in email.attachments)
    # No customer token anywhere in it, and the outbox holds no blobs: just the names.
    raw = email.message().as_string()
    assert token not in raw
    from solabooks.mail.models import OutboxAttachment

    stored = OutboxAttachment.objects.filter(message__document=quote).order_by("position")
    assert [a.storage_name for a in stored] == [record.pdf_name, record.certificate_name]


def test_a_failed_delivery_retries_with_the_attachments(
    sent_quote, customer_client, django_capture_on_commit_callbacks, settings
):
    from django.core import mail

    from solabooks.mail.delivery import Delivery, deliver_message
    from solabooks.mail.models import OutboxMessage

    quote, path = sent_quote
    settings.EMAIL_BACKEND = "tests.sharing.test_acceptance_record.FailingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        accept(customer_client, path, quote.content_version)
    message = OutboxMessage.objects.get(document=quote, template="quote_acceptance_confirmation")
    assert message.state == "queued" and message.attempts == 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=message.created_at)
    before = len(mail.outbox)
    assert deliver_message(message.pk) == Delivery.SENT
    assert len(mail.outbox) == before + 1
    assert len(mail.outbox[-1].attachments) == 2


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("down")


# --- Rendering before the lock ------------------------------------------------------------


def decide(quote, decision: str = "accept", **changes):
    """The service call a customer's Accept (or Decline) makes, with `changes` to its input."""
    options = {
        "signer_name": "Jane Baker" if decision == "accept" else "",
        "reason": "" if decision == "accept" else "Too dear",
        "seen_version": quote.content_version,
        "actor": Actor.system(),
        **changes,
    }
    return decide_quote(document=quote, decision=decision, **options)


def stored_acceptance_files(organization_id: int) -> set[str]:
    storage = private_storage()
    directory = f"acceptances/{organization_id}"
    if not storage.exists(directory):
        return set()
    return {f"{directory}/{name}" for name in storage.listdir(directory)[1]}


@pytest.mark.django_db(transaction=True)
def test_the_proof_is_rendered_before_the_transaction(customer, monkeypatch):
    """The row lock (and SQLite's write lock) is held for milliseconds, not for WeasyPrint."""
    from solabooks.documents import acceptance

    quote = make_document(customer=customer, kind="quote", state="sent")
    in_transaction: list[bool] = []
    render = acceptance.render_certificate

    def spying_render(record, *, quote):
        in_transaction.append(connection.in_atomic_block)
        return render(record, quote=quote)

    monkeypatch.setattr(acceptance, "render_certificate", spying_render)
    decide(quote)
    assert in_transaction == [False]
    record = AcceptanceRecord.objects.get(document=quote)
    assert stored_acceptance_files(quote.organization_id) == {
        record.pdf_name,
        record.certificate_name,
    }


def test_a_change_while_rendering_renders_again_under_the_lock(
    sent_quote, monkeypatch, django_capture_on_commit_callbacks
):
    """The customer's name changes between the rendering and the lock: the record shows
    what the quote printed when it was accepted, and the stale files are gone."""
    from solabooks.documents import quote_decisions

    quote, _ = sent_quote
    prepare = quote_decisions.prepare_acceptance

    def prepare_then_rename(**kwargs):
        prepared = prepare(**kwargs)
        Customer.objects.filter(pk=quote.customer_id).update(name="Renamed Meanwhile Ltd")
        return prepared

    monkeypatch.setattr(quote_decisions, "prepare_acceptance", prepare_then_rename)
    with django_capture_on_commit_callbacks(execute=True):
        decide(quote)
    record = AcceptanceRecord.objects.get(document=quote)
    assert "Renamed Meanwhile Ltd" in text_of(acceptance_file(record, "pdf"))
    assert "Renamed Meanwhile Ltd" in text_of(acceptance_file(record, "certificate"))
    assert stored_acceptance_files(quote.organization_id) == {
        record.pdf_name,
        record.certificate_name,
    }


def test_a_decision_refused_under_the_lock_leaves_no_files(sent_quote, monkeypatch):
    """Another decision wins between the rendering and the lock: no record, no files."""
    from solabooks.documents import quote_decisions

    quote, _ = sent_quote
    prepare = quote_decisions.prepare_acceptance

    def prepare_then_lose(**kwargs):
        prepared = prepare(**kwargs)
        assert stored_acceptance_files(quote.organization_id) == set(prepared.written)
        decide(quote, "decline")
        return prepared

    monkeypatch.setattr(quote_decisions, "prepare_acceptance", prepare_then_lose)
    with pytest.raises(DomainError):
        decide(quote)
    assert not AcceptanceRecord.objects.filter(document=quote).exists()
    assert stored_acceptance_files(quote.organization_id) == set()


def test_a_refused_accept_renders_nothing(sent_quote, monkeypatch):
    """Checks come before the rendering: a stale version or a missing name costs nothing."""
    from solabooks.documents import acceptance

    quote, _ = sent_quote
    monkeypatch.setattr(acceptance, "render_certificate", lambda *a, **k: pytest.fail("rendered"))
    for name, version in (("", quote.content_version), ("Jane", quote.content_version + 1)):
        with pytest.raises(DomainError):
            decide(quote, signer_name=name, seen_version=version)
    assert stored_acceptance_files(quote.organization_id) == set()
