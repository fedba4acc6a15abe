"""The time-zone choice of a business's settings: IANA names grouped by region (one
<optgroup> each), labelled with the city and today's offset and abbreviation, so a person
finds "Los Angeles (UTC−08:00, PST)" under America or by typing "PST" into the filter
(static/js/zone-filter.js) instead of scrolling 600 names.

Validation stays `services.time_zone_names()` (every name zoneinfo knows); the list only
offers the canonical region names, plus UTC and whatever the business has stored.
"""

import datetime
import zoneinfo
from functools import lru_cache

from .services import time_zone_names

REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)
OTHER = "Other"


def _offset_text(offset: datetime.timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"  # a real minus sign, as printed offsets use
    hours, minutes = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def zone_label(name: str, at: datetime.datetime) -> str:
    """ "America/Argentina/Buenos_Aires" -> "Argentina / Buenos Aires (UTC−03:00)"; the
    abbreviation too where the zone has a real one ("PST", not "-03")."""
    if name == "UTC":
        return "UTC (Coordinated Universal Time)"
    local = at.astimezone(zoneinfo.ZoneInfo(name))
    region, _, place = name.partition("/")
    place = (place if region in REGIONS else name).replace("_", " ").replace("/", " / ")
    offset = _offset_text(local.utcoffset() or datetime.timedelta())
    abbreviation = local.tzname() or ""
    if abbreviation.isalpha() and abbreviation != "UTC":
        return f"{place} ({offset}, {abbreviation})"
    return f"{place} ({offset})"


@lru_cache(maxsize=4)
def _grouped(day: datetime.date, current: str) -> tuple:
    at = datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)
    by_region: dict[str, list[tuple[str, str]]] = {region: [] for region in REGIONS}
    other: list[tuple[str, str]] = []
    for name in sorted(time_zone_names()):
        region = name.split("/", 1)[0]
        if region in REGIONS and "/" in name:
            by_region[region].append((name, zone_label(name, at)))
        elif name == current and name != "UTC":
            # A legacy alias ("US/Pacific") stays selectable for the business that has it.
            other.append((name, zone_label(name, at)))
    groups: list = [("UTC", zone_label("UTC", at))]
    groups += [(region, tuple(zones)) for region, zones in by_region.items() if zones]
    if other:
        groups.append((OTHER, tuple(other)))
    return tuple(groups)


def time_zone_choices(current: str = "") -> list:
    """Django grouped choices: UTC first, then one group per region (today's offsets)."""
    today = datetime.datetime.now(datetime.UTC).date()
    return [
        (value, list(label) if isinstance(label, tuple) else label)
        for value, label in _grouped(today, current)
    ]
