"""Single use under real concurrency: of two uses of one setup link at once, one wins."""

import threading

import pytest
from django.contrib.auth.hashers import check_password
from django.db import connection, connections
from django.utils import timezone

from solabooks.activity.services import Actor
from solabooks.core.errors import DomainError
from solabooks.portal.accounts import complete_setup
from solabooks.portal.models import AccessState, PortalAccess, PortalUser, TokenPurpose
from solabooks.portal.tokens import issue_token
from tests.factories import CustomerFactory, OrganizationFactory


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_uses_of_one_setup_link_at_once_exactly_one_wins():
    if connection.vendor != "postgresql":
        pytest.skip("Needs PostgreSQL row locks and real concurrent connections.")
    customer = CustomerFactory(organization=OrganizationFactory(), email="jane@bakery.test")
    user = PortalUser.objects.create(email="jane@bakery.test")
    access = PortalAccess.objects.create(
        organization=customer.organization,
        customer=customer,
        portal_user=user,
        state=AccessState.INVITED,
        changed_at=timezone.now(),
    )
    raw_token = issue_token(portal_user=user, purpose=TokenPurpose.SETUP, access=access).raw_token
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def use(password: str) -> None:
        try:
            barrier.wait()
            complete_setup(raw_token=raw_token, password=password, actor=Actor(type="portal"))
            outcomes[password] = "won"
        except DomainError as error:
            outcomes[password] = error.message
        finally:
            connections.close_all()

    passwords = ["first-racer-pass-101", "second-racer-pass-202"]
    threads = [threading.Thread(target=use, args=(p,)) for p in passwords]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes.values()) == ["This link has already been used.", "won"], outcomes
    winner = next(p for p, outcome in outcomes.items() if outcome == "won")
    user.refresh_from_db()
    assert check_password(winner, user.password)
