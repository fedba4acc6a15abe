"""Template tags for the projects app's seams in other apps' pages."""

from django import template
from django.db.models import Count, Sum

from solabooks.projects.hours import format_hours
from solabooks.projects.models import TimeEntry

register = template.Library()


@register.simple_tag
def billed_time(document) -> dict | None:
    """The project time an invoice bills (for its staff page): the project, how many
    entries and hours. One query; None for any other document."""
    if not document.is_invoice:
        return None
    rows = (
        TimeEntry.objects.for_org(document.organization)
        .filter(invoice=document)
        .values("project_id", "project__name")
        .annotate(entries=Count("id"), hours=Sum("hours"))
        .order_by("project_id")[:1]
    )
    return rows[0] if rows else None


@register.filter
def hours(value) -> str:
    """Hours as the invoice writes them, always two decimals ("20.50"), whatever a
    database sum returned ("20.5"); "–" for none."""
    if value in (None, ""):
        return "–"
    return format_hours(value)


@register.simple_tag
def time_entry_delete_confirmation(entry):
    """What Delete says first (projects/confirmations.py)."""
    from ..confirmations import time_entry_delete_confirmation as build

    return build(entry)


@register.simple_tag
def withdraw_confirmation(approval_request):
    from ..confirmations import withdraw_confirmation as build

    return build(approval_request)
