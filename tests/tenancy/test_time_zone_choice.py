"""The time-zone setting is a grouped choice (issue 15, item 5): one <optgroup> per region,
each zone labelled with its city and offset, a filter box added by zone-filter.js; not a
flat list of 600 IANA names."""

import datetime
import re

import pytest
from django.urls import reverse

from solabooks.tenancy.time_zones import REGIONS, time_zone_choices, zone_label
from tests.tenancy.test_settings import save

pytestmark = pytest.mark.django_db

WINTER = datetime.datetime(2026, 1, 15, 12, tzinfo=datetime.UTC)


def test_labels_name_the_city_offset_and_abbreviation():
    assert zone_label("America/Los_Angeles", WINTER) == "Los Angeles (UTC−08:00, PST)"
    assert zone_label("Asia/Kolkata", WINTER) == "Kolkata (UTC+05:30, IST)"
    assert zone_label("America/Argentina/Buenos_Aires", WINTER) == (
        "Argentina / Buenos Aires (UTC−03:00)"  # "-03" is no abbreviation
    )
    assert zone_label("UTC", WINTER) == "UTC (Coordinated Universal Time)"


def test_choices_are_grouped_by_region_with_utc_first():
    choices = time_zone_choices()
    assert choices[0][0] == "UTC"
    groups = {label: zones for label, zones in choices[1:]}
    assert list(groups) == [region for region in REGIONS if region in groups]
    assert len(choices) < 15  # a handful of groups, not 600 options at the top level
    america = dict(groups["America"])
    assert america["America/Los_Angeles"].startswith("Los Angeles (UTC−0")
    assert "US/Pacific" not in {name for _, zones in choices[1:] for name, _ in zones}


def test_the_settings_page_offers_groups_and_the_filter_script(owner_client):
    page = owner_client.get(reverse("organization-settings")).content.decode()
    select = re.search(r'<select name="time_zone"[^>]*>(.*?)</select>', page, re.S)
    assert select, "no time-zone select"
    assert "data-zone-filter" in select.group(0)
    assert '<optgroup label="Europe">' in select.group(1)
    assert ">Paris (UTC+0" in select.group(1)
    assert "js/zone-filter.js" in page


def test_a_stored_legacy_alias_stays_selected_and_saves(owner_client, org):
    org.time_zone = "US/Pacific"
    org.save()
    page = owner_client.get(reverse("organization-settings")).content.decode()
    assert '<option value="US/Pacific" selected>' in page
    response = save(owner_client, org, name="Renamed")
    assert response.status_code == 302
    org.refresh_from_db()
    assert (org.name, org.time_zone) == ("Renamed", "US/Pacific")


def test_a_grouped_choice_saves(owner_client, org):
    assert save(owner_client, org, time_zone="Asia/Kolkata").status_code == 302
    org.refresh_from_db()
    assert org.time_zone == "Asia/Kolkata"
