"""Demo Co's projects (seed_demo): time in every state, and approval requests in every state,
all made through the projects services, so totals, locks, links, emails and Activity are
real. Dates are counted back from `today`, in whole working weeks, so the demo looks
current whenever it is seeded.

- "Website redesign" (Bluebird Bakery): a budget nearly used up (past 80 %: the amber bar),
  five weeks of time by the owner and the manager; the oldest two weeks approved by the
  customer and invoiced (a draft invoice), the next two approved and not yet invoiced, last
  week's pending; shared with the customer (a project link in the mailbox).
- "Office network upgrade" (Harbor Lights Dental, shown in the portal): a first request
  the customer decided (most approved, two rejected with comments), one rejected entry
  corrected, a second request withdrawn, and an open request waiting for the customer (its
  email, with the /finance/t/ link, in the demo mailbox); one non-billable entry.
"""

import datetime
from decimal import Decimal

from solabooks.activity.models import ActorType
from solabooks.activity.services import Actor
from solabooks.projects import approvals, customer_decisions, invoicing
from solabooks.projects.models import Project, TimeEntry
from solabooks.projects.selectors import request_items
from solabooks.projects.services import (
    EntryInput,
    ProjectInput,
    add_time_entries,
    create_project,
    update_time_entry,
)

D = Decimal
# Where the demo customer "clicks" from: a documentation address and an ordinary browser.
CUSTOMER_IP = "203.0.113.24"
CUSTOMER_BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/17.5"

# (weekday 0-4, hours, description, index into the staff list)
WEBSITE_WEEK = [
    (0, "3.5", "Design: home and menu pages", 0),
    (1, "2.75", "Build: page templates", 1),
    (2, "1.5", "Client call: review of the designs", 0),
    (3, "2.5", "Build: online ordering form", 1),
]
WEBSITE_LAST_WEEK = [
    (0, "3", "Content migration: menu and prices", 1),
    (1, "2", "Accessibility review and fixes", 0),
    (2, "2.5", "Browser and phone testing", 1),
    (3, "1.25", "Launch checklist with the bakery", 0),
]
NETWORK_FIRST = [
    (0, "4", "Site survey: cabling and rack", 0),
    (1, "3", "Cabling survey report", 0),
    (2, "2.5", "Firewall configuration", 1),
    (3, "3.5", "Wi-Fi access points: installation", 1),
    (4, "2", "On-site visit: reception desk", 0),
    (4, "1", "Staff Wi-Fi passwords and guest network", 1),
]
NETWORK_LATER = [
    (0, "2", "Switch replacement, treatment rooms", 1),
    (1, "1.5", "Printer and X-ray PC on the new network", 0),
    (2, "3", "Backup internet line: failover tests", 1),
]
REJECTIONS = {
    "Cabling survey report": "The quote said the survey report was included in the price.",
    "On-site visit: reception desk": "We were closed that Friday; nobody came in, please check.",
}


def _week_start(today: datetime.date, weeks_ago: int) -> datetime.date:
    monday = today - datetime.timedelta(days=today.weekday())
    return monday - datetime.timedelta(weeks=weeks_ago)


def _log(project: Project, actor: Actor, staff: list, rows, *, weeks_ago: int, today):
    start = _week_start(today, weeks_ago)
    return add_time_entries(
        project=project,
        actor=actor,
        entries=[
            EntryInput(
                date=start + datetime.timedelta(days=day),
                hours=D(hours),
                description=description,
                staff_member=staff[who],
            )
            for day, hours, description, who in rows
        ],
    )


def customer_decides(sent: approvals.LinkSent, *, reject: dict[str, str] | None = None) -> None:
    """The customer's decision on the emailed link, as the link page makes it: every entry
    approved but those named in `reject` (description -> comment)."""
    reject = reject or {}
    approval_request = sent.approval_request
    items = request_items(approval_request)
    decisions = {
        item.pk: ("reject", reject[item.description])
        if item.description in reject
        else ("approve", "")
        for item in items
    }
    link = sent.link
    customer_decisions.decide_time(
        approval_request=approval_request,
        decisions=decisions,
        seen_fingerprint=customer_decisions.request_fingerprint(approval_request, items),
        actor=Actor(
            type=ActorType.LINK,
            label=f"link #{link.pk}",
            ip=CUSTOMER_IP,
            user_agent=CUSTOMER_BROWSER,
            extra={"link_id": link.pk},
        ),
    )


def seed_projects(*, organization, customers: list, actors: list[Actor], today) -> list[Project]:
    """The two demo projects; `actors` are the owner's, the manager's and the accountant's."""
    owner, manager = actors[0], actors[1]
    staff = [owner.user, manager.user]
    return [
        _website(organization, customers[0], owner, staff, today),
        _network(organization, customers[1], manager, staff, today),
    ]


def _website(organization, customer, actor: Actor, staff: list, today) -> Project:
    project = create_project(
        organization=organization,
        customer=customer,
        actor=actor,
        data=ProjectInput(
            name="Website redesign",
            description="A new website with online ordering: design, build, content "
            "migration and launch.",
            budget_hours=D("56"),
            budget_amount=D("6720"),
            default_rate=D("120"),
        ),
    )

    def week(weeks_ago: int):
        return _log(project, actor, staff, WEBSITE_WEEK, weeks_ago=weeks_ago, today=today)

    invoiced = week(5) + week(4)
    sent = approvals.request_time_approval(
        project=project,
        actor=actor,
        entry_ids=[entry.pk for entry in invoiced],
        message="Here is the time of the first two weeks, for your approval.",
    )
    customer_decides(sent)
    invoicing.invoice_approved_time(
        project=project, grouping=invoicing.PER_STAFF_AND_RATE, actor=actor
    )
    approved = week(3) + week(2)
    customer_decides(
        approvals.request_time_approval(
            project=project, actor=actor, entry_ids=[entry.pk for entry in approved]
        )
    )
    _log(project, actor, staff, WEBSITE_LAST_WEEK, weeks_ago=1, today=today)
    approvals.share_project(
        project=project,
        actor=actor,
        message="Here is where the website project stands; we are close to the budget.",
    )
    return project


def _network(organization, customer, actor: Actor, staff: list, today) -> Project:
    project = create_project(
        organization=organization,
        customer=customer,
        actor=actor,
        data=ProjectInput(
            name="Office network upgrade",
            description="New switches, Wi-Fi and a backup internet line for the practice.",
            budget_hours=D("40"),
            default_rate=D("95"),
            portal_visible=True,
        ),
    )
    first = _log(project, actor, staff, NETWORK_FIRST, weeks_ago=3, today=today)
    customer_decides(
        approvals.request_time_approval(
            project=project,
            actor=actor,
            entry_ids=[entry.pk for entry in first],
            message="The survey and installation week, for your approval.",
        ),
        reject=REJECTIONS,
    )
    # The manager corrects one rejected entry (it is pending again); the other stays
    # rejected, with the customer's comment, for staff to deal with.
    survey = next(entry for entry in first if entry.description == "Cabling survey report")
    update_time_entry(
        entry=survey,
        actor=actor,
        data=EntryInput(
            date=survey.date,
            hours=D("1"),
            description="Cabling survey: findings call (report itself included in the quote)",
            rate=survey.rate,
            staff_member=survey.staff_member,
        ),
    )
    _log(project, actor, staff, NETWORK_LATER, weeks_ago=2, today=today)
    # Sent, then taken back to add the last week's time: a withdrawn request.
    withdrawn = approvals.request_time_approval(project=project, actor=actor)
    approvals.withdraw_approval_request(approval_request=withdrawn.approval_request, actor=actor)
    _log(
        project,
        actor,
        staff,
        [(1, "2.5", "Network documentation and handover", 0)],
        weeks_ago=1,
        today=today,
    )
    add_time_entries(
        project=project,
        actor=actor,
        entries=[
            EntryInput(
                date=_week_start(today, 1) + datetime.timedelta(days=2),
                hours=D("1"),
                description="Internal: update our runbook for the practice",
                billable=False,
                staff_member=staff[1],
            )
        ],
    )
    approvals.request_time_approval(
        project=project,
        actor=actor,
        message="The rest of the upgrade, with the corrected survey entry. Thank you!",
    )
    return project


def has_projects(organization) -> bool:
    return Project.objects.for_org(organization).exists()


def entry_count(organization) -> int:
    return TimeEntry.objects.for_org(organization).count()
