"""Adversarial tests of the project links and the rules of time: links that expire, are
revoked, reassigned or withdrawn; tokens that are tampered with or used on the wrong page;
decisions that are forged, replayed, stale, concurrent or oversized; locked entries."""

import datetime
import logging
import re
import threading
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.db import close_old_connections, connection
from django.test import Client
from django.urls import reverse

from solabooks.activity.models import Activity, Verb
from solabooks.core.errors import DomainError
from solabooks.documents.models import Document
from solabooks.documents.services import transition_document
from solabooks.mail.models import OutboxMessage
from solabooks.projects import approvals, customer_decisions, invoicing, states
from solabooks.projects.models import (
    ApprovalItem,
    ApprovalRequest,
    EntryState,
    ItemDecision,
    RequestState,
    TimeEntry,
)
from solabooks.projects.services import (
    EntryInput,
    ProjectInput,
    delete_time_entry,
    update_project,
    update_time_entry,
)
from solabooks.projects.views import links as link_views
from solabooks.sharing.models import SecureLink
from solabooks.sharing.services import LINK_LIFETIME, revoke_customer_links, revoke_link
from solabooks.sharing.views import ACCESS_REQUESTED_ANSWER, REQUEST_ACCESS_PER_LINK
from tests.confirming import CONFIRMED
from tests.factories import make_project_with_time
from tests.sharing import test_security as document_links
from tests.sharing.test_security import assert_token_headers, dump_database

from .conftest import DAY, link_path_in, log, newest_link

pytestmark = pytest.mark.django_db

AFTER_EXPIRY = datetime.timedelta(seconds=1)
# What the configured log handlers write: the document links' fixture, reused.
log_output = document_links.log_output


def token_of(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def tampered(path: str) -> str:
    """The same path with the token's last character changed."""
    return path[:-1] + ("A" if path[-1] != "A" else "B")


def link_of(path: str) -> SecureLink:
    from solabooks.sharing.selectors import hash_token

    return SecureLink.objects.get(token_hash=hash_token(token_of(path)))


def decided_state() -> dict:
    """Everything a decision or a renewal could change (views only touch last_used_at and
    add VIEWED rows, which are bookkeeping)."""
    return {
        "entries": sorted(TimeEntry.objects.values_list("pk", "state", "open_request_id")),
        "items": sorted(ApprovalItem.objects.values_list("pk", "decision", "comment")),
        "requests": sorted(ApprovalRequest.objects.values_list("pk", "state", "version")),
        "links": sorted(SecureLink.objects.values_list("pk", "revoked_at")),
        "outbox": OutboxMessage.objects.count(),
        "decisions": Activity.objects.filter(verb=Verb.TIME_DECIDED).count(),
        "mail": len(mail.outbox),
    }


def shown_of(client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200
    return page.context["shown"]


def post_decision(client, path: str, shown: str, decisions: dict, **extra):
    body = {"op": "decide", "shown": shown}
    for item, (choice, comment) in decisions.items():
        body[f"decision-{item.pk}"] = choice
        body[f"comment-{item.pk}"] = comment
    return client.post(path, body, **extra)


@pytest.fixture
def request_access(customer_client, django_capture_on_commit_callbacks):
    """request_access(path, **body) -> response, with any renewal email delivered."""

    def _ask(path: str, **body):
        with django_capture_on_commit_callbacks(execute=True):
            return customer_client.post(path, {"op": "request_access", **body})

    return _ask


# --- Expiry, revocation, reassignment, withdrawal ------------------------------------------


@pytest.mark.parametrize("kind", ["share", "approval"])
def test_a_link_works_for_exactly_24_hours_whatever_was_asked(
    kind, project, entries, share, request_approval, customer_client
):
    asked = {"requested_expiry": datetime.timedelta(days=30)}
    send = share if kind == "share" else request_approval
    result, path = send(project, **asked)
    link = link_of(path)
    assert result.expiry_overridden
    assert link.expires_at - link.created_at == LINK_LIFETIME == datetime.timedelta(hours=24)
    with time_machine.travel(link.expires_at - AFTER_EXPIRY):
        assert customer_client.get(path).status_code == 200
    with time_machine.travel(link.expires_at):
        page = customer_client.get(path)
    assert page.status_code == 410
    assert "This link has expired" in page.content.decode()


@pytest.mark.parametrize("kind", ["share", "approval"])
def test_a_revoked_link_is_dead_and_cannot_be_renewed(
    kind, project, entries, share, request_approval, customer_client, request_access, staff_actor
):
    _, path = share(project) if kind == "share" else request_approval(project)
    revoke_link(link=link_of(path), actor=staff_actor)
    page = customer_client.get(path)
    assert page.status_code == 410
    html = page.content.decode()
    assert "no longer valid" in html and "Request access" not in html
    with time_machine.travel(link_of(path).expires_at + AFTER_EXPIRY):
        before = decided_state()
        assert request_access(path).status_code == 200
        assert customer_client.get(path).status_code == 410
    assert decided_state() == before  # no fresh link, no email


def test_revoking_all_of_a_customers_links_ends_project_links_too(
    project, entries, share, request_approval, customer_client, customer, staff_actor
):
    _, share_path = share(project)
    _, approval_path = request_approval(project)
    assert revoke_customer_links(customer=customer, actor=staff_actor) == 2
    for path in (share_path, approval_path):
        assert customer_client.get(path).status_code == 410
    shown_before = customer_decisions.request_fingerprint(
        ApprovalRequest.objects.get(), list(ApprovalItem.objects.order_by("date", "id"))
    )
    before = decided_state()
    response = customer_client.post(approval_path, {"op": "approve_all", "shown": shown_before})
    assert response.status_code == 410
    assert decided_state() == before


def test_moving_the_project_to_another_customer_ends_the_old_customers_links(
    project, entries, share, request_approval, customer_client, staff_actor, other_customer,
    customer, request_access,
):  # fmt: skip
    _, share_path = share(project)
    result, approval_path = request_approval(project)
    shown = shown_of(customer_client, approval_path)
    data = ProjectInput(name=project.name, default_rate=project.default_rate)
    update_project(project=project, actor=staff_actor, data=data, customer=other_customer)
    approval_request = ApprovalRequest.objects.get(pk=result.approval_request.pk)
    assert approval_request.state == RequestState.WITHDRAWN  # the open request is withdrawn
    assert not TimeEntry.objects.filter(open_request__isnull=False).exists()
    for path in (share_path, approval_path):
        page = customer_client.get(path)
        assert page.status_code == 410 and "no longer valid" in page.content.decode()
    before = decided_state()
    response = customer_client.post(approval_path, {"op": "approve_all", "shown": shown})
    assert response.status_code == 410
    with time_machine.travel(link_of(share_path).expires_at + AFTER_EXPIRY):
        for path in (share_path, approval_path):
            assert ACCESS_REQUESTED_ANSWER in request_access(path).content.decode()
    assert decided_state() == before  # nothing renewed, nothing sent, nothing decided
    # Moving it back does not bring the old links back to life.
    update_project(project=project, actor=staff_actor, data=data, customer=customer)
    for path in (share_path, approval_path):
        assert customer_client.get(path).status_code == 410


def test_a_withdrawn_request_link_says_it_is_no_longer_valid(
    project, entries, request_approval, customer_client, staff_actor, request_access
):
    result, path = request_approval(project)
    shown = shown_of(customer_client, path)
    approvals.withdraw_approval_request(approval_request=result.approval_request, actor=staff_actor)
    page = customer_client.get(path)
    assert page.status_code == 410
    assert "This link is no longer valid" in page.content.decode()
    before = decided_state()
    assert customer_client.post(path, {"op": "approve_all", "shown": shown}).status_code == 410
    with time_machine.travel(link_of(path).expires_at + AFTER_EXPIRY):
        request_access(path)
    assert decided_state() == before
    assert set(TimeEntry.objects.values_list("state", flat=True)) == {EntryState.PENDING}


def test_a_changed_character_or_the_wrong_prefix_is_a_404(
    project, entries, share, request_approval, customer_client
):
    _, share_path = share(project)
    _, approval_path = request_approval(project)
    for path in (share_path, approval_path):
        assert customer_client.get(tampered(path)).status_code == 404
        assert customer_client.head(tampered(path)).status_code == 404
    assert customer_client.get(share_path.replace("/p/", "/t/")).status_code == 404
    assert customer_client.get(approval_path.replace("/t/", "/p/")).status_code == 404
    # Nor does a project token open a document page, or a POST get further.
    for prefix in ("/i/", "/q/"):
        assert customer_client.get(share_path.replace("/p/", prefix)).status_code == 404
    before = decided_state()
    shown = shown_of(customer_client, approval_path)
    wrong = approval_path.replace("/t/", "/p/")
    assert customer_client.post(wrong, {"op": "approve_all", "shown": shown}).status_code == 404
    assert customer_client.post(tampered(approval_path), {"op": "approve_all"}).status_code == 404
    assert decided_state() == before


def test_get_and_head_never_decide_or_renew(
    project, entries, share, request_approval, customer_client, django_capture_on_commit_callbacks
):
    _, share_path = share(project)
    _, approval_path = request_approval(project)
    shown = shown_of(customer_client, approval_path)
    item = ApprovalItem.objects.first()
    query = {"op": "approve_all", "shown": shown, f"decision-{item.pk}": "approve"}
    before = decided_state()
    with django_capture_on_commit_callbacks(execute=True):
        for method in ("get", "head"):
            assert getattr(customer_client, method)(approval_path, query).status_code == 200
            getattr(customer_client, method)(share_path, {"op": "request_access"})
        with time_machine.travel(link_of(share_path).expires_at + AFTER_EXPIRY):
            for path in (share_path, approval_path):
                for method in ("get", "head"):
                    response = getattr(customer_client, method)(path, {"op": "request_access"})
                    assert response.status_code == 410
    assert decided_state() == before
    assert not Activity.objects.filter(verb=Verb.ACCESS_REQUESTED).exists()


# --- Request access ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["share", "approval"])
def test_request_access_emails_a_fresh_link_to_the_address_on_file_only(
    kind, project, entries, share, request_approval, customer_client, customer, request_access
):
    _, path = share(project) if kind == "share" else request_approval(project)
    customer.email = "new-address@bakery.test"  # changed since the link was sent
    customer.save()
    before = len(mail.outbox)
    with time_machine.travel(link_of(path).expires_at + AFTER_EXPIRY):
        response = request_access(
            path, email="attacker@evil.test", to="attacker@evil.test", sent_to="a@evil.test"
        )
        assert response.status_code == 200
        sent = mail.outbox[before:]
        assert [message.to for message in sent] == [["new-address@bakery.test"]]
        fresh = link_path_in(sent[0])
        assert fresh != path and fresh.split("/")[2] == path.split("/")[2]  # same page
        assert customer_client.get(fresh).status_code == 200
        assert customer_client.get(path).status_code == 410  # the old one stays expired
    assert link_of(fresh).sent_to == "new-address@bakery.test"
    assert not any("evil.test" in str(m.to) for m in mail.outbox)


def _answer(response) -> str:
    """The page without what differs per request (CSRF token, CSP nonce)."""
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'nonce="[^"]+"', "", html)


def test_request_access_answers_the_same_whatever_happened(
    project, entries, share, request_approval, customer_client, staff_actor, request_access
):
    _, active = share(project)
    _, expired = share(project)
    _, revoked = share(project)
    result, withdrawn = request_approval(project, entry_ids=[entries[0].pk])
    revoke_link(link=link_of(revoked), actor=staff_actor)
    approvals.withdraw_approval_request(approval_request=result.approval_request, actor=staff_actor)
    with time_machine.travel(link_of(expired).expires_at + AFTER_EXPIRY):
        renewed = request_access(expired)
    others = [request_access(path) for path in (active, revoked, withdrawn)]
    assert renewed.status_code == 200 and ACCESS_REQUESTED_ANSWER in renewed.content.decode()
    for response in others:
        assert response.status_code == 200
        assert _answer(response) == _answer(renewed)
    outcomes = sorted(
        a.details["outcome"] for a in Activity.objects.filter(verb=Verb.ACCESS_REQUESTED)
    )
    assert outcomes == ["active", "invalid", "invalid", "renewed"]  # staff see which


def test_request_access_is_rate_limited(project, share, customer_client, customer, request_access):
    _, path = share(project)
    before = len(mail.outbox)
    with time_machine.travel(link_of(path).expires_at + AFTER_EXPIRY):
        statuses = [
            request_access(path).status_code for _ in range(REQUEST_ACCESS_PER_LINK.max_hits + 2)
        ]
    assert statuses == [200] * REQUEST_ACCESS_PER_LINK.max_hits + [429, 429]
    assert len(mail.outbox) - before == REQUEST_ACCESS_PER_LINK.max_hits


# --- Headers, tokens in the database and in logs ------------------------------------------


def test_token_headers_on_every_project_link_response(
    project, entries, share, request_approval, customer_client, staff_actor
):
    _, share_path = share(project)
    _, approval_path = request_approval(project, entry_ids=[entries[0].pk, entries[1].pk])
    _, withdrawn_path = request_approval(project, entry_ids=[entries[2].pk])
    shown = shown_of(customer_client, approval_path)
    first = ApprovalItem.objects.get(entry=entries[0])
    responses = {
        "share": customer_client.get(share_path),
        "share page 2": customer_client.get(share_path, {"page": "2"}),
        "share head": customer_client.head(share_path),
        "approval": customer_client.get(approval_path),
        "unknown share": customer_client.get(tampered(share_path)),
        "unknown approval": customer_client.get(tampered(approval_path)),
        "share under /t/": customer_client.get(share_path.replace("/p/", "/t/")),
        "approval under /p/": customer_client.get(approval_path.replace("/t/", "/p/")),
        "wrong method": customer_client.put(approval_path),
        "share unknown op": customer_client.post(share_path, {"op": "approve_all"}),
        "approval unknown op": customer_client.post(approval_path, {"op": "nonsense"}),
        "reject without comment": post_decision(
            customer_client, approval_path, shown, {first: ("reject", "")}
        ),
        "too many fields": customer_client.post(
            approval_path, {"op": "decide", **{f"decision-{n}": "approve" for n in range(10_000)}}
        ),
        "decision": post_decision(customer_client, approval_path, shown, {first: ("approve", "")}),
        "after decision": customer_client.get(approval_path),
        "request access": customer_client.post(share_path, {"op": "request_access"}),
        "csrf refused": Client(enforce_csrf_checks=True).post(approval_path, {"op": "decide"}),
    }
    for _ in range(REQUEST_ACCESS_PER_LINK.max_hits):
        responses["rate limited"] = customer_client.post(share_path, {"op": "request_access"})
    with time_machine.travel(link_of(share_path).expires_at + AFTER_EXPIRY):
        responses["expired share"] = customer_client.get(share_path)
        responses["expired approval"] = customer_client.get(approval_path)
    approvals.withdraw_approval_request(
        approval_request=link_of(withdrawn_path).approval_request, actor=staff_actor
    )
    responses["withdrawn"] = customer_client.get(withdrawn_path)
    revoke_link(link=link_of(share_path), actor=staff_actor)
    responses["revoked"] = customer_client.get(share_path)
    expected = {
        "unknown share": 404, "unknown approval": 404, "share under /t/": 404,
        "approval under /p/": 404, "wrong method": 405, "share unknown op": 400,
        "approval unknown op": 400, "reject without comment": 400, "too many fields": 400,
        "decision": 302, "rate limited": 429, "expired share": 410, "expired approval": 410,
        "withdrawn": 410, "revoked": 410, "csrf refused": 403,
    }  # fmt: skip
    for name, response in responses.items():
        assert response.status_code == expected.get(name, 200), name
        assert_token_headers(response)


def test_no_token_in_any_table_after_share_view_decision_and_renewal(
    project, entries, share, request_approval, customer_client, request_access, customer
):
    _, share_path = share(project)
    _, approval_path = request_approval(project)
    paths = [share_path, approval_path]
    customer_client.get(share_path)
    shown = shown_of(customer_client, approval_path)
    customer_client.post(approval_path, {"op": "approve_all", "shown": shown})
    customer_client.get(approval_path)
    for path in (share_path, approval_path):
        before = len(mail.outbox)
        with time_machine.travel(link_of(path).expires_at + AFTER_EXPIRY):
            request_access(path, email="x@evil.test")
        paths.append(newest_link(before, customer.email))
        customer_client.get(paths[-1])
    dump = dump_database()
    assert len(dump) > 10_000  # the dump really holds the data
    assert len(set(paths)) == 4
    for token in map(token_of, paths):
        assert token not in dump
        assert token[:24] not in dump


def test_no_token_in_any_log_line(
    project, entries, share, request_approval, caplog, log_output, monkeypatch
):
    _, share_path = share(project)
    _, approval_path = request_approval(project)
    tokens = [token_of(share_path), token_of(approval_path)]
    caplog.set_level(logging.DEBUG)
    request_logger = logging.getLogger("django.request")
    request_logger.addHandler(caplog.handler)  # it does not propagate to the root logger
    try:
        client = Client(raise_request_exception=False)
        for path in (share_path, approval_path):
            assert client.get(tampered(path)).status_code == 404
        assert client.get(share_path.replace("/p/", "/t/")).status_code == 404
        assert client.get(approval_path.replace("/t/", "/p/")).status_code == 404
        assert client.put(approval_path).status_code == 405

        def broken(*args, **kwargs):
            raise RuntimeError("the page broke")

        monkeypatch.setattr(link_views, "customer_project_context", broken)
        monkeypatch.setattr(link_views, "customer_request_context", broken)
        assert client.get(share_path).status_code == 500
        assert client.get(approval_path).status_code == 500
        csrf_client = Client(enforce_csrf_checks=True)
        assert csrf_client.post(approval_path, {"op": "decide"}).status_code == 403
    finally:
        request_logger.removeHandler(caplog.handler)
    written = log_output.getvalue()
    assert "Internal Server Error" in written and "[redacted]" in written
    for token in tokens + [tampered(t) for t in tokens]:
        assert token not in written
        assert token not in caplog.text
        for record in caplog.records:
            assert token not in record.getMessage()


# --- Decisions -----------------------------------------------------------------------------


@pytest.fixture
def other_requests(project, entries, owner, other_customer, foreign_customer, request_approval,
                   django_capture_on_commit_callbacks):  # fmt: skip
    """Open requests that are not the one on the link: another request of the same project,
    a request of another project of the same customer, of another customer, and of
    another business. Returns their items."""
    same_project, _ = request_approval(project, entry_ids=[entries[1].pk])
    with django_capture_on_commit_callbacks(execute=True):  # their emails out of the way
        sibling = make_project_with_time(customer=project.customer, staff=owner, name="Sibling")
        other = make_project_with_time(customer=other_customer, staff=owner, name="Other")
        foreign = make_project_with_time(customer=foreign_customer, name="Elsewhere")
    requests = [same_project.approval_request] + [
        work["approval_request"] for work in (sibling, other, foreign)
    ]
    return [ApprovalItem.objects.get(request=r, decision=ItemDecision.PENDING) for r in requests]


def test_a_decision_naming_items_of_other_requests_changes_nothing(
    project, entries, request_approval, customer_client, other_requests,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    _, path = request_approval(project, entry_ids=[entries[0].pk])
    own = ApprovalItem.objects.get(entry=entries[0])
    shown = shown_of(customer_client, path)
    before = decided_state()
    for foreign in other_requests:
        for decisions in (
            {foreign: ("approve", "")},
            {foreign: ("reject", "Not ours")},
            {own: ("approve", ""), foreign: ("approve", "")},  # all or nothing
        ):
            with django_capture_on_commit_callbacks(execute=True):
                response = post_decision(customer_client, path, shown, decisions, follow=True)
            assert "Unknown entry" in response.content.decode()
    assert decided_state() == before
    # Approve all approves this request's entries only, whatever else the form names.
    body = {"op": "approve_all", "shown": shown}
    body.update({f"decision-{item.pk}": "approve" for item in other_requests})
    customer_client.post(path, body)
    assert TimeEntry.objects.get(pk=entries[0].pk).state == EntryState.APPROVED
    for item in other_requests:
        item.refresh_from_db()
        assert item.decision == ItemDecision.PENDING
        assert TimeEntry.objects.get(pk=item.entry_id).state == EntryState.PENDING


def test_replaying_a_decision_changes_nothing_more_and_sends_no_second_email(
    project, entries, request_approval, customer_client, django_capture_on_commit_callbacks
):
    _, path = request_approval(project)
    shown = shown_of(customer_client, path)
    first, second, _ = ApprovalItem.objects.order_by("date", "id")
    decisions = {first: ("approve", ""), second: ("reject", "Too long")}
    with django_capture_on_commit_callbacks(execute=True):
        assert post_decision(customer_client, path, shown, decisions).status_code == 302
    notices = OutboxMessage.objects.filter(template="time_decided")
    assert decided_state()["decisions"] == 1 and notices.count() == 1
    for replay in (decisions, {first: ("reject", "Changed my mind"), second: ("approve", "")}):
        with django_capture_on_commit_callbacks(execute=True):
            response = post_decision(customer_client, path, shown, replay, follow=True)
        assert "already been decided" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        customer_client.post(path, {"op": "approve_all", "shown": shown})
    # The third entry was still waiting: approve all decides it, and nothing else.
    third = TimeEntry.objects.get(pk=entries[2].pk)
    assert third.state == EntryState.APPROVED
    assert TimeEntry.objects.get(pk=entries[0].pk).state == EntryState.APPROVED
    assert TimeEntry.objects.get(pk=entries[1].pk).customer_comment == "Too long"
    assert Activity.objects.filter(verb=Verb.TIME_DECIDED).count() == 2
    assert notices.count() == 2  # one per decision that decided something
    before = decided_state()
    with django_capture_on_commit_callbacks(execute=True):
        response = customer_client.post(path, {"op": "approve_all", "shown": shown}, follow=True)
    assert "already been decided" in response.content.decode()
    assert decided_state() == before


def test_a_decision_on_a_request_changed_since_shown_is_refused(
    project, entries, request_approval, customer_client, staff_actor
):
    result, path = request_approval(project)
    shown = shown_of(customer_client, path)
    first = ApprovalItem.objects.get(entry=entries[0])
    approvals.take_entry_out_of_request(
        approval_request=result.approval_request, entry=entries[1], actor=staff_actor
    )
    before = decided_state()
    for body in (
        {"op": "approve_all", "shown": shown},
        {"op": "decide", "shown": shown, f"decision-{first.pk}": "approve"},
    ):
        response = customer_client.post(path, body, follow=True)
        assert response.status_code == 200
        assert "changed since you opened the page" in response.content.decode()
        assert "Wireframes" not in response.content.decode()  # the page as it is now
    assert decided_state() == before


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_decisions_at_once_on_one_entry_leave_exactly_one(project, entries, request_approval):
    if connection.vendor != "postgresql":
        pytest.skip("row locks under real concurrency need PostgreSQL (SQLite serializes)")
    _, path = request_approval(project, entry_ids=[entries[0].pk])
    item = ApprovalItem.objects.get()
    shown = shown_of(Client(), path)
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def decide(choice: str) -> None:
        try:
            client = Client(REMOTE_ADDR="198.51.100.1")
            body = {"op": "decide", "shown": shown, f"decision-{item.pk}": choice}
            body[f"comment-{item.pk}"] = "No"
            barrier.wait()
            statuses.append(client.post(path, body).status_code)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=decide, args=(c,)) for c in ("approve", "reject")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302, 302]
    decision = Activity.objects.get(verb=Verb.TIME_DECIDED)  # exactly one
    item.refresh_from_db()
    entry = TimeEntry.objects.get(pk=entries[0].pk)
    expected = EntryState.APPROVED if decision.details["approved"] else EntryState.REJECTED
    assert entry.state == expected and item.decision == expected
    assert item.decision_activity_id == decision.pk
    assert OutboxMessage.objects.filter(template="time_decided").count() == 1


@pytest.mark.parametrize(
    "comment,message",
    [("x" * 1001, "at most 1000 characters"), ("Too\x00long", "NUL"), ("\x00", "NUL")],
)
def test_an_oversized_or_nul_comment_is_a_clear_400(
    project, entries, request_approval, customer_client, comment, message
):
    _, path = request_approval(project)
    shown = shown_of(customer_client, path)
    item = ApprovalItem.objects.first()
    before = decided_state()
    response = post_decision(customer_client, path, shown, {item: ("reject", comment)})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert_token_headers(response)
    assert decided_state() == before


def test_ten_thousand_or_six_hundred_decision_fields_are_a_clear_400(
    project, entries, request_approval, customer_client
):
    _, path = request_approval(project)
    shown = shown_of(customer_client, path)
    before = decided_state()
    body = {"op": "decide", "shown": shown}
    body.update({f"decision-{n}": "approve" for n in range(1, 10_001)})
    response = customer_client.post(path, body)
    assert response.status_code == 400
    assert "too large" in response.content.decode()
    assert_token_headers(response)
    # Under Django's field limit but over the form's: the page says so.
    body = {"op": "decide", "shown": shown}
    body.update({f"decision-{n}": "approve" for n in range(1, 601)})
    response = customer_client.post(path, body)
    assert response.status_code == 400
    assert "Too many entries in one decision" in response.content.decode()
    assert_token_headers(response)
    assert decided_state() == before


# --- Locked entries ------------------------------------------------------------------------


@pytest.fixture
def locked(project, entries, request_approval, staff_actor):
    """entry id -> what locks it: approved, invoiced, waiting in an open request."""
    result, _ = request_approval(project, entry_ids=[entries[0].pk, entries[1].pk])
    items = list(result.approval_request.items.order_by("date", "id"))
    customer_decisions.decide_time(
        approval_request=result.approval_request,
        decisions={item.pk: ("approve", "") for item in items},
        seen_fingerprint=customer_decisions.request_fingerprint(result.approval_request, items),
        actor=staff_actor,
    )
    log(project, staff_actor, ("4", "Approved, not invoiced"))
    request_approval(project, entry_ids=[entries[2].pk])  # waiting
    approved = TimeEntry.objects.get(description="Approved, not invoiced")
    TimeEntry.objects.filter(pk=approved.pk).update(state=EntryState.APPROVED)
    invoicing.invoice_approved_time(project=project, grouping="entry", actor=staff_actor)
    # The invoice took entries 0, 1 and the new one; approve one more, left uninvoiced.
    log(project, staff_actor, ("1", "Approved later"))
    later = TimeEntry.objects.get(description="Approved later")
    TimeEntry.objects.filter(pk=later.pk).update(state=EntryState.APPROVED)
    return {
        entries[0].pk: "Invoiced",
        later.pk: "Approved",
        entries[2].pk: "Waiting for the customer",
    }


def test_locked_entries_cannot_change_through_the_staff_pages(owner_client, owner, project, locked):
    before = sorted(TimeEntry.objects.values_list("pk", "state", "hours", "description"))
    for entry_id, reason in locked.items():
        edit = reverse("time-entry-edit", args=[project.pk, entry_id])
        assert reason in owner_client.get(edit).content.decode()
        response = owner_client.post(
            edit,
            {"date": "2026-11-09", "staff_member": owner.pk, "hours": "9",
             "description": "Changed", "billable": "on", "rate": "1"},
        )  # fmt: skip
        assert response.status_code == 400 and reason in response.content.decode()
        delete = reverse("time-entry-delete", args=[project.pk, entry_id])
        response = owner_client.post(delete, CONFIRMED, follow=True)
        assert reason in response.content.decode()
    after = sorted(TimeEntry.objects.values_list("pk", "state", "hours", "description"))
    assert after == before


def test_locked_entries_cannot_change_through_the_services(project, locked, staff_actor):
    for entry_id, reason in locked.items():
        entry = TimeEntry.objects.get(pk=entry_id)
        data = EntryInput(date=DAY, hours=Decimal("9"), description="Changed")
        with pytest.raises(states.EntryLocked, match=reason):
            update_time_entry(entry=entry, data=data, actor=staff_actor)
        with pytest.raises(states.EntryLocked, match=reason):
            delete_time_entry(entry=entry, actor=staff_actor)
        with pytest.raises(DomainError):  # nor sent again for approval
            approvals.request_time_approval(
                project=project, actor=staff_actor, entry_ids=[entry_id]
            )
    assert TimeEntry.objects.filter(description="Changed").count() == 0


def test_invoicing_twice_makes_one_invoice_and_voiding_releases(project, locked, staff_actor):
    first = Document.objects.get(kind="invoice")
    second = invoicing.invoice_approved_time(project=project, grouping="entry", actor=staff_actor)
    assert second.lines.count() == 1  # only the entry approved after the first invoice
    with pytest.raises(DomainError, match="no approved time"):
        invoicing.invoice_approved_time(project=project, grouping="entry", actor=staff_actor)
    billed = set(TimeEntry.objects.filter(invoice=first).values_list("pk", flat=True))
    transition_document(document=first, action="void", actor=staff_actor)
    released = TimeEntry.objects.filter(pk__in=billed)
    assert set(released.values_list("state", flat=True)) == {EntryState.APPROVED}
    assert not released.filter(invoice__isnull=False).exists()
    assert not released.filter(invoice_line__isnull=False).exists()
    for entry in released:  # released, still approved: still locked for editing
        with pytest.raises(states.EntryLocked, match="Approved"):
            delete_time_entry(entry=entry, actor=staff_actor)
    again = invoicing.invoice_approved_time(project=project, grouping="entry", actor=staff_actor)
    assert set(TimeEntry.objects.filter(invoice=again).values_list("pk", flat=True)) == billed
    assert Activity.objects.filter(verb=Verb.TIME_RELEASED, project=project).count() == 1
