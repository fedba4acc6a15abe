"""The portal's Projects section: the customer's projects the business shows in the portal,
the project page (the share link's partial) and time approval (the approval link's form and
service), scoped like every portal page."""

import dataclasses
import datetime
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from solabooks.activity.models import Activity, Verb
from solabooks.activity.services import Actor
from solabooks.core.errors import DomainError
from solabooks.documents.services import reassign_document, transition_document
from solabooks.portal.services import disable_portal_access
from solabooks.projects import approvals, customer_decisions
from solabooks.projects.invoicing import invoice_approved_time
from solabooks.projects.models import ApprovalItem, EntryState, TimeEntry
from solabooks.projects.selectors import CUSTOMER_ENTRIES_PER_PAGE
from solabooks.projects.services import (
    PROJECT_FIELDS,
    EntryInput,
    ProjectInput,
    add_time_entries,
    create_project,
    update_project,
)

from .conftest import DASHBOARD, LOGIN

pytestmark = pytest.mark.django_db

BASE = "/finance/customer-portal"
PROJECTS = f"{BASE}/projects/"
DAY = datetime.date(2026, 11, 2)
SHOWN = re.compile(r'name="shown" value="([0-9a-f]{64})"')


def project_url(project) -> str:
    return f"{BASE}/projects/{project.pk}/"


def approval_url(approval_request) -> str:
    return f"{BASE}/approvals/{approval_request.pk}/"


def make_project(customer, actor, name="Website redesign", **fields):
    data = {"budget_hours": Decimal("40"), "default_rate": Decimal("100"), **fields}
    data.setdefault("portal_visible", True)
    return create_project(
        organization=customer.organization,
        customer=customer,
        actor=actor,
        data=ProjectInput(name=name, **data),
    )


def edit(project, actor, **changes):
    data = ProjectInput(**{name: getattr(project, name) for name in PROJECT_FIELDS})
    return update_project(project=project, actor=actor, data=dataclasses.replace(data, **changes))


def log(project, actor, *rows):
    return add_time_entries(
        project=project,
        actor=actor,
        entries=[
            EntryInput(date=DAY + datetime.timedelta(days=n), hours=Decimal(h), description=d)
            for n, (h, d) in enumerate(rows)
        ],
    )


def states() -> dict:
    return dict(TimeEntry.objects.values_list("description", "state"))


@pytest.fixture
def project(customer, staff_actor):
    return make_project(customer, staff_actor)


@pytest.fixture
def entries(project, staff_actor):
    return log(project, staff_actor, ("2", "Kick-off"), ("3.5", "Wireframes"), ("1.25", "Review"))


@pytest.fixture
def ask(deliver, staff_actor):
    """ask(project, entry_ids=None) -> the open ApprovalRequest (its emails delivered)."""

    def _ask(project, **kwargs):
        sent, _ = deliver(
            approvals.request_time_approval, project=project, actor=staff_actor, **kwargs
        )
        return sent.approval_request

    return _ask


def shown_on(client, approval_request) -> str:
    response = client.get(approval_url(approval_request))
    assert response.status_code == 200
    return SHOWN.search(response.content.decode())[1]


# --- Navigation and the list ------------------------------------------------------------


def test_every_customer_has_projects_in_the_nav_with_an_empty_state(portal, customer):
    assert f'href="{PROJECTS}"' in portal.get(DASHBOARD).content.decode()
    page = portal.get(PROJECTS)
    assert page.status_code == 200
    html = page.content.decode()
    assert "has not shared any projects with you yet" in html
    assert f'href="{PROJECTS}" aria-current="page"' in html


def test_the_list_shows_only_this_customers_visible_projects(
    portal, customer, other_customer, foreign_customer, staff_actor, entries, project
):
    hidden = make_project(customer, staff_actor, name="Internal audit", portal_visible=False)
    bobs = make_project(other_customer, staff_actor, name="Garage signage")
    foreign = make_project(foreign_customer, Actor.system(), name="Elsewhere rebrand")
    html = portal.get(PROJECTS).content.decode()
    assert f'href="{project_url(project)}"' in html and "Website redesign" in html
    for other in (hidden, bobs, foreign):
        assert other.name not in html and f'href="{project_url(other)}"' not in html
    # Status and budget burn: 6.75 of 40 hours.
    assert "Active" in html and "6.75" in html and "Hours: 17%" in html


def test_the_list_follows_changes_at_once(portal, customer, staff_actor, project, entries, ask):
    assert "Website redesign" in portal.get(PROJECTS).content.decode()  # cached from here
    ask(project)
    assert "1 request waiting for your approval" in portal.get(PROJECTS).content.decode()
    edit(project, staff_actor, portal_visible=False)
    assert "Website redesign" not in portal.get(PROJECTS).content.decode()
    assert portal.get(project_url(project)).status_code == 404


# --- The project page -------------------------------------------------------------------


def test_the_project_page_renders_the_shared_view_and_records_the_view(
    portal, customer, project, entries, staff_actor, owner
):
    response = portal.get(project_url(project))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Website redesign" in html and "Wireframes" in html and "6.75" in html
    assert owner.display_name in html and "100.00" in html
    assert 'aria-current="page">Projects' in html
    assert response["Cache-Control"] == "no-store"
    view = Activity.objects.get(project=project, verb=Verb.VIEWED)
    assert view.actor_type == "portal" and view.actor_label == "jane@bakery.test"
    assert view.customer_id == customer.pk and view.ip == "203.0.113.7"


def test_visibility_settings_decide_what_the_page_shows(
    portal, project, entries, staff_actor, owner
):
    edit(project, staff_actor, show_rates=False, show_staff=False)
    html = portal.get(project_url(project)).content.decode()
    assert "Wireframes" in html
    assert owner.display_name not in html and "100.00" not in html and "675" not in html
    edit(project, staff_actor, show_entries=False)
    html = portal.get(project_url(project)).content.decode()
    assert "Wireframes" not in html and "6.75" in html  # totals only


def test_related_invoices_open_in_the_portal_and_drafts_are_not_listed(
    portal, customer, project, entries, ask, staff_actor
):
    request = ask(project)
    customer_decisions.decide_time(
        approval_request=request,
        decisions={},
        approve_all=True,
        seen_fingerprint=customer_decisions.request_fingerprint(request, list(request.items.all())),
        actor=staff_actor,
    )
    invoice = invoice_approved_time(project=project, grouping="entry", actor=staff_actor)
    assert invoice.number not in portal.get(project_url(project)).content.decode()  # a draft
    transition_document(document=invoice, action="mark_sent", actor=staff_actor)
    html = portal.get(project_url(project)).content.decode()
    assert f'<a href="{BASE}/documents/{invoice.pk}/">{invoice.number}</a>' in html
    assert portal.get(f"{BASE}/documents/{invoice.pk}/").status_code == 200


def test_an_invoice_of_project_time_stays_with_the_projects_customer(
    portal, customer, other_customer, project, entries, ask, staff_actor
):
    request = ask(project)
    customer_decisions.decide_time(
        approval_request=request,
        decisions={},
        approve_all=True,
        seen_fingerprint=customer_decisions.request_fingerprint(request, list(request.items.all())),
        actor=staff_actor,
    )
    invoice = invoice_approved_time(project=project, grouping="entry", actor=staff_actor)
    invoice = transition_document(document=invoice, action="mark_sent", actor=staff_actor)
    assert invoice.number in portal.get(project_url(project)).content.decode()
    # It cannot be re-assigned to another customer (who did not approve the time), so the
    # project page never lists another customer's invoice.
    with pytest.raises(DomainError, match="void it to release the time"):
        reassign_document(document=invoice, new_customer=other_customer, actor=staff_actor)
    assert invoice.number in portal.get(project_url(project)).content.decode()


def test_the_project_page_costs_the_same_queries_however_many_entries(
    portal, project, staff_actor, ask
):
    log(project, staff_actor, ("1", "First"), ("2", "Second"))
    ask(project)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = portal.get(project_url(project), {"page": 2})
        assert response.status_code == 200
        return len(captured)

    few = queries()
    for chunk in range(3):  # 150 entries, in calls of 50
        log(project, staff_actor, *[("0.5", f"Task {chunk}.{n}") for n in range(50)])
    ask(project)
    many = queries()
    assert few == many <= 14, (few, many)
    assert CUSTOMER_ENTRIES_PER_PAGE == 50
    html = portal.get(project_url(project), {"page": 2}).content.decode()
    assert "Page 2 of 4" in html


def test_the_list_costs_the_same_queries_however_many_projects(portal, customer, staff_actor):
    def queries() -> int:
        portal.get(DASHBOARD)  # the setup page's flashed message, shown once
        with CaptureQueriesContext(connection) as captured:
            response = portal.get(PROJECTS, {"page": "x"})
        assert response.status_code == 200
        return len(captured)

    log(make_project(customer, staff_actor, name="Project 0"), staff_actor, ("1", "Work"))
    few = queries()
    for n in range(1, 30):
        log(make_project(customer, staff_actor, name=f"Project {n}"), staff_actor, ("1", "W"))
    many = queries()
    assert few == many, (few, many)


# --- Time approval ----------------------------------------------------------------------


def test_open_requests_show_on_the_dashboard_and_the_project_page(portal, project, entries, ask):
    request = ask(project)
    for url in (DASHBOARD, project_url(project)):
        assert f'href="{approval_url(request)}"' in portal.get(url).content.decode()


def test_approve_some_and_reject_one_with_a_comment(
    portal, customer, project, entries, ask, django_capture_on_commit_callbacks, org
):
    request = ask(project)
    shown = shown_on(portal, request)
    first, second, third = ApprovalItem.objects.order_by("date")
    before = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        answer = portal.post(
            approval_url(request),
            {
                "op": "decide",
                "shown": shown,
                f"decision-{first.pk}": "approve",
                f"decision-{second.pk}": "reject",
                f"comment-{second.pk}": "We agreed on 2 hours",
                f"decision-{third.pk}": "approve",
            },
        )
    assert answer.status_code == 302 and answer["Location"] == approval_url(request)
    assert states() == {
        "Kick-off": EntryState.APPROVED,
        "Wireframes": EntryState.REJECTED,
        "Review": EntryState.APPROVED,
    }
    decision = Activity.objects.get(verb=Verb.TIME_DECIDED)
    assert decision.actor_type == "portal" and decision.actor_label == "jane@bakery.test"
    assert decision.ip == "203.0.113.7" and decision.user_agent == "Mozilla/5.0 (Customer)"
    assert decision.details["portal_access_id"] == customer.portal_access.pk
    assert decision.details["rejected"][0]["comment"] == "We agreed on 2 hours"
    notices = [m for m in mail.outbox[before:] if m.to == [org.reply_to_email]]
    assert len(notices) == 1
    assert "approved 3.25 h" in notices[0].subject and "We agreed on 2 hours" in notices[0].body
    # The page as it is now: decided, thank you, nothing left to decide.
    page = portal.get(approval_url(request)).content.decode()
    assert "You have approved 3.25 hours and rejected 1 entry" in page
    assert "Every entry has been decided" in page and "Send my decisions" not in page
    assert f'href="{approval_url(request)}"' not in portal.get(DASHBOARD).content.decode()


def test_approve_all(portal, project, entries, ask):
    request = ask(project)
    shown = shown_on(portal, request)
    answer = portal.post(approval_url(request), {"op": "approve_all", "shown": shown})
    assert answer.status_code == 302
    assert set(states().values()) == {EntryState.APPROVED}


def test_a_rejection_without_a_comment_is_a_400_with_the_message(portal, project, entries, ask):
    request = ask(project)
    item = ApprovalItem.objects.first()
    answer = portal.post(
        approval_url(request),
        {"op": "decide", "shown": shown_on(portal, request), f"decision-{item.pk}": "reject"},
    )
    assert answer.status_code == 400
    assert "say why you reject an entry" in answer.content.decode()
    assert set(states().values()) == {EntryState.PENDING}


@pytest.mark.parametrize(
    "data",
    [
        {"op": "approve_all"},
        {"op": "approve_all", "shown": "x" * 64},
        {"op": "nothing", "shown": "0" * 64},
        {"op": "decide", "shown": "0" * 64, "decision-1": "maybe"},
        {},
    ],
)
def test_malformed_decisions_are_clear_errors_and_change_nothing(
    portal, project, entries, ask, data
):
    request = ask(project)
    assert portal.post(approval_url(request), data).status_code == 400
    assert set(states().values()) == {EntryState.PENDING}


def test_get_and_head_never_decide(portal, project, entries, ask):
    request = ask(project)
    shown = shown_on(portal, request)
    portal.get(approval_url(request), {"op": "approve_all", "shown": shown})
    portal.head(approval_url(request))
    assert set(states().values()) == {EntryState.PENDING}
    for method in ("put", "patch", "delete"):
        assert getattr(portal, method)(approval_url(request)).status_code == 405


def test_a_stale_page_is_refused_and_shows_the_request_as_it_is_now(
    portal, project, entries, ask, staff_actor
):
    request = ask(project)
    shown = shown_on(portal, request)
    approvals.take_entry_out_of_request(
        approval_request=request, entry=entries[1], actor=staff_actor
    )
    answer = portal.post(approval_url(request), {"op": "approve_all", "shown": shown}, follow=True)
    assert answer.redirect_chain == [(approval_url(request), 302)]
    html = answer.content.decode()
    assert "changed since you opened the page" in html
    assert "Wireframes" not in html  # the request as it is now
    assert set(states().values()) == {EntryState.PENDING}
    assert not Activity.objects.filter(verb=Verb.TIME_DECIDED).exists()


def test_a_decided_entry_cannot_be_decided_again(portal, project, entries, ask):
    request = ask(project)
    shown = shown_on(portal, request)
    item = ApprovalItem.objects.order_by("date").first()
    portal.post(
        approval_url(request), {"op": "decide", "shown": shown, f"decision-{item.pk}": "approve"}
    )
    answer = portal.post(
        approval_url(request),
        {
            "op": "decide",
            "shown": shown,
            f"decision-{item.pk}": "reject",
            f"comment-{item.pk}": "No",
        },
        follow=True,
    )
    assert "already been decided" in answer.content.decode()
    assert states()["Kick-off"] == EntryState.APPROVED


# --- Scoping: nothing of anyone else, by any id -----------------------------------------


@pytest.fixture
def strangers(other_customer, foreign_customer, other_org, staff_actor, deliver):
    """A visible project with an open request at another customer of Acme and at Rival's."""
    found = []
    for owner, actor in (
        (other_customer, staff_actor),
        (foreign_customer, Actor.system("Rival")),
    ):
        project = make_project(owner, actor, name=f"{owner.name} project")
        log(project, actor, ("4", f"{owner.name} work"))
        sent, _ = deliver(approvals.request_time_approval, project=project, actor=actor)
        found.append((project, sent.approval_request))
    return found


def test_another_customers_projects_and_requests_are_not_found(
    portal, project, entries, ask, strangers
):
    mine = ask(project)
    shown = shown_on(portal, mine)
    for project_, request in strangers:
        assert portal.get(project_url(project_)).status_code == 404
        assert portal.get(approval_url(request)).status_code == 404
        item = request.items.get()
        fingerprint = customer_decisions.request_fingerprint(request, [item])
        for data in (
            {"op": "approve_all", "shown": fingerprint},
            {"op": "decide", "shown": fingerprint, f"decision-{item.pk}": "approve"},
        ):
            assert portal.post(approval_url(request), data).status_code == 404
        # Their item ids, posted on my own request's page: refused, nothing changes.
        answer = portal.post(
            approval_url(mine),
            {"op": "decide", "shown": shown, f"decision-{item.pk}": "approve"},
            follow=True,
        )
        assert "Unknown entry" in answer.content.decode()
    assert set(states().values()) == {EntryState.PENDING}
    assert not Activity.objects.filter(verb=Verb.TIME_DECIDED).exists()
    assert not Activity.objects.filter(
        actor_type="portal", project__in=[p for p, _ in strangers]
    ).exists()


def test_a_project_not_shown_in_the_portal_and_its_requests_are_not_found(
    portal, project, entries, ask, staff_actor
):
    request = ask(project)
    shown = shown_on(portal, request)
    edit(project, staff_actor, portal_visible=False)
    assert portal.get(project_url(project)).status_code == 404
    assert portal.get(approval_url(request)).status_code == 404
    answer = portal.post(approval_url(request), {"op": "approve_all", "shown": shown})
    assert answer.status_code == 404
    assert set(states().values()) == {EntryState.PENDING}
    assert f'href="{approval_url(request)}"' not in portal.get(DASHBOARD).content.decode()


def test_a_project_moved_to_another_customer_leaves_with_its_requests(
    portal, project, entries, ask, staff_actor, other_customer
):
    request = ask(project)
    update_project(
        project=project,
        actor=staff_actor,
        customer=other_customer,
        data=ProjectInput(**{name: getattr(project, name) for name in PROJECT_FIELDS}),
    )
    assert portal.get(project_url(project)).status_code == 404
    assert portal.get(approval_url(request)).status_code == 404
    assert "Website redesign" not in portal.get(PROJECTS).content.decode()


def test_made_up_ids_are_not_found(portal, project):
    for pk in [0, 999999, 2**63 - 1, "9" * 40]:
        assert portal.get(f"{BASE}/projects/{pk}/").status_code == 404
        assert portal.get(f"{BASE}/approvals/{pk}/").status_code == 404
        assert portal.post(f"{BASE}/approvals/{pk}/", {"op": "approve_all"}).status_code == 404
    assert portal.get(f"{BASE}/projects/abc/").status_code == 404


def test_a_disabled_access_is_refused(portal, customer, project, entries, ask, staff_actor):
    request = ask(project)
    shown = shown_on(portal, request)
    disable_portal_access(customer=customer, actor=staff_actor)
    answer = portal.post(approval_url(request), {"op": "approve_all", "shown": shown})
    assert answer.status_code == 302 and answer["Location"] == LOGIN
    assert set(states().values()) == {EntryState.PENDING}
    for url in (PROJECTS, project_url(project), approval_url(request)):
        response = portal.get(url)
        assert response.status_code == 302 and response["Location"] == LOGIN


def test_signed_out_visitors_are_sent_to_sign_in(client, project, entries, ask):
    request = ask(project)
    for url in (PROJECTS, project_url(project), approval_url(request)):
        assert client.get(url)["Location"] == LOGIN
    assert client.post(approval_url(request), {"op": "approve_all"})["Location"] == LOGIN
    assert set(states().values()) == {EntryState.PENDING}


def test_junk_page_numbers_are_a_page(portal, project, entries):
    for junk in ["abc", "0", "-4", "99999", "9" * 5000]:
        assert portal.get(project_url(project), {"page": junk}).status_code == 200
        assert portal.get(PROJECTS, {"page": junk}).status_code == 200


def test_a_withdrawn_request_shows_as_such_and_decides_nothing(
    portal, project, entries, ask, staff_actor
):
    request = ask(project)
    shown = shown_on(portal, request)
    approvals.withdraw_approval_request(approval_request=request, actor=staff_actor)
    answer = portal.post(approval_url(request), {"op": "approve_all", "shown": shown}, follow=True)
    html = answer.content.decode()
    assert "withdrawn by the business" in html and "Send my decisions" not in html
    assert set(states().values()) == {EntryState.PENDING}


def test_a_decision_needs_the_pages_csrf_token(portal, project, entries, ask):
    request = ask(project)
    page = portal.get(approval_url(request)).content.decode()
    shown = SHOWN.search(page)[1]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    portal.handler.enforce_csrf_checks = True
    forged = portal.post(approval_url(request), {"op": "approve_all", "shown": shown})
    assert forged.status_code == 403
    assert set(states().values()) == {EntryState.PENDING}
    answer = portal.post(
        approval_url(request),
        {"op": "approve_all", "shown": shown, "csrfmiddlewaretoken": token},
        # What a browser sends from its own same-origin page: its Origin.
        HTTP_ORIGIN="http://testserver",
    )
    assert answer.status_code == 302
    assert set(states().values()) == {EntryState.APPROVED}
