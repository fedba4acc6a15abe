"""Revoke all links (Portal Access tab) and the links panel."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from solabooks.activity.models import Activity, Verb
from solabooks.documents.services import reassign_document, transition_document
from solabooks.sharing.models import SecureLink
from solabooks.sharing.services import invalidate_document_links, revoke_customer_links
from tests.confirming import CONFIRMED
from tests.factories import make_document

from .conftest import token_of

pytestmark = pytest.mark.django_db


def test_revoke_customer_links_revokes_every_link_of_that_customer_only(
    customer, other_customer, send, staff_actor, customer_client, org
):
    first, second = make_document(customer=customer), make_document(customer=customer)
    _, first_path = send(first)
    send(first)
    _, second_path = send(second)
    _, bobs_path = send(make_document(customer=other_customer))
    assert revoke_customer_links(customer=customer, actor=staff_actor) == 3
    assert SecureLink.objects.filter(customer=customer, revoked_at__isnull=True).count() == 0
    for path in (first_path, second_path):
        response = customer_client.get(path)
        assert response.status_code == 410
        assert "This link is no longer valid" in response.content.decode()
    assert customer_client.get(bobs_path).status_code == 200
    per_document = Activity.objects.filter(verb=Verb.LINKS_REVOKED, document__isnull=False)
    assert sorted((a.document_id, a.details["count"]) for a in per_document) == sorted(
        [(first.pk, 2), (second.pk, 1)]
    )
    on_customer = Activity.objects.get(
        verb=Verb.LINKS_REVOKED, document__isnull=True, customer=customer
    )
    assert on_customer.details["count"] == 3
    assert on_customer.actor_type == "staff"


def test_revoking_also_stops_an_expired_link_from_being_renewed(
    sent_invoice, staff_actor, customer, customer_client, django_capture_on_commit_callbacks
):
    invoice, path = sent_invoice
    link = SecureLink.objects.get(document=invoice)
    with time_machine.travel(link.expires_at + datetime.timedelta(hours=1)):
        assert revoke_customer_links(customer=customer, actor=staff_actor) == 1
        page = customer_client.get(path).content.decode()
        assert "This link is no longer valid" in page
        assert "Request access" not in page
        with django_capture_on_commit_callbacks(execute=True):
            customer_client.post(path, {"op": "request_access"})
    assert len(mail.outbox) == 1


def test_revoking_nothing_records_nothing(customer, staff_actor):
    assert revoke_customer_links(customer=customer, actor=staff_actor) == 0
    assert not Activity.objects.filter(verb=Verb.LINKS_REVOKED).exists()


def test_invalidate_document_links_is_what_reassign_and_void_use(
    customer, other_customer, send, staff_actor
):
    moved, voided = make_document(customer=customer), make_document(customer=customer)
    send(moved)
    send(voided)
    voided.refresh_from_db()
    reassign_document(document=moved, new_customer=other_customer, actor=staff_actor)
    transition_document(document=voided, action="void", actor=staff_actor)
    reasons = dict(SecureLink.objects.values_list("document_id", "revoked_reason"))
    assert reasons == {moved.pk: "reassigned", voided.pk: "void"}
    assert invalidate_document_links(document=moved, actor=staff_actor, reason="again") == 0


def test_revoke_view_revokes_and_returns_to_portal_access(
    accountant_client, sent_invoice, customer
):
    url = reverse("customer-links-revoke", args=[customer.pk])
    response = accountant_client.post(url, CONFIRMED)
    assert response.status_code == 302
    assert response["Location"] == reverse("customer-portal-access", args=[customer.pk])
    assert SecureLink.objects.get().revoked_at is not None
    page = accountant_client.get(response["Location"]).content.decode()
    assert "Revoked 1 link." in page


def test_revoke_view_is_scoped_post_only_and_staff_only(
    other_client, owner_client, client, sent_invoice, customer
):
    url = reverse("customer-links-revoke", args=[customer.pk])
    assert other_client.post(url).status_code == 404
    assert owner_client.get(url).status_code == 405
    assert client.post(url).status_code == 302  # to sign in
    assert SecureLink.objects.get().revoked_at is None


def test_links_panel_lists_active_links_never_tokens(
    owner_client, customer, other_customer, send, staff_actor
):
    active_doc = make_document(customer=customer)
    expired_doc = make_document(customer=customer)
    revoked_doc = make_document(customer=customer)
    moved_doc = make_document(customer=customer)
    with time_machine.travel(timezone.now() - datetime.timedelta(days=2)):
        send(expired_doc)
    _, active_path = send(active_doc)
    send(revoked_doc)
    invalidate_document_links(document=revoked_doc, actor=staff_actor, reason="test")
    send(moved_doc)
    reassign_document(document=moved_doc, new_customer=other_customer, actor=staff_actor)
    customer_client_page = owner_client.get(reverse("customer-portal-access", args=[customer.pk]))
    page = customer_client_page.content.decode()
    panel = page.split("<h2>Secure links</h2>", 1)[1]
    assert active_doc.number in panel
    for hidden in (expired_doc, revoked_doc, moved_doc):
        assert hidden.number not in panel
    assert token_of(active_path) not in page
    for link in SecureLink.objects.all():
        assert link.token_hash not in page
    assert "Revoke all links" in panel
    assert reverse("customer-links-revoke", args=[customer.pk]) in panel


def test_links_panel_without_links(owner_client, customer):
    page = owner_client.get(reverse("customer-portal-access", args=[customer.pk])).content
    assert b"has no active secure links" in page
    assert b"Revoke all links" not in page


def test_staff_revoke_one_link_from_the_portal_access_tab(
    sent_invoice, owner_client, customer_client
):
    invoice, path = sent_invoice
    link = SecureLink.objects.get(document=invoice)
    page = owner_client.get(reverse("customer-portal-access", args=[invoice.customer_id]))
    assert reverse("link-revoke", args=[link.pk]) in page.content.decode()
    response = owner_client.post(reverse("link-revoke", args=[link.pk]), CONFIRMED)
    assert response["Location"] == reverse("customer-portal-access", args=[invoice.customer_id])
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert customer_client.get(path).status_code == 410  # no longer valid, not renewable
