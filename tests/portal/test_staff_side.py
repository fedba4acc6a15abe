"""Staff side: Enable Portal Access (after confirming the email), Resend, Disable, the
email-change hook, the Portal Access panel, and who may do what."""

import pytest
from django.core import mail

from solabooks.activity.models import Activity, Verb
from solabooks.activity.services import Actor
from solabooks.core.errors import DomainError
from solabooks.customers.services import update_customer
from solabooks.portal.models import AccessState, PortalAccess, PortalToken, PortalUser
from solabooks.portal.services import (
    disable_portal_access,
    enable_portal_access,
    on_customer_email_changed,
    resend_portal_setup,
)
from tests.confirming import CONFIRMED
from tests.factories import CustomerFactory

from .conftest import DASHBOARD, customer_browser, portal_link_in

pytestmark = pytest.mark.django_db


def panel_url(customer) -> str:
    return f"/finance/customers/{customer.pk}/portal-access/"


def action_url(customer, action: str) -> str:
    return f"/finance/customers/{customer.pk}/portal/{action}/"


# --- Services ------------------------------------------------------------------------------


def test_enable_needs_the_email_on_file_confirmed(customer, staff_actor):
    for typed in ["", "someone@else.test", "jane@bakery.tes"]:
        with pytest.raises(DomainError, match="does not match the one on file"):
            enable_portal_access(customer=customer, confirmed_email=typed, actor=staff_actor)
    assert not PortalAccess.objects.exists() and mail.outbox == []


def test_enable_invites_and_records_it(customer, staff_actor, deliver):
    access, sent = deliver(
        enable_portal_access,
        customer=customer,
        confirmed_email=" JANE@bakery.test ",
        actor=staff_actor,
    )
    assert access.state == AccessState.INVITED
    assert access.changed_by == staff_actor.user and access.changed_by_label == staff_actor.label
    assert access.portal_user.email == "jane@bakery.test"
    assert [m.to for m in sent] == [["jane@bakery.test"]]
    verbs = list(
        Activity.objects.for_customer(customer).order_by("id").values_list("verb", flat=True)
    )
    assert verbs == [Verb.PORTAL_ENABLED, Verb.PORTAL_SETUP_SENT, Verb.EMAIL_DELIVERED]


def test_enable_twice_is_refused(customer, staff_actor, invite):
    invite(customer)
    with pytest.raises(DomainError, match="Resend setup email"):
        enable_portal_access(customer=customer, confirmed_email=customer.email, actor=staff_actor)


def test_enabling_an_email_that_has_a_password_grants_access_and_sends_a_notice(
    set_up, customer, other_org, other_owner, deliver
):
    set_up(customer)
    elsewhere = CustomerFactory(organization=other_org, email="jane@bakery.test")
    actor = Actor(type="staff", user=other_owner, label=other_owner.email)
    access, sent = deliver(
        enable_portal_access, customer=elsewhere, confirmed_email="jane@bakery.test", actor=actor
    )
    assert access.state == AccessState.ACTIVE
    assert PortalUser.objects.count() == 1  # one person, one password
    assert not PortalToken.objects.filter(access=access).exists()  # no second setup
    (notice,) = sent
    assert notice.subject == "Rival Inc gave you access to their customer portal"
    assert "/finance/customer-portal/login" in notice.body
    assert "/setup/" not in notice.body


def test_resend_sends_a_new_link_only_for_a_pending_invitation(
    customer, staff_actor, deliver, set_up
):
    with pytest.raises(DomainError):
        resend_portal_setup(customer=customer, actor=staff_actor)
    set_up(customer)
    with pytest.raises(DomainError, match="no pending invitation"):
        resend_portal_setup(customer=customer, actor=staff_actor)


def test_staff_setup_emails_are_rate_limited_per_customer(customer, staff_actor, invite, deliver):
    invite(customer)
    for _ in range(4):
        deliver(resend_portal_setup, customer=customer, actor=staff_actor)
    with pytest.raises(DomainError, match="Too many portal emails"):
        resend_portal_setup(customer=customer, actor=staff_actor)


def test_disable_bumps_the_epoch_and_records_it(portal, customer, staff_actor):
    before = PortalAccess.objects.get().session_epoch
    access = disable_portal_access(customer=customer, actor=staff_actor)
    assert access.state == AccessState.DISABLED and access.session_epoch == before + 1
    assert Activity.objects.for_customer(customer).filter(verb=Verb.PORTAL_DISABLED).exists()
    with pytest.raises(DomainError):
        disable_portal_access(customer=customer, actor=staff_actor)


def test_re_enable_after_disable_for_an_existing_account_is_immediate(
    portal, customer, staff_actor, deliver
):
    disable_portal_access(customer=customer, actor=staff_actor)
    access, sent = deliver(
        enable_portal_access, customer=customer, confirmed_email=customer.email, actor=staff_actor
    )
    assert access.state == AccessState.ACTIVE
    assert "gave you access" in sent[0].subject


def test_an_email_change_disables_access_and_asks_staff_to_enable_again(
    portal, customer, staff_actor
):
    change = update_customer(
        customer=customer,
        actor=staff_actor,
        name=customer.name,
        email="jane@new-bakery.test",
        currency=customer.currency,
    )
    assert any("Enable Portal Access again" in notice for notice in change.notices)
    access = PortalAccess.objects.get()
    assert access.state == AccessState.DISABLED
    disabled = Activity.objects.for_customer(customer).get(verb=Verb.PORTAL_DISABLED)
    assert disabled.details["reason"] == "email changed"
    # And the signed-in customer is out on the next request.
    assert portal.get(DASHBOARD).status_code == 302


def test_the_email_change_hook_is_quiet_when_nothing_is_on(customer, staff_actor):
    assert on_customer_email_changed(customer=customer, actor=staff_actor) is None


def test_an_invitation_is_disabled_by_an_email_change_too(customer, staff_actor, invite):
    path = invite(customer)
    customer.email = "jane@new-bakery.test"
    customer.save()
    assert on_customer_email_changed(customer=customer, actor=staff_actor)
    assert customer_browser().get(path).status_code == 410


# --- Staff pages ---------------------------------------------------------------------------


def test_the_panel_shows_enable_with_the_email_to_confirm(owner_client, customer):
    page = owner_client.get(panel_url(customer)).content.decode()
    assert "Enable Portal Access" in page
    assert "jane@bakery.test" in page
    assert 'name="confirm_email"' in page
    assert "Disable" not in page and "Resend setup email" not in page


@pytest.mark.parametrize("role_client", ["owner_client", "manager_client", "accountant_client"])
def test_every_role_can_enable_resend_and_disable(
    request, role_client, customer, django_capture_on_commit_callbacks
):
    client = request.getfixturevalue(role_client)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            action_url(customer, "enable"), {"confirm_email": "jane@bakery.test"}
        )
    assert response.status_code == 302 and response["Location"] == panel_url(customer)
    page = client.get(panel_url(customer)).content.decode()
    assert "setup link was emailed to jane@bakery.test" in page
    assert "Invited" in page and "Resend setup email" in page and "Disable" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(action_url(customer, "resend"))
    assert len(mail.outbox) == 2
    client.post(action_url(customer, "disable"), CONFIRMED)
    page = client.get(panel_url(customer)).content.decode()
    assert "Disabled" in page and "Enable Portal Access again" in page
    access = PortalAccess.objects.get()
    assert access.state == AccessState.DISABLED
    assert f"by {access.changed_by_label}" in page


def test_a_wrong_confirmation_is_an_error_message_not_a_500(owner_client, customer):
    response = owner_client.post(
        action_url(customer, "enable"), {"confirm_email": "other@bakery.test"}, follow=True
    )
    assert "does not match the one on file" in response.content.decode()
    response = owner_client.post(
        action_url(customer, "enable"), {"confirm_email": "x" * 300}, follow=True
    )
    assert "to confirm it" in response.content.decode()
    assert not PortalAccess.objects.exists()


def test_the_panel_shows_active_with_when_and_by_whom(owner_client, portal, customer):
    page = owner_client.get(panel_url(customer)).content.decode()
    assert "Active" in page and "jane@bakery.test" in page
    assert "Changed" in page and "Disable" in page
    assert "Resend setup email" not in page


def test_another_business_cannot_touch_our_customers_access(other_client, customer, portal):
    for action in ["enable", "resend", "disable"]:
        response = other_client.post(
            action_url(customer, action), {"confirm_email": customer.email}
        )
        assert response.status_code == 404
    assert PortalAccess.objects.get().state == AccessState.ACTIVE


def test_actions_are_post_only_and_need_staff(client, owner_client, customer):
    assert owner_client.get(action_url(customer, "disable")).status_code == 405
    response = client.post(action_url(customer, "enable"), {"confirm_email": customer.email})
    assert response.status_code == 302 and "/finance/login/" in response["Location"]
    assert not PortalAccess.objects.exists()


def test_the_setup_link_in_the_email_from_the_panel_works(
    owner_client, customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(action_url(customer, "enable"), {"confirm_email": customer.email})
    assert portal_link_in(mail.outbox[-1], "setup").startswith("/finance/customer-portal/setup/")
