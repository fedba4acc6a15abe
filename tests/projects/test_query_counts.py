"""Query counts do not grow with the number of entries: the staff project page and the
customer's share page are paged, and approving a whole request is one POST of a fixed
number of queries, however many entries it holds.

Each comparison runs the same page on a small and a large project whose newest entries are
in every state (invoiced, approved, rejected, waiting in an open request, pending), so a
query per row, or per state, would show as a difference."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from solabooks.core.pagecache import clear_all_page_caches
from solabooks.projects import approvals, customer_decisions, invoicing, selectors
from solabooks.projects.models import (
    ApprovalItem,
    ApprovalRequest,
    EntryState,
    ItemDecision,
    RequestState,
    TimeEntry,
)
from solabooks.projects.services import EntryInput, ProjectInput, add_time_entries, create_project
from solabooks.projects.views.staff import ENTRIES_PER_PAGE

from .conftest import DAY, customer_actor

pytestmark = pytest.mark.django_db

SHOWN = re.compile(r'name="shown" value="([0-9a-f]{64})"')


def new_project(org, customer, actor, name: str):
    return create_project(
        organization=org,
        customer=customer,
        actor=actor,
        data=ProjectInput(name=name, budget_hours=Decimal("5000"), default_rate=Decimal("90")),
    )


def log_many(project, actor, count: int) -> list[TimeEntry]:
    """`count` entries, ten a day from DAY on, oldest first (100 per call, the limit)."""
    rows = [
        EntryInput(
            date=DAY + datetime.timedelta(days=n // 10),
            hours=Decimal("0.5"),
            description=f"Task {n}",
        )
        for n in range(count)
    ]
    made: list[TimeEntry] = []
    for start in range(0, count, 100):
        made += add_time_entries(project=project, entries=rows[start : start + 100], actor=actor)
    return made


def decide(result, *, approve=(), reject=()) -> None:
    approval_request = result.approval_request
    items = {item.entry_id: item for item in selectors.request_items(approval_request)}
    decisions = {items[entry.pk].pk: ("approve", "") for entry in approve}
    decisions |= {items[entry.pk].pk: ("reject", "Not agreed") for entry in reject}
    customer_decisions.decide_time(
        approval_request=approval_request,
        decisions=decisions,
        seen_fingerprint=customer_decisions.request_fingerprint(
            approval_request, list(items.values())
        ),
        actor=customer_actor(result.link),
    )


def time_in_every_state(project, actor, count: int) -> None:
    """`count` entries; the newest twenty invoiced, approved, rejected and waiting, the rest
    pending."""
    newest = log_many(project, actor, count)[-20:]

    def send(entries):
        return approvals.request_time_approval(
            project=project, actor=actor, entry_ids=[entry.pk for entry in entries]
        )

    decide(send(newest[:8]), approve=newest[:8])
    invoicing.invoice_approved_time(project=project, grouping=invoicing.PER_ENTRY, actor=actor)
    decide(send(newest[8:16]), approve=newest[8:12], reject=newest[12:16])
    send(newest[16:])
    states = set(TimeEntry.objects.filter(project=project).values_list("state", flat=True))
    assert states == set(EntryState.values)


@pytest.fixture
def small_and_large(org, customer, staff_actor, django_capture_on_commit_callbacks):
    # The requests' and decisions' emails go now, not with the first link a test reads.
    with django_capture_on_commit_callbacks(execute=True):
        small = new_project(org, customer, staff_actor, "Small")
        time_in_every_state(small, staff_actor, 20)
        large = new_project(org, customer, staff_actor, "Large")
        time_in_every_state(large, staff_actor, 2000)
    return small, large


def queries_of(get) -> tuple[int, object]:
    get()  # sessions, the CSRF cookie and the like settle on a first request
    clear_all_page_caches()  # the measured view renders the page
    with CaptureQueriesContext(connection) as queries:
        page = get()
    assert page.status_code == 200
    return len(queries), page


def test_the_staff_project_page_is_paged_and_its_queries_do_not_grow(small_and_large, owner_client):
    small, large = small_and_large
    few, small_page = queries_of(
        lambda: owner_client.get(reverse("project-detail", args=[small.pk]))
    )
    many, large_page = queries_of(
        lambda: owner_client.get(reverse("project-detail", args=[large.pk]))
    )
    assert len(small_page.context["page"].object_list) == 20
    large_rows = large_page.context["page"]
    assert len(large_rows.object_list) == ENTRIES_PER_PAGE
    assert large_rows.paginator.count == 2000
    assert many == few
    # Further pages cost the same.
    last = large_rows.paginator.num_pages
    later, _ = queries_of(
        lambda: owner_client.get(reverse("project-detail", args=[large.pk]), {"page": last})
    )
    assert later == few


def test_the_share_page_is_paged_and_its_queries_do_not_grow(
    small_and_large, share, customer_client
):
    small, large = small_and_large
    _, small_path = share(small)
    _, large_path = share(large)
    few, small_page = queries_of(lambda: customer_client.get(small_path))
    many, large_page = queries_of(lambda: customer_client.get(large_path))
    assert small_page.content.decode().count("Task ") == 20
    html = large_page.content.decode()
    assert html.count("Task ") == selectors.CUSTOMER_ENTRIES_PER_PAGE
    assert "Task 1999" in html and "Task 1949" not in html
    assert many == few


def approval_request_of(project, actor, request_approval, count: int) -> str:
    log_many(project, actor, count)
    result, path = request_approval(project)
    assert result.approval_request.items.count() == count
    return path


def test_approving_all_200_entries_on_the_link_page_is_as_many_queries_as_5(
    org,
    customer,
    staff_actor,
    request_approval,
    customer_client,
    django_capture_on_commit_callbacks,
):
    five = approval_request_of(
        new_project(org, customer, staff_actor, "Five"), staff_actor, request_approval, 5
    )
    two_hundred = approval_request_of(
        new_project(org, customer, staff_actor, "Many"), staff_actor, request_approval, 200
    )

    def approve_all(path) -> int:
        page = customer_client.get(path)
        shown = SHOWN.search(page.content.decode()).group(1)
        with (
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks(execute=True),  # the business's email too
        ):
            answer = customer_client.post(path, {"op": "approve_all", "shown": shown})
        assert answer.status_code == 302 and answer["Location"] == "?"
        return len(queries)

    few = approve_all(five)
    many = approve_all(two_hundred)
    assert TimeEntry.objects.filter(state=EntryState.APPROVED).count() == 205
    assert not TimeEntry.objects.filter(open_request__isnull=False).exists()
    assert set(ApprovalItem.objects.values_list("decision", flat=True)) == {ItemDecision.APPROVED}
    assert set(ApprovalRequest.objects.values_list("state", flat=True)) == {RequestState.COMPLETED}
    assert many == few


def test_the_approval_page_with_200_entries_is_as_many_queries_as_with_5(
    org, customer, staff_actor, request_approval, customer_client
):
    five = approval_request_of(
        new_project(org, customer, staff_actor, "Five"), staff_actor, request_approval, 5
    )
    two_hundred = approval_request_of(
        new_project(org, customer, staff_actor, "Many"), staff_actor, request_approval, 200
    )
    few, small_page = queries_of(lambda: customer_client.get(five))
    many, large_page = queries_of(lambda: customer_client.get(two_hundred))
    assert small_page.content.decode().count('value="approve"') == 5
    assert large_page.content.decode().count('value="approve"') == 200
    assert many == few
