"""Project share (/p/) and time approval (/t/) links opened with a staff session of the
same business are previews (issue 14, item 5): PREVIEWED, not the customer's view, a
banner, no decision; staff of another business are any visitor; the caches keep apart."""

import pytest

from solabooks.activity.models import Activity, ActorType, Verb
from solabooks.projects.models import TimeEntry

pytestmark = pytest.mark.django_db

BANNER = "You are previewing what the customer sees"


def access_verbs(project) -> list[str]:
    return list(
        Activity.objects.filter(project=project, verb__in=[Verb.VIEWED, Verb.PREVIEWED])
        .order_by("id")
        .values_list("verb", flat=True)
    )


@pytest.fixture(params=["share", "approval"])
def link_path(request, project, entries):
    fixture = "share" if request.param == "share" else "request_approval"
    _, path = request.getfixturevalue(fixture)(project)
    return path


def test_staff_of_the_business_preview_a_project_link(project, link_path, owner, owner_client):
    page = owner_client.get(link_path)
    assert page.status_code == 200 and BANNER in page.content.decode()
    assert access_verbs(project) == [Verb.PREVIEWED]
    row = Activity.objects.get(project=project, verb=Verb.PREVIEWED)
    assert row.actor_type == ActorType.STAFF and row.actor_user_id == owner.pk


def test_the_customer_views_a_project_link(project, link_path, customer_client):
    assert BANNER not in customer_client.get(link_path).content.decode()
    assert access_verbs(project) == [Verb.VIEWED]


def test_staff_of_another_business_view_as_any_visitor(project, link_path, other_client):
    assert BANNER not in other_client.get(link_path).content.decode()
    assert access_verbs(project) == [Verb.VIEWED]


def test_project_link_caches_keep_the_banner_to_staff(link_path, owner_client, customer_client):
    for _ in range(2):
        assert BANNER in owner_client.get(link_path).content.decode()
        assert BANNER not in customer_client.get(link_path).content.decode()


def test_staff_cannot_approve_time_for_the_customer(
    project, entries, request_approval, owner_client, customer_client
):
    _, path = request_approval(project)
    shown = customer_client.get(path).context["shown"]
    assert owner_client.post(path, {"op": "approve_all", "shown": shown}).status_code == 302
    assert "Staff cannot decide for the customer here" in owner_client.get(path).content.decode()
    assert set(TimeEntry.objects.values_list("state", flat=True)) == {"pending"}
    assert customer_client.post(path, {"op": "approve_all", "shown": shown}).status_code == 302
    assert set(TimeEntry.objects.values_list("state", flat=True)) == {"approved"}
