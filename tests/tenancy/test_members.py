import pytest
from django.urls import reverse

from solabooks.activity.services import Actor
from solabooks.core.errors import DomainError
from solabooks.tenancy.models import Membership, Role, User
from solabooks.tenancy.services import add_member, change_member_role, remove_member
from tests.confirming import CONFIRMED
from tests.conftest import signed_in
from tests.factories import TEST_PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

STRONG = "plum-orchard-velvet-42"


def membership_of(user, org) -> Membership:
    return Membership.objects.get(user=user, organization=org)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_members_page_lists_members_with_roles(owner_client, owner, manager, accountant):
    html = owner_client.get(reverse("member-list")).content.decode()
    for user in (owner, manager, accountant):
        assert user.email in html
    assert 'value="manager" selected' in html


def test_members_page_lists_only_this_business(owner_client, other_owner):
    assert other_owner.email not in owner_client.get(reverse("member-list")).content.decode()


# Adding -------------------------------------------------------------------------------------


def test_add_an_existing_user(owner_client, org, other_owner):
    response = owner_client.post(
        reverse("member-list"), {"email": other_owner.email.upper(), "role": "accountant"}
    )
    assert response.status_code == 302
    assert membership_of(other_owner, org).role == Role.ACCOUNTANT


def test_add_a_new_person_without_password_emails_them_a_link_to_choose_one(
    owner_client, org, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            reverse("member-list"), {"email": "new@acme.test", "role": "manager"}, follow=True
        )
    user = User.objects.get(email="new@acme.test")
    assert not user.has_usable_password()
    assert membership_of(user, org).role == Role.MANAGER
    assert any("We emailed new@acme.test a link" in m for m in messages_of(response))
    (message,) = mailoutbox
    assert message.to == ["new@acme.test"]
    assert "You were added to Acme Ltd on Solabooks" in message.subject
    assert "/finance/password/setup/" in message.body


def test_add_a_new_person_with_an_initial_password(owner_client, org):
    owner_client.post(
        reverse("member-list"), {"email": "new@acme.test", "role": "manager", "password": STRONG}
    )
    user = User.objects.get(email="new@acme.test")
    assert user.check_password(STRONG)
    assert signed_in_with(user.email, STRONG)


def signed_in_with(email: str, password: str) -> bool:
    from django.test import Client

    return Client().login(email=email, password=password)


@pytest.mark.parametrize("password", ["short", "password1234", "123456789012", "new@acme.test1"])
def test_weak_initial_passwords_are_refused(owner_client, password):
    response = owner_client.post(
        reverse("member-list"), {"email": "new@acme.test", "role": "manager", "password": password}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["password"]
    assert not User.objects.filter(email="new@acme.test").exists()


def test_an_owner_cannot_set_the_password_of_an_existing_account(owner_client, org, other_owner):
    """other_owner runs another business: an owner here must not take over that account."""
    response = owner_client.post(
        reverse("member-list"),
        {"email": other_owner.email, "role": "owner", "password": STRONG},
    )
    assert response.status_code == 200
    assert "keeps its own password" in str(response.context["form"].non_field_errors())
    other_owner.refresh_from_db()
    assert other_owner.check_password(TEST_PASSWORD)
    assert not Membership.objects.filter(user=other_owner, organization=org).exists()


def test_adding_a_member_twice_is_an_error(owner_client, manager):
    response = owner_client.post(reverse("member-list"), {"email": manager.email, "role": "owner"})
    assert response.status_code == 200
    assert "already a member" in str(response.context["form"].non_field_errors())


@pytest.mark.parametrize(
    "data",
    [
        {"email": "x" * 10_000 + "@acme.test", "role": "manager"},
        {"email": "not-an-email", "role": "manager"},
        {"email": "new@acme.test", "role": "superuser"},
        {"email": "new@acme.test", "role": "manager", "password": "x" * 10_000},
    ],
)
def test_bad_member_input_is_a_form_error(owner_client, data):
    response = owner_client.post(reverse("member-list"), data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not User.objects.filter(email="new@acme.test").exists()


# Roles and removal --------------------------------------------------------------------------


def test_change_a_role(owner_client, org, manager):
    member = membership_of(manager, org)
    response = owner_client.post(reverse("member-role", args=[member.pk]), {"role": "accountant"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.role == Role.ACCOUNTANT


def test_bad_role_is_refused(owner_client, org, manager):
    member = membership_of(manager, org)
    response = owner_client.post(reverse("member-role", args=[member.pk]), {"role": "god"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.role == Role.MANAGER


def test_remove_a_member(owner_client, org, manager):
    member = membership_of(manager, org)
    assert (
        owner_client.post(reverse("member-remove", args=[member.pk]), CONFIRMED).status_code == 302
    )
    assert not Membership.objects.filter(pk=member.pk).exists()
    assert User.objects.filter(pk=manager.pk).exists()


def test_the_last_owner_cannot_be_demoted(owner_client, org, owner):
    member = membership_of(owner, org)
    response = owner_client.post(
        reverse("member-role", args=[member.pk]), {"role": "manager"}, follow=True
    )
    assert any("only owner" in m for m in messages_of(response))
    member.refresh_from_db()
    assert member.role == Role.OWNER


def test_the_last_owner_cannot_be_removed(owner_client, org, owner):
    member = membership_of(owner, org)
    response = owner_client.post(reverse("member-remove", args=[member.pk]), CONFIRMED, follow=True)
    assert any("only owner" in m for m in messages_of(response))
    assert Membership.objects.filter(pk=member.pk).exists()


def test_with_two_owners_one_may_step_down(owner_client, org, owner):
    MembershipFactory(organization=org, role=Role.OWNER)
    member = membership_of(owner, org)
    response = owner_client.post(reverse("member-role", args=[member.pk]), {"role": "manager"})
    # Now a manager, they can no longer see the members page.
    assert response["Location"] == reverse("dashboard")
    member.refresh_from_db()
    assert member.role == Role.MANAGER
    assert owner_client.get(reverse("member-list")).status_code == 403


def test_last_owner_rule_holds_in_the_services(org, owner):
    member = membership_of(owner, org)
    with pytest.raises(DomainError):
        change_member_role(membership=member, actor=Actor.system(), role=Role.ACCOUNTANT)
    with pytest.raises(DomainError):
        remove_member(membership=member, actor=Actor.system())
    with pytest.raises(DomainError):
        add_member(organization=org, actor=Actor.system(), email="a@b.test", role="admin")


@pytest.mark.parametrize("name", ["member-role", "member-remove"])
def test_another_business_member_is_404(owner_client, other_org, other_owner, name):
    member = membership_of(other_owner, other_org)
    response = owner_client.post(reverse(name, args=[member.pk]), {"role": "accountant"})
    assert response.status_code == 404
    member.refresh_from_db()
    assert member.role == Role.OWNER


@pytest.mark.parametrize("client_fixture", ["manager_client", "accountant_client"])
@pytest.mark.parametrize("name", ["member-role", "member-remove"])
def test_managers_and_accountants_cannot_change_members(request, org, owner, client_fixture, name):
    member = membership_of(owner, org)
    client = request.getfixturevalue(client_fixture)
    assert client.post(reverse(name, args=[member.pk]), {"role": "manager"}).status_code == 403
    member.refresh_from_db()
    assert member.role == Role.OWNER


def test_member_actions_are_post_only(owner_client, org, manager):
    member = membership_of(manager, org)
    assert owner_client.get(reverse("member-remove", args=[member.pk])).status_code == 405


# Several businesses -------------------------------------------------------------------------


@pytest.fixture
def two_business_user(org, other_org):
    user = UserFactory()
    MembershipFactory(user=user, organization=org, role=Role.MANAGER)
    MembershipFactory(user=user, organization=other_org, role=Role.OWNER)
    return user


def test_the_switcher_moves_between_own_businesses(two_business_user, org, other_org):
    client = signed_in(two_business_user)
    html = client.get(reverse("dashboard")).content.decode()
    assert 'name="organization"' in html and other_org.name in html
    response = client.post(reverse("switch-organization"), {"organization": other_org.pk})
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).context["organization"] == other_org
    client.post(reverse("switch-organization"), {"organization": org.pk})
    assert client.get(reverse("dashboard")).context["organization"] == org


@pytest.mark.parametrize("wanted", ["foreign", "junk", "missing"])
def test_switching_to_a_business_you_do_not_belong_to_is_refused(
    owner_client, org, other_org, wanted
):
    value = {"foreign": other_org.pk, "junk": "abc", "missing": 999999}[wanted]
    response = owner_client.post(
        reverse("switch-organization"), {"organization": value}, follow=True
    )
    assert "You are not a member of that business." in messages_of(response)
    assert response.context["organization"] == org


def test_a_forged_session_cannot_choose_another_business(owner_client, org, other_org, customer):
    from solabooks.tenancy.middleware import SESSION_KEY

    session = owner_client.session
    session[SESSION_KEY] = other_org.pk
    session.save()
    response = owner_client.get(reverse("customer-list"))
    assert response.wsgi_request.organization == org
    assert response.context["organization"] == org
    assert owner_client.session[SESSION_KEY] == org.pk


def test_removed_members_fall_back_to_their_other_business(two_business_user, org, other_org):
    client = signed_in(two_business_user)
    client.post(reverse("switch-organization"), {"organization": org.pk})
    membership_of(two_business_user, org).delete()
    assert client.get(reverse("dashboard")).context["organization"] == other_org
