"""The customer's project and approval pages are rendered once per version of what they
show and served from memory after that: each answer still carries its own CSRF token and
CSP nonce, and every change (a decision, an entry taken out, time logged) shows at once.

Changes run with their on-commit work (`django_capture_on_commit_callbacks`), as a
request's does: the business's data version moves after the commit."""

import re
from decimal import Decimal

import pytest

from solabooks.projects import approvals
from solabooks.projects.models import ApprovalItem, ItemDecision
from solabooks.projects.services import EntryInput, add_time_entries

from .conftest import DAY

pytestmark = pytest.mark.django_db

SHOWN = re.compile(r'name="shown" value="([0-9a-f]{64})"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
NONCE = re.compile(r'<style nonce="([^"]+)"')


def shown_in(page) -> str:
    return SHOWN.search(page.content.decode()).group(1)


def test_each_answer_of_a_cached_page_has_its_own_token_and_nonce(
    project, entries, request_approval, customer_client, client
):
    _, path = request_approval(project)
    first, second = customer_client.get(path), client.get(path)
    assert first.status_code == second.status_code == 200
    for page in (first, second):
        html = page.content.decode()
        nonce = NONCE.search(html).group(1)
        assert f"'nonce-{nonce}'" in page["Content-Security-Policy"]
        assert len(set(CSRF.findall(html))) == 1
    assert NONCE.search(first.content.decode()).group(1) != NONCE.search(
        second.content.decode()
    ).group(1)
    assert CSRF.findall(first.content.decode())[0] != CSRF.findall(second.content.decode())[0]
    # Both posts are accepted: each page's token matches its own cookie.
    answer = client.post(path, {"op": "approve_all", "shown": shown_in(second)})
    assert answer.status_code == 302


def test_a_decision_shows_on_the_page_at_once(
    project, entries, request_approval, customer_client, django_capture_on_commit_callbacks
):
    _, path = request_approval(project)
    before = customer_client.get(path)
    assert before.content.decode().count('value="approve"') == 3
    item = ApprovalItem.objects.order_by("date").first()
    with django_capture_on_commit_callbacks(execute=True):
        customer_client.post(
            path, {"op": "decide", "shown": shown_in(before), f"decision-{item.pk}": "approve"}
        )
    customer_client.get(path)  # shows the thank-you message (rendered for this answer only)
    after = customer_client.get(path).content.decode()
    assert after.count('value="approve"') == 2
    assert f'name="decision-{item.pk}"' not in after


def test_an_entry_taken_out_leaves_the_page_and_the_old_page_cannot_decide(
    project, entries, request_approval, customer_client, staff_actor
):
    result, path = request_approval(project)
    before = customer_client.get(path)
    item = ApprovalItem.objects.order_by("date").first()
    approvals.take_entry_out_of_request(
        approval_request=result.approval_request, entry=item.entry, actor=staff_actor
    )
    after = customer_client.get(path)
    assert f'name="decision-{item.pk}"' not in after.content.decode()
    assert shown_in(after) != shown_in(before)
    stale = customer_client.post(path, {"op": "approve_all", "shown": shown_in(before)})
    assert stale.status_code == 302
    assert not ApprovalItem.objects.filter(decision=ItemDecision.APPROVED).exists()


def test_time_logged_after_a_view_shows_on_the_share_page(
    project, entries, share, customer_client, staff_actor, django_capture_on_commit_callbacks
):
    _, path = share(project)
    assert "Sitemap" not in customer_client.get(path).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        add_time_entries(
            project=project,
            actor=staff_actor,
            entries=[EntryInput(date=DAY, hours=Decimal("1"), description="Sitemap")],
        )
    assert "Sitemap" in customer_client.get(path).content.decode()
