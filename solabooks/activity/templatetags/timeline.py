from collections.abc import Iterable

from django import template

from solabooks.activity.timeline import TimelineEntry, timeline

register = template.Library()


@register.filter(name="timeline")
def timeline_filter(items: Iterable) -> list[TimelineEntry]:
    """`{% for entry in activity|timeline %}`: Activity rows (a queryset, a page, a list)
    as timeline entries; entries a view already built pass through."""
    items = list(items)
    if items and isinstance(items[0], TimelineEntry):
        return items
    return timeline(items)
