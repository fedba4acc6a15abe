"""The portal shows times in the business's zone with its abbreviation (issue 15, item 5),
as the business's own pages do, not UTC."""

import re

import pytest

from solabooks.activity.models import Verb
from solabooks.activity.services import Actor, record_activity
from tests.factories import make_document

from .conftest import DASHBOARD

pytestmark = pytest.mark.django_db


def test_the_portal_dashboard_shows_business_times(portal, org, customer):
    org.time_zone = "Asia/Tokyo"
    org.save()
    invoice = make_document(customer=customer, state="sent")
    record_activity(organization=org, verb=Verb.SENT, actor=Actor.system(), document=invoice)
    page = portal.get(DASHBOARD).content.decode()
    times = re.findall(r"<time [^>]*>([^<]*)</time>", page)
    assert times, "no activity time on the dashboard"
    assert all(re.search(r"\d\d:\d\d JST$", shown) for shown in times), times
    assert not re.search(r"\d\d:\d\d UTC", page)
