"""Projects and time through the staff API: projects, time entries (one or many per call,
hours as strings), locked entries (409), share and request-approval (202, never a token),
invoicing approved time (201, then 409), activity, scoping and Idempotency-Key replays."""

import datetime
import re
from decimal import Decimal

import pytest

from solabooks.activity.models import Activity, Verb
from solabooks.activity.services import Actor
from solabooks.api.schema import openapi_schema
from solabooks.documents.models import Document
from solabooks.projects import approvals, customer_decisions, states
from solabooks.projects.models import ApprovalRequest, Project, TimeEntry
from solabooks.projects.services import EntryInput, ProjectInput, add_time_entries, create_project
from solabooks.sharing.models import SecureLink
from solabooks.sharing.services import LINK_LIFETIME

from .conftest import API

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 2)
TOKEN_IN_URL = re.compile(r"/finance/[pt]/([A-Za-z0-9_\-]{20,})")
REPLAYED = "Idempotent-Replayed"


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def staff(owner) -> Actor:
    return Actor(type="staff", user=owner, label=owner.email)


def make_project(org, customer, staff, name="Website redesign", **values) -> Project:
    values.setdefault("default_rate", Decimal("100"))
    return create_project(
        organization=org, customer=customer, actor=staff, data=ProjectInput(name=name, **values)
    )


def log(project, staff, *hours: str) -> list[TimeEntry]:
    return add_time_entries(
        project=project,
        actor=staff,
        entries=[
            EntryInput(date=DAY + datetime.timedelta(days=n), hours=Decimal(h), description=f"#{n}")
            for n, h in enumerate(hours)
        ],
    )


def approve(project, entries) -> None:
    """The customer approves these entries, as on the approval page."""
    sent = approvals.request_time_approval(
        project=project,
        actor=Actor(type="staff", label="setup"),
        entry_ids=[entry.pk for entry in entries],
    )
    approval_request = sent.approval_request
    items = list(approval_request.items.order_by("date", "id"))
    customer_decisions.decide_time(
        approval_request=approval_request,
        decisions={item.pk: ("approve", "") for item in items},
        seen_fingerprint=customer_decisions.request_fingerprint(approval_request, items),
        actor=Actor(type="link", label="customer"),
    )


@pytest.fixture
def project(org, customer, staff) -> Project:
    return make_project(org, customer, staff, budget_hours=Decimal("10"))


@pytest.fixture
def entries(project, staff) -> list[TimeEntry]:
    return log(project, staff, "2", "3.5", "1.25")


def url(project, rest: str = "") -> str:
    return f"{API}/projects/{project.pk}/{rest}"


def entry_url(entry) -> str:
    return f"{API}/projects/{entry.project_id}/time-entries/{entry.pk}/"


def row(**changes) -> dict:
    return {"date": "2026-11-09", "hours": "1.5", "description": "Design", **changes}


# --- Projects ------------------------------------------------------------------------------


def test_create_a_project_and_read_it_with_totals_and_burn(api, customer):
    body = {
        "customer": customer.pk,
        "name": "  Shop   rebuild ",
        "budget_hours": "20",
        "budget_amount": "1500.5",
        "default_rate": "95.5",
        "show_rates": False,
    }
    response = api.post(f"{API}/projects/", body, format="json")
    assert response.status_code == 201, response.content
    answer = response.json()
    project = Project.objects.get(pk=answer["id"])
    assert project.name == "Shop rebuild" and project.show_rates is False
    assert answer["customer"] == customer.pk and answer["customer_name"] == "Jane's Bakery"
    assert answer["budget_hours"] == "20.00"
    assert answer["budget_amount"] == "1500.50"
    assert answer["default_rate"] == "95.50"
    assert answer["status"] == "active"
    assert [t["state"] for t in answer["totals"]] == ["pending", "approved", "rejected", "invoiced"]
    assert answer["budget"] == [
        {"kind": "hours", "used": "0.00", "budget": "20.00", "percent": 0, "level": "ok"},
        {"kind": "amount", "used": "0.00", "budget": "1500.50", "percent": 0, "level": "ok"},
    ]
    assert Activity.objects.filter(project=project, verb=Verb.PROJECT_CREATED).count() == 1

    log(project, Actor.system(), "17")
    read = api.get(url(project)).json()
    pending = next(t for t in read["totals"] if t["state"] == "pending")
    assert pending == {
        "state": "pending",
        "count": 1,
        "hours": "17.00",
        "billable_hours": "17.00",
        "amount": "1623.50",
    }
    assert read["budget"][0] == {
        "kind": "hours",
        "used": "17.00",
        "budget": "20.00",
        "percent": 85,
        "level": "warning",
    }


def test_list_filters_by_customer_status_and_name_and_pages(
    api, org, customer, other_customer, staff
):
    shop = make_project(org, customer, staff, name="Shop rebuild")
    logo = make_project(org, customer, staff, name="Logo", status="completed")
    garage = make_project(org, other_customer, staff, name="Garage shop sign")

    def ids(query: str = "") -> list[int]:
        response = api.get(f"{API}/projects/{query}")
        assert response.status_code == 200, response.content
        return [p["id"] for p in response.json()["results"]]

    assert ids() == [garage.pk, logo.pk, shop.pk]  # by name
    assert ids(f"?customer={customer.pk}") == [logo.pk, shop.pk]
    assert ids("?status=completed") == [logo.pk]
    assert ids("?q=SHOP") == [garage.pk, shop.pk]
    assert ids(f"?q=shop&customer={other_customer.pk}") == [garage.pk]
    paged = api.get(f"{API}/projects/?page_size=2&page=2").json()
    assert paged["count"] == 3 and [p["id"] for p in paged["results"]] == [shop.pk]
    for bad in ("?status=closed", "?customer=abc", "?customer=0", "?q=a&q=b"):
        response = api.get(f"{API}/projects/{bad}")
        assert response.status_code == 400, bad


def test_patch_changes_only_what_is_sent_and_can_close_and_move(
    api, project, entries, other_customer
):
    response = api.patch(url(project), {"name": "Redesign, phase 2"}, format="json")
    assert response.status_code == 200, response.content
    project.refresh_from_db()
    assert project.name == "Redesign, phase 2"
    assert project.budget_hours == Decimal("10") and project.default_rate == Decimal("100")

    assert api.patch(url(project), {"budget_hours": None}, format="json").status_code == 200
    project.refresh_from_db()
    assert project.budget_hours is None

    response = api.patch(url(project), {"status": "completed"}, format="json")
    assert response.json()["status"] == "completed"
    # A completed project takes no time.
    response = api.post(url(project, "time-entries/"), {"entries": [row()]}, format="json")
    assert response.status_code == 400
    assert "completed" in response.json()["error"]["message"]

    response = api.patch(url(project), {"customer": other_customer.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["customer"] == other_customer.pk


def test_moving_a_project_revokes_its_links_for_good(api, project, customer, other_customer):
    link_id = api.post(url(project, "share"), {}, format="json").json()["link"]["id"]
    for owner in (other_customer, customer):  # away, and back again
        response = api.patch(url(project), {"customer": owner.pk}, format="json")
        assert response.status_code == 200, response.content
    (link,) = api.get(f"{API}/customers/{customer.pk}/links/").json()["results"]
    assert link["id"] == link_id
    assert link["state"] == "invalid" and link["revoked_reason"] == "reassigned"


def test_a_project_with_approved_time_cannot_move(api, project, entries, other_customer):
    approve(project, entries[:1])
    response = api.patch(url(project), {"customer": other_customer.pk}, format="json")
    assert response.status_code == 400
    assert "approved" in response.json()["error"]["message"]
    project.refresh_from_db()
    assert project.customer_id != other_customer.pk


def test_project_input_errors_name_the_field(api, customer, foreign_customer):
    cases = [
        ({"name": "X"}, "customer"),
        ({"customer": customer.pk}, "name"),
        ({"customer": foreign_customer.pk, "name": "X"}, "customer"),
        ({"customer": customer.pk, "name": "X", "budget_hours": "-1"}, "budget_hours"),
        ({"customer": customer.pk, "name": "X", "budget_hours": "0"}, "budget_hours"),
        ({"customer": customer.pk, "name": "X", "budget_hours": 5}, "budget_hours"),
        ({"customer": customer.pk, "name": "X", "default_rate": "1e3"}, "default_rate"),
        ({"customer": customer.pk, "name": "X", "status": "closed"}, "status"),
    ]
    for body, field in cases:
        response = api.post(f"{API}/projects/", body, format="json")
        assert response.status_code == 400, body
        assert field in response.json()["error"]["fields"], (body, response.json())
    assert not Project.objects.exists()


def test_a_budget_amount_that_rounds_to_nothing_is_a_400_not_a_500(api, customer):
    body = {"customer": customer.pk, "name": "Tiny", "budget_amount": "0.004"}
    response = api.post(f"{API}/projects/", body, format="json")
    assert response.status_code == 400
    assert "budget amount" in response.json()["error"]["message"]
    assert not Project.objects.exists()


@pytest.mark.parametrize("blank", ["", "  "])
def test_a_blank_budget_amount_is_a_400_not_a_quiet_null(api, customer, blank):
    # The schema allows a number string or null; DRF alone would read "" as null.
    body = {"customer": customer.pk, "name": "Blank", "budget_amount": blank}
    response = api.post(f"{API}/projects/", body, format="json")
    assert response.status_code == 400
    assert "budget_amount" in str(response.json())
    assert not Project.objects.exists()


# --- Time entries ----------------------------------------------------------------------------


def test_log_many_entries_in_one_call(api, project, owner, manager):
    body = {
        "entries": [
            row(hours="1:30", staff_member=manager.pk),
            row(hours=".75", billable=False, rate="80"),
            row(hours="24", date="2026-11-10", rate=None),
        ]
    }
    response = api.post(url(project, "time-entries/"), body, format="json")
    assert response.status_code == 201, response.content
    rows = response.json()["entries"]
    assert [r["hours"] for r in rows] == ["1.50", "0.75", "24.00"]
    assert [r["rate"] for r in rows] == ["100.00", "80.00", "100.00"]
    assert [r["amount"] for r in rows] == ["150.00", "60.00", "2400.00"]
    assert [r["staff_member"] for r in rows] == [manager.pk, None, None]
    assert rows[0]["state"] == "pending" and rows[0]["locked"] is False
    assert rows[1]["billable"] is False
    assert TimeEntry.objects.filter(project=project).count() == 3
    logged = Activity.objects.get(project=project, verb=Verb.TIME_LOGGED)
    assert logged.details["entries"] == [r["id"] for r in rows]
    assert logged.actor_type == "api_key"


def test_a_staff_session_logs_its_own_time_by_default(owner_client, owner, project):
    response = owner_client.post(
        url(project, "time-entries/"), {"entries": [row()]}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["entries"][0]["staff_member"] == owner.pk
    assert TimeEntry.objects.get().staff_member == owner


def test_one_bad_row_stores_none(api, project, foreign_customer, other_owner):
    for bad, field in [
        (row(hours="25"), "entries.1.hours"),
        (row(description=" "), "entries.1.description"),
        (row(date="1066-10-14"), "entries.1.date"),
        (row(staff_member=other_owner.pk), "entries.1.staff_member"),
        (row(rate="-1"), "entries.1.rate"),
    ]:
        body = {"entries": [row(), bad, row()]}
        response = api.post(url(project, "time-entries/"), body, format="json")
        assert response.status_code == 400, bad
        assert field in response.json()["error"]["fields"], (bad, response.json())
    assert not TimeEntry.objects.exists()
    assert not Activity.objects.filter(verb=Verb.TIME_LOGGED).exists()


@pytest.mark.parametrize("body", [{}, {"entries": []}, {"entries": {}}, row(), [row()]])
def test_the_body_is_an_object_with_a_list_of_entries(api, project, body):
    response = api.post(url(project, "time-entries/"), body, format="json")
    assert response.status_code == 400
    assert not TimeEntry.objects.exists()


def test_at_most_100_entries_per_call(api, project):
    body = {"entries": [row()] * 101}
    response = api.post(url(project, "time-entries/"), body, format="json")
    assert response.status_code == 400
    assert "no more than 100" in response.json()["error"]["fields"]["entries.non_field_errors"][0]
    assert not TimeEntry.objects.exists()


BAD_HOURS = ["-1", "0", "0.00", "24.01", "1e3", "NaN", "Infinity", "1:75", "1.005", "", " 1.5",
             "1,5", "1:5", "25:00", "١٫٥", "00000000001"]  # fmt: skip


@pytest.mark.parametrize("hours", [*BAD_HOURS, 1.5, 2, None, True, ["1"]], ids=repr)
def test_bad_hours_are_a_400_naming_the_field(api, project, entries, hours):
    response = api.post(
        url(project, "time-entries/"), {"entries": [row(hours=hours)]}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "entries.0.hours" in response.json()["error"]["fields"]
    entry = entries[0]
    response = api.patch(entry_url(entry), {"hours": hours}, format="json")
    assert response.status_code == 400
    assert "hours" in response.json()["error"]["fields"]
    assert TimeEntry.objects.count() == 3
    entry.refresh_from_db()
    assert entry.hours == Decimal("2")


@pytest.mark.parametrize(
    ("hours", "stored"),
    [("1:30", "1.50"), ("0:20", "0.33"), ("24:00", "24.00"), ("1.5", "1.50"), (".25", "0.25"),
     ("0.01", "0.01"), ("8.", "8.00"), ("2.500", "2.50")],
)  # fmt: skip
def test_hours_as_typed(api, project, hours, stored):
    response = api.post(
        url(project, "time-entries/"), {"entries": [row(hours=hours)]}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["entries"][0]["hours"] == stored
    assert TimeEntry.objects.get().hours == Decimal(stored)


def test_list_entries_paged_and_by_state(api, project, entries):
    entries[0].state = "rejected"
    entries[0].save()
    response = api.get(url(project, "time-entries/?page_size=2"))
    assert response.status_code == 200
    page = response.json()
    assert page["count"] == 3 and page["next"]
    assert [r["id"] for r in page["results"]] == [entries[2].pk, entries[1].pk]  # newest first
    rejected = api.get(url(project, "time-entries/?state=rejected")).json()["results"]
    assert [r["id"] for r in rejected] == [entries[0].pk]
    assert api.get(url(project, "time-entries/?state=done")).status_code == 400


def test_patch_a_pending_entry_and_a_rejected_one_goes_back_to_pending(api, entries):
    entry = entries[0]
    response = api.patch(entry_url(entry), {"hours": "2:15", "rate": "120"}, format="json")
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["hours"] == "2.25" and answer["rate"] == "120.00" and answer["amount"] == "270.00"
    entry.refresh_from_db()
    assert entry.description == "#0" and entry.hours == Decimal("2.25")
    TimeEntry.objects.filter(pk=entry.pk).update(state="rejected", customer_comment="Too long")
    response = api.patch(entry_url(entry), {"hours": "2"}, format="json")
    assert response.json()["state"] == "pending"
    response = api.patch(entry_url(entry), {"rate": None}, format="json")
    assert response.json()["rate"] == "100.00"


def test_delete_a_pending_entry(api, entries):
    response = api.delete(entry_url(entries[0]))
    assert response.status_code == 204
    assert not TimeEntry.objects.filter(pk=entries[0].pk).exists()
    assert Activity.objects.filter(verb=Verb.TIME_DELETED).count() == 1


def _assert_locked(api, entry, reason: str) -> None:
    before = TimeEntry.objects.get(pk=entry.pk)
    edits_before = Activity.objects.filter(verb__in=(Verb.TIME_EDITED, Verb.TIME_DELETED)).count()
    for response in (
        api.patch(entry_url(entry), {"hours": "9", "description": "Changed"}, format="json"),
        api.patch(entry_url(entry), {}, format="json"),
        api.delete(entry_url(entry)),
    ):
        assert response.status_code == 409, response.content
        assert response.json() == {"error": {"code": "locked", "message": reason, "fields": {}}}
        assert "Retry-After" not in response
    after = TimeEntry.objects.get(pk=entry.pk)
    assert (after.hours, after.description, after.state, after.updated_at) == (
        before.hours,
        before.description,
        before.state,
        before.updated_at,
    )
    edits_after = Activity.objects.filter(verb__in=(Verb.TIME_EDITED, Verb.TIME_DELETED)).count()
    assert edits_after == edits_before
    listed = api.get(entry_url(entry).rsplit("/", 2)[0] + "/").json()["results"]
    shown = next(r for r in listed if r["id"] == entry.pk)
    assert shown["locked"] is True and shown["lock_reason"] == reason


def test_locked_entries_answer_409_and_stay_as_they_were(api, project, entries):
    waiting, approved, invoiced = entries
    approve(project, [invoiced])
    assert (
        api.post(url(project, "invoice"), {"grouping": "entry"}, format="json").status_code == 201
    )
    approve(project, [approved])
    api.post(url(project, "request-approval"), {"entries": [waiting.pk]}, format="json")
    _assert_locked(api, waiting, states.IN_REQUEST_REASON)
    _assert_locked(api, approved, states.LOCKED_REASONS["approved"])
    _assert_locked(api, invoiced, states.LOCKED_REASONS["invoiced"])


# --- Share and request approval ----------------------------------------------------------------


LINK_KEYS = {
    "id", "purpose", "project", "approval_request", "customer", "sent_to", "created_at",
    "expires_at", "revoked_at", "state",
}  # fmt: skip


def _tokens(mailoutbox) -> set[str]:
    return {t for message in mailoutbox for t in TOKEN_IN_URL.findall(message.body)}


def _assert_24_hours(link_answer: dict) -> None:
    link = SecureLink.objects.get(pk=link_answer["id"])
    assert link.expires_at - link.created_at == LINK_LIFETIME
    assert link_answer["expires_at"] == link.expires_at.isoformat().replace("+00:00", "Z")


def test_share_answers_202_with_the_link_and_never_its_token(
    api, project, customer, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            url(project, "share"), {"message": "Progress so far", "expires_in": 3600}, format="json"
        )
    assert response.status_code == 202, response.content
    answer = response.json()
    assert set(answer) == {"link", "sent_to", "expiry_overridden", "expiry_note"}
    assert set(answer["link"]) == LINK_KEYS
    assert answer["sent_to"] == "jane@bakery.test"
    assert answer["expiry_overridden"] is True and "overridden" in answer["expiry_note"]
    assert answer["link"]["purpose"] == "project_share" and answer["link"]["state"] == "active"
    assert answer["link"]["project"] == project.pk and answer["link"]["approval_request"] is None
    _assert_24_hours(answer["link"])
    (token,) = _tokens(mailoutbox)
    assert "Progress so far" in mailoutbox[0].body
    for later in (
        response,
        api.get(url(project)),
        api.get(url(project, "activity/")),
        api.get(f"{API}/customers/{customer.pk}/links/"),
        api.get(f"{API}/customers/{customer.pk}/activity/"),
    ):
        assert later.status_code < 300
        assert token not in later.content.decode()
    plain = api.post(url(project, "share"), {}, format="json").json()
    assert plain["expiry_overridden"] is False


def test_request_approval_of_all_pending_billable_time(
    api, project, entries, staff, mailoutbox, django_capture_on_commit_callbacks
):
    log(project, staff, "1")  # a fourth entry, made not billable below
    TimeEntry.objects.filter(description="#0", hours=1).update(billable=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            url(project, "request-approval"), {"message": "November"}, format="json"
        )
    assert response.status_code == 202, response.content
    answer = response.json()
    assert set(answer) == {
        "link",
        "sent_to",
        "expiry_overridden",
        "expiry_note",
        "approval_request",
    }
    assert set(answer["link"]) == LINK_KEYS
    request_id = answer["approval_request"]["id"]
    assert answer["link"]["approval_request"] == request_id
    assert answer["link"]["purpose"] == "time_approval"
    assert answer["expiry_overridden"] is False
    _assert_24_hours(answer["link"])
    approval_request = ApprovalRequest.objects.get(pk=request_id)
    assert approval_request.message == "November" and approval_request.state == "open"
    items = answer["approval_request"]["items"]
    assert sorted(i["entry"] for i in items) == sorted(e.pk for e in entries)
    assert {i["hours"] for i in items} == {"2.00", "3.50", "1.25"}
    assert {i["amount"] for i in items} == {"200.00", "350.00", "125.00"}
    assert all(i["decision"] == "pending" for i in items)
    assert set(
        TimeEntry.objects.filter(open_request_id=request_id).values_list("pk", flat=True)
    ) == {e.pk for e in entries}
    (token,) = _tokens(mailoutbox)
    assert token not in response.content.decode()
    assert token not in api.get(url(project, "activity/")).content.decode()

    # Nothing pending and billable is left to send.
    again = api.post(url(project, "request-approval"), {}, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "nothing_to_send"
    assert ApprovalRequest.objects.count() == 1


def test_request_approval_of_named_entries(api, project, entries, org, customer, staff):
    other_project = make_project(org, customer, staff, name="Other")
    (elsewhere,) = log(other_project, staff, "1")
    response = api.post(
        url(project, "request-approval"),
        {"entries": [elsewhere.pk, entries[0].pk]},
        format="json",
    )
    assert response.status_code == 400
    assert not ApprovalRequest.objects.exists()

    response = api.post(
        url(project, "request-approval"),
        {"entries": [entries[0].pk], "expires_at": "2099-01-01T00:00:00Z"},
        format="json",
    )
    assert response.status_code == 202
    assert response.json()["expiry_overridden"] is True
    assert [i["entry"] for i in response.json()["approval_request"]["items"]] == [entries[0].pk]
    # Already waiting: it cannot be sent twice.
    response = api.post(
        url(project, "request-approval"), {"entries": [entries[0].pk]}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "locked"
    for bad in ([], ["1"], [1.0], [True], [0], "all", [entries[1].pk] * 501):
        response = api.post(url(project, "request-approval"), {"entries": bad}, format="json")
        assert response.status_code == 400, bad
        assert "entries" in str(response.json()["error"]["fields"]), bad
    assert ApprovalRequest.objects.count() == 1


def test_withdraw_an_approval_request_unlocks_its_entries(api, project, entries):
    sent = api.post(url(project, "request-approval"), {}, format="json").json()
    request_id = sent["approval_request"]["id"]
    assert api.patch(entry_url(entries[0]), {"hours": "3"}, format="json").status_code == 409
    withdraw = url(project, f"approval-requests/{request_id}/withdraw")
    response = api.post(withdraw)
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["id"] == request_id and answer["state"] == "withdrawn"
    assert {i["decision"] for i in answer["items"]} == {"removed"}
    assert not TimeEntry.objects.filter(open_request__isnull=False).exists()
    assert api.patch(entry_url(entries[0]), {"hours": "3"}, format="json").status_code == 200
    link = SecureLink.objects.get(pk=sent["link"]["id"])
    assert api.get(f"{API}/customers/{link.customer_id}/links/").json()["results"][0]["state"] == (
        "invalid"
    )
    again = api.post(withdraw)
    assert again.status_code == 400


# --- Invoicing ----------------------------------------------------------------------------------


def test_invoice_approved_time_then_nothing_is_left(api, project, entries):
    approve(project, entries[:2])
    response = api.post(url(project, "invoice"), {"grouping": "staff_rate"}, format="json")
    assert response.status_code == 201, response.content
    invoice = response.json()
    assert invoice["kind"] == "invoice" and invoice["state"] == "draft"
    assert invoice["customer"] == project.customer_id
    assert [line["quantity"] for line in invoice["lines"]] == ["5.5"]
    assert invoice["subtotal"] == "550.00"
    assert set(TimeEntry.objects.filter(invoice_id=invoice["id"]).values_list("pk", flat=True)) == {
        entries[0].pk,
        entries[1].pk,
    }

    again = api.post(url(project, "invoice"), {"grouping": "entry"}, format="json")
    assert again.status_code == 409
    assert again.json()["error"] == {
        "code": "nothing_to_invoice",
        "message": "There is no approved time left to invoice.",
        "fields": {},
    }
    assert Document.objects.filter(kind="invoice").count() == 1


@pytest.mark.parametrize("body", [{}, {"grouping": "week"}, {"grouping": None}, {"grouping": 1}])
def test_invoice_grouping_is_required_and_known(api, project, entries, body):
    approve(project, entries)
    response = api.post(url(project, "invoice"), body, format="json")
    assert response.status_code == 400
    assert "grouping" in response.json()["error"]["fields"]
    assert not Document.objects.exists()


def test_project_activity_newest_first(api, project, entries):
    api.patch(entry_url(entries[0]), {"description": "Kick-off"}, format="json")
    response = api.get(url(project, "activity/"))
    assert response.status_code == 200
    verbs = [row["verb"] for row in response.json()["results"]]
    assert verbs[:2] == [Verb.TIME_EDITED, Verb.TIME_LOGGED]
    assert verbs[-1] == Verb.PROJECT_CREATED
    assert Verb.API_CALL not in verbs  # the business's own log, not the project's


# --- Scoping -------------------------------------------------------------------------------------


@pytest.fixture
def theirs(other_org, foreign_customer, other_owner):
    """Rival Inc's project, entry and open approval request."""
    actor = Actor(type="staff", user=other_owner, label=other_owner.email)
    project = make_project(other_org, foreign_customer, actor, name="Theirs")
    entry, waiting = log(project, actor, "1", "2")
    sent = approvals.request_time_approval(project=project, actor=actor, entry_ids=[waiting.pk])
    return {"project": project.pk, "entry": entry.pk, "request": sent.approval_request.pk}


# (method, path, body): {project} {entry} {request} of the other business, or of nothing.
ENDPOINTS = [
    ("get", "projects/{project}/", None),
    ("patch", "projects/{project}/", {"name": "Mine now"}),
    ("get", "projects/{project}/time-entries/", None),
    ("post", "projects/{project}/time-entries/", {"entries": [row()]}),
    ("patch", "projects/{project}/time-entries/{entry}/", {"hours": "1"}),
    ("delete", "projects/{project}/time-entries/{entry}/", None),
    ("post", "projects/{project}/share", {}),
    ("post", "projects/{project}/request-approval", {}),
    ("post", "projects/{project}/approval-requests/{request}/withdraw", None),
    ("post", "projects/{project}/invoice", {"grouping": "entry"}),
    ("get", "projects/{project}/activity/", None),
]
IDS = [f"{m.upper()} {p}" for m, p, _ in ENDPOINTS]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
def test_another_business_ids_are_404_on_every_endpoint(api, theirs, other_org, method, path, body):
    activity_before = Activity.objects.for_org(other_org).count()
    entries_before = list(TimeEntry.objects.for_org(other_org).values_list("pk", "hours", "state"))
    response = getattr(api, method)(f"{API}/{path.format(**theirs)}", body, format="json")
    assert response.status_code == 404, response.content
    assert response.json()["error"]["code"] == "not_found"
    assert Activity.objects.for_org(other_org).count() == activity_before
    assert list(TimeEntry.objects.for_org(other_org).values_list("pk", "hours", "state")) == (
        entries_before
    )
    assert ApprovalRequest.objects.get(pk=theirs["request"]).state == "open"


BELOW_THE_PROJECT = [e for e in ENDPOINTS if "{entry}" in e[1] or "{request}" in e[1]]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    BELOW_THE_PROJECT,
    ids=[f"{m.upper()} {p}" for m, p, _ in BELOW_THE_PROJECT],
)
def test_their_entry_or_request_under_my_project_is_404_too(
    api, project, entries, theirs, method, path, body
):
    ids = {**theirs, "project": project.pk}
    response = getattr(api, method)(f"{API}/{path.format(**ids)}", body, format="json")
    assert response.status_code == 404


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
def test_ids_that_do_not_exist_get_the_same_404(api, method, path, body):
    ids = dict.fromkeys(("project", "entry", "request"), 987654321)
    response = getattr(api, method)(f"{API}/{path.format(**ids)}", body, format="json")
    assert response.status_code == 404


def test_an_entry_of_another_project_of_mine_is_404(api, project, org, customer, staff):
    other = make_project(org, customer, staff, name="Other")
    (entry,) = log(other, staff, "1")
    path = f"{API}/projects/{project.pk}/time-entries/{entry.pk}/"
    assert api.patch(path, {"hours": "5"}, format="json").status_code == 404
    assert api.delete(path).status_code == 404
    assert TimeEntry.objects.get(pk=entry.pk).hours == Decimal("1")


def test_lists_and_bodies_never_reach_another_business(
    api, project, theirs, foreign_customer, other_owner
):
    assert [p["id"] for p in api.get(f"{API}/projects/").json()["results"]] == [project.pk]
    assert api.get(f"{API}/projects/?customer={foreign_customer.pk}").json()["count"] == 0
    attempts = [
        (f"{API}/projects/", {"customer": foreign_customer.pk, "name": "X"}),
        (url(project, "time-entries/"), {"entries": [row(staff_member=other_owner.pk)]}),
        (url(project, "request-approval"), {"entries": [theirs["entry"]]}),
    ]
    for path, body in attempts:
        response = api.post(path, body, format="json")
        assert response.status_code == 400, (path, response.content)
    response = api.patch(url(project), {"customer": foreign_customer.pk}, format="json")
    assert response.status_code == 400
    assert Project.objects.get(pk=project.pk).customer_id != foreign_customer.pk


# --- Idempotency-Key --------------------------------------------------------------------------


def _twice(api, path: str, body, key: str, method: str = "post"):
    send = getattr(api, method)
    first = send(path, body, format="json", headers={"Idempotency-Key": key})
    second = send(path, body, format="json", headers={"Idempotency-Key": key})
    assert second.status_code == first.status_code, (first.content, second.content)
    assert second[REPLAYED] == "true"
    assert second.content == first.content
    return first


def test_idempotency_key_replays_every_new_write(
    api, project, entries, customer, mailoutbox, django_capture_on_commit_callbacks
):
    created = _twice(api, f"{API}/projects/", {"customer": customer.pk, "name": "Once"}, "p-1")
    assert created.status_code == 201
    assert Project.objects.filter(name="Once").count() == 1

    logged = _twice(api, url(project, "time-entries/"), {"entries": [row(), row()]}, "t-1")
    assert logged.status_code == 201
    assert TimeEntry.objects.filter(project=project).count() == 5

    _twice(api, entry_url(entries[0]), {"hours": "4"}, "e-1", method="patch")
    assert Activity.objects.filter(verb=Verb.TIME_EDITED).count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        shared = _twice(api, url(project, "share"), {}, "s-1")
        assert shared.status_code == 202
        sent = _twice(api, url(project, "request-approval"), {"entries": [entries[1].pk]}, "r-1")
        assert sent.status_code == 202
    assert SecureLink.objects.count() == 2 and len(mailoutbox) == 2
    assert ApprovalRequest.objects.count() == 1

    request_id = sent.json()["approval_request"]["id"]
    _twice(api, url(project, f"approval-requests/{request_id}/withdraw"), None, "w-1")
    assert Activity.objects.filter(verb=Verb.APPROVAL_WITHDRAWN).count() == 1

    approve(project, [entries[1]])
    invoiced = _twice(api, url(project, "invoice"), {"grouping": "day"}, "i-1")
    assert invoiced.status_code == 201
    assert Document.objects.filter(kind="invoice").count() == 1

    deleted = _twice(api, entry_url(entries[2]), None, "d-1", method="delete")
    assert deleted.status_code == 204
    assert Activity.objects.filter(verb=Verb.TIME_DELETED).count() == 1


def test_a_409_is_not_kept_so_a_retry_with_the_key_runs_again(api, project, entries, staff):
    approve(project, entries)
    api.post(url(project, "invoice"), {"grouping": "entry"}, format="json")
    headers = {"Idempotency-Key": "n-1"}
    first = api.post(url(project, "invoice"), {"grouping": "entry"}, format="json", headers=headers)
    assert first.status_code == 409
    approve(project, log(project, staff, "1"))  # meanwhile, new approved time
    retry = api.post(url(project, "invoice"), {"grouping": "entry"}, format="json", headers=headers)
    assert retry.status_code == 201
    assert REPLAYED not in retry


# --- Schema -------------------------------------------------------------------------------------


def test_the_schema_documents_the_projects_api():
    document = openapi_schema()
    paths, components = document["paths"], document["components"]["schemas"]
    base = "/finance/api/v1/projects/{id}"
    for action in ("share", "request-approval"):
        operation = paths[f"{base}/{action}"]["post"]
        assert "202" in operation["responses"], action
        assert "24 hours" in operation["description"] and "token" in operation["description"]
    assert not {"token", "token_hash"} & set(components["ProjectLinkOut"]["properties"])
    assert "approval_request" in components["RequestApprovalOut"]["properties"]
    hours = components["TimeEntryInRequest"]["properties"]["hours"]
    assert hours["type"] == "string" and "1:30" in hours["description"]
    entries = components["TimeEntriesInRequest"]["properties"]["entries"]
    assert entries["items"] == {"$ref": "#/components/schemas/TimeEntryInRequest"}
    entry = paths[f"{base}/time-entries/{{entry_id}}/"]
    assert "204" in entry["delete"]["responses"]
    for method in ("patch", "delete"):
        conflict = entry[method]["responses"]["409"]
        assert "locked" in conflict["description"] and "Idempotency-Key" in conflict["description"]
        # Retry-After comes only with the key's own 409, not with a locked entry's.
        assert conflict["headers"]["Retry-After"]["required"] is False
    assert "409" in paths[f"{base}/invoice"]["post"]["responses"]
    assert paths["/finance/api/v1/projects/"]["post"]["responses"]["409"]["headers"]["Retry-After"][
        "required"
    ]
