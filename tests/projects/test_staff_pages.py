"""Staff pages for projects and time: every role, scoped to its business."""

import pytest
from django.urls import reverse

from solabooks.projects import customer_decisions
from solabooks.projects.models import Project, TimeEntry

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["owner_client", "manager_client", "accountant_client"])
def test_every_role_creates_a_project_and_logs_a_week_at_once(request, who, customer):
    client = request.getfixturevalue(who)
    answer = client.post(
        reverse("project-create"),
        {
            "customer": customer.pk,
            "name": "Audit",
            "status": "active",
            "default_rate": "80",
            "show_entries": "on",
        },
    )
    project = Project.objects.get(name="Audit")
    assert answer.status_code == 302 and answer["Location"] == reverse(
        "project-detail", args=[project.pk]
    )
    detail = client.get(answer["Location"])
    assert detail.status_code == 200
    form = {
        "time-TOTAL_FORMS": "7",
        "time-INITIAL_FORMS": "0",
        "time-MIN_NUM_FORMS": "0",
        "time-MAX_NUM_FORMS": "100",
    }
    staff_id = detail.context["formset"].forms[0].initial["staff_member"]
    assert detail.context["formset"].initial_form_count() == 0
    for n, hours in enumerate(["1:30", "2", "0.25"]):
        form.update({
            f"time-{n}-date": f"2026-11-0{n + 2}", f"time-{n}-staff_member": staff_id,
            f"time-{n}-hours": hours, f"time-{n}-description": f"Day {n}", f"time-{n}-billable": "on",
        })  # fmt: skip
    answer = client.post(reverse("project-time-add", args=[project.pk]), form)
    assert answer.status_code == 302
    assert sorted(TimeEntry.objects.values_list("hours", flat=True)) == [
        pytest.approx(0.25),
        pytest.approx(1.5),
        pytest.approx(2),
    ]
    assert client.get(reverse("project-list")).status_code == 200
    assert client.get(reverse("project-request-approval", args=[project.pk])).status_code == 200
    assert client.get(reverse("project-invoice", args=[project.pk])).status_code == 200
    assert client.get(reverse("project-activity", args=[project.pk])).status_code == 200


@pytest.mark.parametrize("hours", ["-1", "0", "24.01", "1e3", "NaN", "1:75", "abc"])
def test_bad_hours_are_a_clear_error(owner_client, project, hours):
    form = {
        "time-TOTAL_FORMS": "1", "time-INITIAL_FORMS": "0", "time-0-date": "2026-11-02",
        "time-0-staff_member": project.created_by_id, "time-0-hours": hours, "time-0-description": "x",
    }  # fmt: skip
    answer = owner_client.post(reverse("project-time-add", args=[project.pk]), form)
    assert answer.status_code == 400
    assert not TimeEntry.objects.exists()


def test_another_business_project_is_a_404(other_client, project, entries):
    for name, args in [
        ("project-detail", [project.pk]),
        ("project-edit", [project.pk]),
        ("time-entry-edit", [project.pk, entries[0].pk]),
        ("project-request-approval", [project.pk]),
        ("project-invoice", [project.pk]),
    ]:
        assert other_client.get(reverse(name, args=args)).status_code == 404
    assert (
        other_client.post(
            reverse("time-entry-delete", args=[project.pk, entries[0].pk])
        ).status_code
        == 404
    )
    assert TimeEntry.objects.count() == 3


@pytest.mark.parametrize(
    ("hours", "level", "width"),
    [("7.5", "ok", "75"), ("8", "warning", "80"), ("10", "warning", "100"), ("12", "over", "100")],
)
def test_budget_burn_bar_turns_amber_at_80_and_red_past_100(
    owner_client, org, customer, staff_actor, hours, level, width
):
    from decimal import Decimal

    from solabooks.projects.services import ProjectInput, create_project

    from .conftest import log

    project = create_project(
        organization=org,
        customer=customer,
        actor=staff_actor,
        data=ProjectInput(name="Budgeted", budget_hours=Decimal("10")),
    )
    log(project, staff_actor, (hours if Decimal(hours) <= 24 else "12", "Work"))
    page = owner_client.get(reverse("project-detail", args=[project.pk]))
    html = page.content.decode()
    assert f'class="burn burn-{level}"' in html
    # The CSP forbids style="" attributes: the width comes from a nonce'd <style> block.
    nonce = page.context["request"].csp_nonce
    assert f'<style nonce="{nonce}">#burn-fill-1 {{ width: {width}%; }}</style>' in html
    assert f"'nonce-{nonce}'" in page["Content-Security-Policy"]
    assert 'style="width' not in html


def test_the_invoice_page_names_the_project_time_it_bills(
    owner_client, project, entries, request_approval, staff_actor
):
    from solabooks.projects import invoicing
    from solabooks.projects.models import ApprovalRequest

    result, _ = request_approval(project)
    approval_request = ApprovalRequest.objects.get(pk=result.approval_request.pk)
    customer_decisions.decide_time(
        approval_request=approval_request,
        decisions={},
        approve_all=True,
        seen_fingerprint=customer_decisions.request_fingerprint(
            approval_request, list(approval_request.items.order_by("date", "id"))
        ),
        actor=staff_actor,
    )
    invoice = invoicing.invoice_approved_time(project=project, grouping="day", actor=staff_actor)
    html = owner_client.get(reverse("document-detail", args=[invoice.pk])).content.decode()
    assert "Bills 6.75 hours of approved time (3 entries) on project" in html
    assert reverse("project-detail", args=[project.pk]) in html
