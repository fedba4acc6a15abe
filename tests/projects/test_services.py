"""The rules of time, through the services: locking, decisions, invoicing, voiding."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from solabooks.activity.models import Activity, Verb
from solabooks.core.errors import DomainError
from solabooks.documents.models import Document
from solabooks.documents.services import transition_document
from solabooks.projects import approvals, customer_decisions, invoicing, selectors, states
from solabooks.projects.models import (
    ApprovalRequest,
    EntryState,
    ItemDecision,
    RequestState,
    TimeEntry,
)
from solabooks.projects.services import (
    EntryInput,
    delete_time_entry,
    update_time_entry,
)

from .conftest import DAY, customer_actor, log

pytestmark = pytest.mark.django_db


def decide(result, decisions=None, *, approve_all=False, fingerprint=None):
    approval_request = ApprovalRequest.objects.get(pk=result.approval_request.pk)
    items = list(approval_request.items.order_by("date", "id"))
    return customer_decisions.decide_time(
        approval_request=approval_request,
        decisions=decisions or {},
        approve_all=approve_all,
        seen_fingerprint=fingerprint
        or customer_decisions.request_fingerprint(approval_request, items),
        actor=customer_actor(result.link),
    )


def items_of(result):
    return list(result.approval_request.items.order_by("date", "id"))


def test_logging_several_entries_takes_the_project_rate_and_records_one_activity(project, entries):
    assert [e.rate for e in entries] == [Decimal("100")] * 3
    assert all(e.state == EntryState.PENDING for e in entries)
    logged = Activity.objects.filter(project=project, verb=Verb.TIME_LOGGED).get()
    assert logged.details["entries"] == [e.pk for e in entries]
    assert logged.details["hours"] == "6.75"


@pytest.mark.parametrize("hours", ["0", "-1", "24.01", "1.001"])
def test_bad_hours_are_refused_and_nothing_is_stored(project, staff_actor, hours):
    with pytest.raises(DomainError):
        log(project, staff_actor, ("1", "fine"), (hours, "bad"))
    assert not TimeEntry.objects.filter(project=project).exists()


def test_request_locks_entries_and_withdraw_unlocks_them(
    project, entries, staff_actor, request_approval
):
    result, _ = request_approval(project)
    entry = TimeEntry.objects.get(pk=entries[0].pk)
    assert entry.open_request_id == result.approval_request.pk
    with pytest.raises(states.EntryLocked, match="Waiting for the customer"):
        update_time_entry(
            entry=entry,
            data=EntryInput(date=DAY, hours=Decimal("9"), description="changed"),
            actor=staff_actor,
        )
    with pytest.raises(states.EntryLocked):
        delete_time_entry(entry=entry, actor=staff_actor)
    approvals.withdraw_approval_request(approval_request=result.approval_request, actor=staff_actor)
    delete_time_entry(entry=entry, actor=staff_actor)
    assert not TimeEntry.objects.filter(pk=entry.pk).exists()


def test_approve_some_reject_one_then_invoice_exactly_the_approved_time(
    project, entries, staff_actor, request_approval
):
    result, _ = request_approval(project)
    first, second, third = items_of(result)
    decision = decide(
        result,
        {first.pk: ("approve", ""), second.pk: ("reject", "Too long"), third.pk: ("approve", "")},
    )
    assert decision.approved_hours == Decimal("3.25")
    states_now = dict(TimeEntry.objects.values_list("pk", "state"))
    assert states_now == {
        entries[0].pk: "approved",
        entries[1].pk: "rejected",
        entries[2].pk: "approved",
    }
    assert TimeEntry.objects.get(pk=entries[1].pk).customer_comment == "Too long"
    assert (
        ApprovalRequest.objects.get(pk=result.approval_request.pk).state == RequestState.COMPLETED
    )
    invoice = invoicing.invoice_approved_time(
        project=project, grouping=invoicing.PER_ENTRY, actor=staff_actor
    )
    assert invoice.state == "draft" and invoice.customer_id == project.customer_id
    lines = list(invoice.lines.order_by("position"))
    assert [(line.quantity, line.unit_price) for line in lines] == [
        (Decimal("2"), Decimal("100")),
        (Decimal("1.25"), Decimal("100")),
    ]
    assert invoice.subtotal == Decimal("325")
    assert {e.invoice_line_id for e in TimeEntry.objects.filter(state="invoiced")} == {
        line.pk for line in lines
    }
    with pytest.raises(DomainError, match="no approved time"):
        invoicing.invoice_approved_time(project=project, grouping="entry", actor=staff_actor)


def test_approved_and_invoiced_entries_are_locked_everywhere(
    project, entries, staff_actor, request_approval
):
    result, _ = request_approval(project, entry_ids=[entries[0].pk])
    decide(result, approve_all=True)
    approved = TimeEntry.objects.get(pk=entries[0].pk)
    for action in ("edit", "delete", "submit"):
        assert not states.can(approved, action)
    with pytest.raises(states.EntryLocked, match="Approved"):
        delete_time_entry(entry=approved, actor=staff_actor)
    invoicing.invoice_approved_time(project=project, grouping="day", actor=staff_actor)
    invoiced = TimeEntry.objects.get(pk=entries[0].pk)
    with pytest.raises(states.EntryLocked, match="Invoiced"):
        update_time_entry(
            entry=invoiced,
            data=EntryInput(date=DAY, hours=Decimal("1"), description="x"),
            actor=staff_actor,
        )


def test_voiding_the_invoice_releases_its_time(project, entries, staff_actor, request_approval):
    result, _ = request_approval(project)
    decide(result, approve_all=True)
    invoice = invoicing.invoice_approved_time(
        project=project, grouping="staff_rate", actor=staff_actor
    )
    assert invoice.lines.count() == 1
    transition_document(document=invoice, action="void", actor=staff_actor)
    assert set(TimeEntry.objects.values_list("state", flat=True)) == {"approved"}
    assert not TimeEntry.objects.filter(invoice__isnull=False).exists()
    again = invoicing.invoice_approved_time(project=project, grouping="entry", actor=staff_actor)
    assert again.pk != invoice.pk and again.lines.count() == 3


def test_a_rejection_needs_a_comment(project, entries, request_approval):
    result, _ = request_approval(project)
    with pytest.raises(DomainError, match="say why"):
        decide(result, {items_of(result)[0].pk: ("reject", "  ")})
    assert set(TimeEntry.objects.values_list("state", flat=True)) == {"pending"}


def test_a_decision_on_an_older_version_is_refused(project, entries, staff_actor, request_approval):
    result, _ = request_approval(project)
    approval_request = result.approval_request
    seen = customer_decisions.request_fingerprint(approval_request, items_of(result))
    approvals.take_entry_out_of_request(
        approval_request=approval_request, entry=entries[1], actor=staff_actor
    )
    with pytest.raises(DomainError) as refused:
        decide(result, approve_all=True, fingerprint=seen)
    assert refused.value.code == "stale"
    assert set(TimeEntry.objects.values_list("state", flat=True)) == {"pending"}


def test_item_ids_outside_the_request_change_nothing(
    project, entries, staff_actor, request_approval, org, other_customer
):
    result, _ = request_approval(project, entry_ids=[entries[0].pk])
    other, _ = request_approval(project, entry_ids=[entries[1].pk])
    foreign_item = items_of(other)[0]
    with pytest.raises(DomainError) as refused:
        decide(result, {foreign_item.pk: ("approve", "")})
    assert refused.value.code == "not_found"
    assert set(TimeEntry.objects.values_list("state", flat=True)) == {"pending"}


def test_approving_200_entries_is_a_flat_number_of_queries(
    project, staff_actor, request_approval, django_assert_max_num_queries
):
    rows = [("0.5", f"Task {n}") for n in range(100)]
    log(project, staff_actor, *rows)
    small, _ = request_approval(project)
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        decide(small, approve_all=True)
    log(project, staff_actor, *rows)
    log(project, staff_actor, *rows)
    big, _ = request_approval(project)
    assert big.approval_request.items.count() == 200
    with CaptureQueriesContext(connection) as many:
        decide(big, approve_all=True)
    assert len(many) == len(few)
    assert TimeEntry.objects.filter(state="approved").count() == 300


def test_a_decision_is_recorded_with_what_was_shown(project, entries, request_approval):
    result, _ = request_approval(project)
    decide(result, {items_of(result)[0].pk: ("approve", "")})
    record = Activity.objects.get(project=project, verb=Verb.TIME_DECIDED)
    assert record.ip == "203.0.113.7" and record.user_agent == "Mozilla/5.0 (Customer)"
    assert [row["hours"] for row in record.details["shown"]] == ["2", "3.5", "1.25"]
    assert record.details["approved"] == [entries[0].pk]
    item = result.approval_request.items.order_by("date").first()
    assert item.decision == ItemDecision.APPROVED and item.decision_activity_id == record.pk


def test_budget_burn_counts_everything_but_rejected_time(project, entries):
    totals = selectors.time_totals(project)
    burns = {burn.label: burn for burn in selectors.budget_burn(project, totals)}
    assert burns["Hours"].used == Decimal("6.75") and burns["Hours"].level == "ok"
    assert burns["Amount"].used == Decimal("675.00")


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_invoicings_make_one_invoice(org, customer, owner):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serializes writers; the PostgreSQL run proves the row lock")
    from solabooks.activity.services import Actor
    from solabooks.projects.services import ProjectInput, create_project

    actor = Actor(type="staff", user=owner, label=owner.email)
    project = create_project(
        organization=org, customer=customer, actor=actor,
        data=ProjectInput(name="Race", default_rate=Decimal("50")),
    )  # fmt: skip
    log(project, actor, ("1", "a"), ("2", "b"))
    TimeEntry.objects.update(state="approved")
    barrier = threading.Barrier(2)
    outcomes = []

    def click():
        barrier.wait()
        try:
            invoicing.invoice_approved_time(project=project, grouping="entry", actor=actor)
            outcomes.append("invoice")
        except DomainError:
            outcomes.append("nothing left")
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["invoice", "nothing left"]
    assert Document.objects.filter(kind="invoice").count() == 1


def test_an_invoice_of_project_time_cannot_move_to_another_customer(
    project, entries, staff_actor, request_approval, other_customer
):
    from solabooks.documents.services import reassign_document

    result, _ = request_approval(project)
    decide(result, approve_all=True)
    invoice = invoicing.invoice_approved_time(project=project, grouping="entry", actor=staff_actor)
    with pytest.raises(DomainError, match="void it to release the time"):
        reassign_document(document=invoice, new_customer=other_customer, actor=staff_actor)
    assert Document.objects.get(pk=invoice.pk).customer_id == project.customer_id


def test_a_project_does_not_move_to_a_customer_billed_in_another_currency(
    project, org, staff_actor
):
    from solabooks.projects.services import ProjectInput, update_project
    from tests.factories import CustomerFactory

    euro_customer = CustomerFactory(organization=org, currency="EUR")
    with pytest.raises(DomainError, match="billed in EUR"):
        update_project(
            project=project,
            customer=euro_customer,
            actor=staff_actor,
            data=ProjectInput(name=project.name, default_rate=project.default_rate),
        )
    project.refresh_from_db()
    assert project.customer.currency == "USD"
