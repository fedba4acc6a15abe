"""Activity is append-only: no path of the ORM edits or deletes a row once written."""

import pytest
from django.db import transaction
from django.urls import reverse

from solabooks.activity.models import Activity, Verb
from solabooks.activity.services import Actor, record_activity
from tests.factories import make_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def row(org, customer):
    document = make_document(customer=customer)
    return Activity.objects.for_org(org).get(document=document, verb=Verb.CREATED)


def unchanged(row) -> None:
    fresh = Activity.objects.get(pk=row.pk)
    assert (fresh.verb, fresh.actor_label, fresh.details) == (
        row.verb,
        row.actor_label,
        row.details,
    )


WRITES = {
    "instance save": lambda r: r.save(),
    "instance save(update_fields)": lambda r: r.save(update_fields=["verb"]),
    "instance save(force_update)": lambda r: r.save(force_update=True),
    "instance delete": lambda r: r.delete(),
    "queryset update": lambda r: Activity.objects.filter(pk=r.pk).update(verb=Verb.EDITED),
    "scoped queryset update": lambda r: Activity.objects.for_org(r.organization_id).update(
        actor_label="x"
    ),
    "queryset delete": lambda r: Activity.objects.filter(pk=r.pk).delete(),
    "all delete": lambda r: Activity.objects.all().delete(),
    "bulk_update": lambda r: Activity.objects.bulk_update([r], ["verb"]),
    "update_or_create": lambda r: Activity.objects.update_or_create(
        pk=r.pk, defaults={"verb": Verb.EDITED}
    ),
    "related manager update": lambda r: r.document.activity.update(verb=Verb.EDITED),
    "related manager delete": lambda r: r.document.activity.all().delete(),
    "related manager clear": lambda r: r.document.activity.clear(),
    "related manager clear(bulk=False)": lambda r: r.document.activity.clear(bulk=False),
    "related manager remove": lambda r: r.document.activity.remove(r),
    "related manager set": lambda r: r.document.activity.set([]),
    "create over an existing id": lambda r: Activity.objects.create(
        pk=r.pk, organization_id=r.organization_id, verb=Verb.EDITED, actor_type="system"
    ),
}


@pytest.mark.parametrize("write", WRITES, ids=list(WRITES))
def test_no_orm_path_edits_or_deletes_activity(row, write):
    row.verb = Verb.EDITED  # what a careless caller might try to save
    with pytest.raises(TypeError, match="append-only"), transaction.atomic():
        WRITES[write](row)
    row.refresh_from_db()
    unchanged(row)


def test_appending_still_works(org, customer):
    before = Activity.objects.for_org(org).count()
    record_activity(
        organization=org, verb=Verb.CUSTOMER_EDITED, actor=Actor.system(), customer=customer
    )
    Activity.objects.bulk_create(
        [Activity(organization=org, verb=Verb.VIEWED, actor_type="system")]
    )
    assert Activity.objects.for_org(org).count() == before + 2


def test_the_document_page_shows_activity_newest_first(owner_client, org, customer):
    document = make_document(customer=customer)
    for verb in (Verb.EDITED, Verb.SENT, Verb.VIEWED):
        record_activity(organization=org, verb=verb, actor=Actor.system(), document=document)
    page = owner_client.get(reverse("document-detail", args=[document.pk]))
    shown = [item.verb for item in page.context["activity"]]
    assert shown == [Verb.VIEWED, Verb.SENT, Verb.EDITED, Verb.CREATED]
    html = page.content.decode()
    assert html.index("Viewed by customer") < html.index("Sent to customer") < html.index("Created")
