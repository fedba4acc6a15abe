"""Every destructive staff button asks first (solabooks/core/confirm.py): a post without
`confirmed=yes` (no JavaScript: the page's dialog never ran) changes nothing and answers
with a page that says what will happen and carries the post along; with it, the action."""

from decimal import Decimal

import pytest
from django.urls import reverse

from solabooks.activity.services import Actor
from solabooks.documents.services import LineInput
from solabooks.portal.models import PortalAccess
from solabooks.portal.services import enable_portal_access
from solabooks.sharing.models import SecureLink
from solabooks.sharing.services import issue_link
from solabooks.tenancy.models import Membership
from tests.confirming import CONFIRMED
from tests.factories import MembershipFactory, UserFactory, make_document

pytestmark = pytest.mark.django_db


def asks(response, *words: str) -> str:
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="confirmed" value="yes"' in page
    for word in words:
        assert word in page, word
    return page


def test_void_asks_naming_the_credit_note_then_voids(owner_client, customer):
    invoice = make_document(customer=customer, state="sent")
    url = reverse("document-transition", args=[invoice.pk])
    page = asks(
        owner_client.post(url, {"action": "void"}),
        f"Void invoice {invoice.number}?",
        "Credit note CN-0001 will be issued to",
        "Void invoice</button>",
    )
    assert '<input type="hidden" name="action" value="void">' in page  # carried along
    assert reverse("document-detail", args=[invoice.pk]) in page  # Cancel goes back
    invoice.refresh_from_db()
    assert invoice.state == "sent"
    owner_client.post(url, {"action": "void", **CONFIRMED})
    invoice.refresh_from_db()
    assert invoice.state == "void"


def test_a_draft_void_and_a_sales_order_cancel_ask_too(owner_client, customer):
    draft = make_document(customer=customer)
    asks(
        owner_client.post(reverse("document-transition", args=[draft.pk]), {"action": "void"}),
        f"{draft.number} will be void",
    )
    order = make_document(customer=customer, kind="sales_order")
    url = reverse("document-transition", args=[order.pk])
    asks(owner_client.post(url, {"action": "cancel"}), f"Cancel sales order {order.number}?")
    order.refresh_from_db()
    assert order.state == "draft"


def test_actions_that_can_be_undone_do_not_ask(owner_client, customer):
    draft = make_document(customer=customer)
    url = reverse("document-transition", args=[draft.pk])
    assert owner_client.post(url, {"action": "mark_sent"}).status_code == 302


def test_reassign_asks_and_keeps_the_chosen_customer(owner_client, customer, other_customer):
    invoice = make_document(
        customer=customer, lines=[LineInput("Design", Decimal("1"), Decimal("10"))]
    )
    url = reverse("document-reassign", args=[invoice.pk])
    page = asks(
        owner_client.post(url, {"customer": other_customer.pk}), f"Re-assign {invoice.number}?"
    )
    assert f'name="customer" value="{other_customer.pk}"' in page
    invoice.refresh_from_db()
    assert invoice.customer == customer
    owner_client.post(url, {"customer": other_customer.pk, **CONFIRMED})
    invoice.refresh_from_db()
    assert invoice.customer == other_customer


def test_disable_portal_access_asks(owner_client, customer):
    enable_portal_access(customer=customer, confirmed_email=customer.email, actor=Actor.system())
    url = reverse("portal-access-disable", args=[customer.pk])
    asks(owner_client.post(url), "Disable portal access for", "Disable access</button>")
    assert PortalAccess.objects.for_customer(customer).get().state != "disabled"
    owner_client.post(url, CONFIRMED)
    assert PortalAccess.objects.for_customer(customer).get().state == "disabled"


def test_remove_member_and_revoke_key_and_links_ask(owner_client, org, customer):
    member = MembershipFactory(organization=org, user=UserFactory(), role="manager")
    asks(owner_client.post(reverse("member-remove", args=[member.pk])), "Remove member</button>")
    assert Membership.objects.filter(pk=member.pk).exists()

    from solabooks.tenancy.services import create_api_key

    key = create_api_key(organization=org, actor=Actor.system(), name="Zapier").api_key
    asks(owner_client.post(reverse("api-key-revoke", args=[key.pk])), "Revoke the API key")
    key.refresh_from_db()
    assert key.revoked_at is None

    invoice = make_document(customer=customer, state="sent")
    issue_link(document=invoice, actor=Actor.system())
    link = SecureLink.objects.get()
    asks(owner_client.post(reverse("link-revoke", args=[link.pk])), "Revoke link</button>")
    url = reverse("customer-links-revoke", args=[customer.pk])
    asks(owner_client.post(url), "Revoke all links</button>")
    link.refresh_from_db()
    assert link.revoked_at is None


def test_the_dialog_words_are_on_the_buttons(owner_client, customer):
    invoice = make_document(customer=customer, state="sent")
    page = owner_client.get(reverse("document-detail", args=[invoice.pk])).content.decode()
    assert f'data-confirm-title="Void invoice {invoice.number}?"' in page
    assert 'data-confirm-label="Void invoice"' in page
    assert "window.confirm" not in page


def test_deleting_time_and_withdrawing_a_request_ask(owner_client, org, customer):
    from solabooks.projects.models import RequestState, TimeEntry
    from tests.factories import make_project_with_time

    world = make_project_with_time(customer=customer)
    project, entry = world["project"], world["entry"]
    url = reverse("time-entry-delete", args=[project.pk, entry.pk])
    asks(owner_client.post(url), "Delete the time entry of", "Delete entry</button>")
    assert TimeEntry.objects.filter(pk=entry.pk).exists()
    owner_client.post(url, CONFIRMED)
    assert not TimeEntry.objects.filter(pk=entry.pk).exists()

    approval_request = world["approval_request"]
    url = reverse("approval-request-withdraw", args=[project.pk, approval_request.pk])
    asks(owner_client.post(url), "Withdraw this approval request?")
    approval_request.refresh_from_db()
    assert approval_request.state != RequestState.WITHDRAWN
    owner_client.post(url, CONFIRMED)
    approval_request.refresh_from_db()
    assert approval_request.state == RequestState.WITHDRAWN
