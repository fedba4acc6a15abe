from solabooks.tenancy.models import Organization

from .models import Activity, Verb
from .timeline import TimelineEntry, timeline

DASHBOARD_ENTRIES = 15
# Rows read for the dashboard: enough that folded repeats still leave DASHBOARD_ENTRIES
# entries in the usual case, in one query whatever the table holds.
DASHBOARD_ROWS = 60
# Left out of the dashboard, kept on the customer's and document's activity: a customer
# signing in to the portal is theirs, not news for the whole business, and a delivered
# email only confirms the "Sent to …" above it (a failed one stays: someone must act).
NOT_ON_DASHBOARD = (Verb.PORTAL_SIGNED_IN, Verb.EMAIL_DELIVERED)


def recent_activity(*, organization: Organization) -> list[TimelineEntry]:
    """The dashboard's timeline: the business's newest entries but NOT_ON_DASHBOARD."""
    rows = (
        Activity.objects.for_org(organization)
        .exclude(verb__in=NOT_ON_DASHBOARD)
        .select_related("document", "customer", "project")[:DASHBOARD_ROWS]
    )
    return timeline(rows)[:DASHBOARD_ENTRIES]
