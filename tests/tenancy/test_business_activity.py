"""Settings, member and API-key changes land in the business's Activity with who did them."""

import pytest

from solabooks.activity.models import Activity, Verb
from solabooks.activity.services import Actor
from solabooks.tenancy import services

pytestmark = pytest.mark.django_db


def verbs(org):
    return list(Activity.objects.for_org(org).values_list("verb", flat=True))


def test_settings_member_and_key_changes_are_recorded(org, owner):
    actor = Actor(type="staff", user=owner, label=owner.email)
    services.update_organization(organization=org, actor=actor, brand_colour="#123456")
    added = services.add_member(
        organization=org, actor=actor, email="new.person@example.test", role="manager"
    )
    services.change_member_role(membership=added.membership, actor=actor, role="accountant")
    services.remove_member(membership=added.membership, actor=actor)
    key = services.create_api_key(organization=org, actor=actor, name="Sync")
    services.revoke_api_key(api_key=key.api_key, actor=actor)

    assert set(verbs(org)) >= {
        Verb.SETTINGS_CHANGED, Verb.MEMBER_ADDED, Verb.MEMBER_ROLE_CHANGED,
        Verb.MEMBER_REMOVED, Verb.API_KEY_CREATED, Verb.API_KEY_REVOKED,
    }  # fmt: skip
    created = Activity.objects.for_org(org).get(verb=Verb.API_KEY_CREATED)
    assert created.actor_user == owner
    assert key.raw_key not in str(created.details)


def test_changes_of_one_business_never_show_in_another(org, other_org, owner):
    actor = Actor(type="staff", user=owner, label=owner.email)
    services.update_organization(organization=org, actor=actor, name="Renamed Ltd")
    assert verbs(other_org) == []
