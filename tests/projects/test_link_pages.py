"""The customer's project share and time approval pages behind their links."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from solabooks.activity.models import Activity, Verb
from solabooks.projects.models import ApprovalItem, EntryState, TimeEntry
from solabooks.projects.services import ProjectInput, update_project

pytestmark = pytest.mark.django_db


def test_the_share_page_shows_the_project_and_a_get_changes_nothing(
    project, entries, share, customer_client, django_capture_on_commit_callbacks
):
    _, path = share(project)
    with django_capture_on_commit_callbacks(execute=True):
        page = customer_client.get(path)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Website redesign" in html and "Wireframes" in html and "6.75" in html
    assert page["Referrer-Policy"] and page["Cache-Control"] == "no-store"
    assert set(TimeEntry.objects.values_list("state", flat=True)) == {"pending"}


def test_visibility_hides_entries_rates_and_names(
    project, entries, share, customer_client, staff_actor, owner
):
    update_project(
        project=project,
        actor=staff_actor,
        data=ProjectInput(
            name=project.name,
            default_rate=project.default_rate,
            show_entries=False,
            show_rates=False,
            show_staff=False,
        ),
    )
    _, path = share(project)
    html = customer_client.get(path).content.decode()
    assert "Wireframes" not in html
    assert "100.00" not in html and "675" not in html
    assert owner.display_name not in html
    assert "6.75" in html  # totals still shown


def test_approval_page_approves_some_and_rejects_one_with_a_comment(
    project, entries, request_approval, customer_client, django_capture_on_commit_callbacks
):
    _, path = request_approval(project)
    page = customer_client.get(path)
    assert page.status_code == 200
    shown = page.context["shown"]
    first, second, third = ApprovalItem.objects.order_by("date")
    with django_capture_on_commit_callbacks(execute=True):
        answer = customer_client.post(
            path,
            {
                "op": "decide",
                "shown": shown,
                f"decision-{first.pk}": "approve",
                f"decision-{second.pk}": "reject",
                f"comment-{second.pk}": "We agreed on 2 hours",
                f"decision-{third.pk}": "approve",
            },
        )
    assert answer.status_code == 302 and answer["Location"] == "?"
    assert dict(TimeEntry.objects.values_list("description", "state")) == {
        "Kick-off": EntryState.APPROVED,
        "Wireframes": EntryState.REJECTED,
        "Review": EntryState.APPROVED,
    }
    notice = mail.outbox[-1]
    assert "approved 3.25 h" in notice.subject and "We agreed on 2 hours" in notice.body
    decision = Activity.objects.get(verb=Verb.TIME_DECIDED)
    assert decision.ip == "203.0.113.7"


def test_a_rejection_without_a_comment_is_a_clear_error(
    project, entries, request_approval, customer_client
):
    _, path = request_approval(project)
    shown = customer_client.get(path).context["shown"]
    item = ApprovalItem.objects.first()
    answer = customer_client.post(
        path, {"op": "decide", "shown": shown, f"decision-{item.pk}": "reject"}
    )
    assert answer.status_code == 400
    assert "say why" in answer.content.decode()
    assert set(TimeEntry.objects.values_list("state", flat=True)) == {"pending"}


def test_approve_all(project, entries, request_approval, customer_client):
    _, path = request_approval(project)
    shown = customer_client.get(path).context["shown"]
    assert customer_client.post(path, {"op": "approve_all", "shown": shown}).status_code == 302
    assert set(TimeEntry.objects.values_list("state", flat=True)) == {"approved"}


def test_get_and_head_never_decide(project, entries, request_approval, customer_client):
    _, path = request_approval(project)
    customer_client.get(path + "?op=approve_all")
    customer_client.head(path)
    assert set(TimeEntry.objects.values_list("state", flat=True)) == {"pending"}


def test_an_expired_approval_link_offers_request_access(
    project, entries, request_approval, customer_client
):
    _, path = request_approval(project)
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=24, seconds=1)):
        page = customer_client.get(path)
        assert page.status_code == 410 and "Request access" in page.content.decode()


def test_a_share_token_is_not_an_approval_token(project, share, customer_client):
    _, path = share(project)
    assert customer_client.get(path.replace("/p/", "/t/")).status_code == 404
    assert customer_client.get(path[:-1] + ("A" if path[-1] != "A" else "B")).status_code == 404


@pytest.mark.parametrize("tail", [".", ")", "%3E", "%20"])
def test_project_links_pasted_with_a_tail_still_open(
    project, entries, share, request_approval, customer_client, tail
):
    _, share_path = share(project)
    _, approval_path = request_approval(project)
    assert customer_client.get(share_path + tail).status_code == 200
    assert customer_client.get(approval_path + tail).status_code == 200
