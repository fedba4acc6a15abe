"""Activity rows as a timeline a person reads (issue 15, item 6).

Activity stays one row per thing that happened (the evidence); pages show entries:
- consecutive rows of the same access (a view, a download, a sign-in) of the same thing by
  the same actor from the same browser are one entry: "Viewed by customer · Chrome on
  macOS · 3 times, last 14:05";
- each entry says what happened in a sentence ("Sent to ana@example.com", "Status changed
  from Sent to Accepted") and names the browser, not its raw user agent;
- the IP and user agent of every row stay in the entry (`rows`) for the page's <details>.

Only Python over rows already fetched: no query per row or entry.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.html import format_html
from django.utils.safestring import SafeString

from .models import Activity, Verb
from .useragent import summarize_user_agent

# Accesses repeat (a customer reloads, downloads twice): consecutive ones are one entry.
GROUPED_VERBS = frozenset(
    {
        Verb.VIEWED,
        Verb.PREVIEWED,
        Verb.PDF_DOWNLOADED,
        Verb.EINVOICE_DOWNLOADED,
        Verb.PORTAL_SIGNED_IN,
        Verb.API_CALL,
    }
)
EMAIL_VERBS = {
    Verb.EMAIL_DELIVERED: "Email delivered to <bdi>{}</bdi>",
    Verb.EMAIL_FAILED: "Email to <bdi>{}</bdi> could not be delivered",
    Verb.EMAIL_RETRYING: "Email to <bdi>{}</bdi> not delivered yet; retrying",
}


@dataclass
class TimelineEntry:
    row: Activity  # the newest row of the entry
    title: SafeString
    browser: str
    rows: list[Activity] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def has_evidence(self) -> bool:
        return any(row.ip or row.user_agent for row in self.rows)


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value).replace("_", " ")


def activity_title(row: Activity) -> SafeString:
    """What happened, as a sentence fragment: HTML, every name or address it quotes
    escaped and isolated in <bdi> (a right-to-left name inside an English sentence)."""
    from solabooks.documents.models import State
    from solabooks.tenancy.models import Role

    details = row.details if isinstance(row.details, dict) else {}
    verb = row.verb
    if verb == Verb.PREVIEWED and row.actor_label:
        return format_html("Previewed by <bdi>{}</bdi>", row.actor_label)
    if verb == Verb.SENT and details.get("sent_to"):
        return format_html("Sent to <bdi>{}</bdi>", details["sent_to"])
    if verb == Verb.STATE_CHANGED and details.get("from") and details.get("to"):
        before, after = _label(State, details["from"]), _label(State, details["to"])
        return format_html("Status changed from {} to {}", before, after)
    if verb in EMAIL_VERBS and details.get("to"):
        return format_html(EMAIL_VERBS[verb], details["to"])
    if verb == Verb.MEMBER_ROLE_CHANGED and details.get("from") and details.get("to"):
        before, after = _label(Role, details["from"]), _label(Role, details["to"])
        who = details.get("email") or "a member"
        return format_html("Role of <bdi>{}</bdi> changed from {} to {}", who, before, after)
    if verb == Verb.APPROVAL_REQUESTED and details.get("sent_to"):
        return format_html("Time approval requested from <bdi>{}</bdi>", details["sent_to"])
    if verb == Verb.PROJECT_SHARED and details.get("sent_to"):
        return format_html("Project shared with <bdi>{}</bdi>", details["sent_to"])
    title = row.get_verb_display()
    if details.get("sent_to"):
        return format_html("{} · sent to <bdi>{}</bdi>", title, details["sent_to"])
    return format_html("{}", title)


def _group_key(row: Activity, browser: str) -> tuple | None:
    if row.verb not in GROUPED_VERBS:
        return None
    return (
        row.verb,
        row.document_id,
        row.project_id,
        row.customer_id,
        row.actor_type,
        row.actor_label,
        browser,
    )


def timeline(rows: Iterable[Activity]) -> list[TimelineEntry]:
    """Rows newest first -> entries newest first, consecutive repeats folded together."""
    entries: list[TimelineEntry] = []
    last_key = None
    for row in rows:
        browser = summarize_user_agent(row.user_agent)
        key = _group_key(row, browser)
        if key is not None and key == last_key:
            entries[-1].rows.append(row)
            continue
        entries.append(
            TimelineEntry(row=row, title=activity_title(row), browser=browser, rows=[row])
        )
        last_key = key
    return entries
