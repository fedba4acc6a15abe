"""The watcher behind "every change records its Activity" (tests/activity_watch.py) sees
what it must: a product write without an Activity, and nothing else."""

import pytest

from solabooks.activity.services import Actor
from solabooks.sharing import services as sharing_services
from solabooks.sharing.models import SecureLink
from tests.activity_watch import watching
from tests.factories import make_document

pytestmark = [pytest.mark.django_db, pytest.mark.activity_watch_off]


@pytest.fixture
def link(customer):
    document = make_document(customer=customer)
    return sharing_services.issue_link(document=document, actor=Actor.system()).link


def test_a_product_write_without_its_activity_is_caught(link):
    with watching() as watch:
        # The private helper, called alone, revokes without recording: exactly the mistake.
        sharing_services._revoke(SecureLink.objects.filter(pk=link.pk), reason="test")
    [problem] = watch.violations()
    assert (
        "sharing/services.py:_revoke wrote sharing_securelink(revoked_at, revoked_reason)"
        in problem
    )


def test_the_same_change_through_its_service_passes(link):
    with watching() as watch:
        sharing_services.revoke_link(link=link, actor=Actor.system())
    assert watch.violations() == []


def test_the_tests_own_set_up_writes_and_no_op_updates_are_not_judged(link, customer):
    with watching() as watch:
        SecureLink.objects.filter(pk=link.pk).update(revoked_reason="set-up by the test")
        make_document(customer=customer)  # a service: records its own Activity
        sharing_services.revoke_customer_links(customer=customer, actor=Actor.system())
        sharing_services.revoke_customer_links(customer=customer, actor=Actor.system())  # no-op
    assert watch.violations() == []


def test_a_rolled_back_change_is_not_judged(link):
    from django.db import transaction

    with watching() as watch, pytest.raises(RuntimeError), transaction.atomic():
        sharing_services._revoke(SecureLink.objects.filter(pk=link.pk), reason="test")
        raise RuntimeError("undo")
    assert watch.violations() == []
