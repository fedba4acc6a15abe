"""SPEC 1 on every staff URL, read from the resolver: owners alone reach settings, branding,
members and API keys; managers and accountants reach everything else; nobody signed out
reaches anything; a signed-in user without a business reaches no business data."""

from decimal import Decimal

import pytest
from django.urls import reverse

from solabooks.activity.services import Actor
from solabooks.documents.payments import record_payment
from solabooks.documents.services import transition_document
from solabooks.sharing.services import issue_link
from solabooks.tenancy.models import ApiKey, Membership
from solabooks.tenancy.services import create_api_key
from tests.factories import (
    UserFactory,
    make_document,
    make_einvoice_ready,
    make_project_with_time,
)

from .staff_urls import staff_urls
from .test_no_url_reaches_another_business import OWNER_ONLY_PREFIX, id_kinds, snapshot

pytestmark = pytest.mark.django_db

URLS = staff_urls()
OWNER_ONLY = [u for u in URLS if u.route.startswith(OWNER_ONLY_PREFIX)]
FOR_EVERY_ROLE = [u for u in URLS if not u.route.startswith(OWNER_ONLY_PREFIX)]
# Reachable without signing in (the sign-in page itself, and the "you have no business" page).
PUBLIC = {"staff-login", "no-organization"}
# The names SPEC 1 reserves for owners; the prefix rule above must cover exactly these.
SPEC_OWNER_ONLY = {
    "organization-settings",
    "member-list",
    "member-role",
    "member-remove",
    "api-key-list",
    "api-key-revoke",
    # Issue 14: the quote terms customers must agree to are the business's settings.
    "quote-terms",
}


@pytest.fixture
def ours(org, owner, manager, customer):
    # E-invoice data, so the invoice's XML download answers too.
    make_einvoice_ready(organization=org, customers=[customer])
    system = Actor.system()
    invoice = make_document(customer=customer)
    transition_document(document=invoice, action="mark_sent", actor=system)
    payment = record_payment(
        organization=org,
        customer=customer,
        actor=system,
        date=invoice.issue_date,
        amount=Decimal("10"),
        method="cash",
        allocations=[(invoice, Decimal("10"))],
    )
    create_api_key(organization=org, actor=system, name="Our sync")
    work = make_project_with_time(customer=customer, staff=owner)
    quote = make_document(customer=customer, kind="quote")
    transition_document(document=quote, action="mark_sent", actor=system)
    transition_document(document=quote, action="mark_accepted", actor=system)
    return {
        "accepted_quote": quote,
        "project": work["project"],
        "time_entry": work["entry"],
        "approval_request": work["approval_request"],
        "customer": customer,
        "document": invoice,
        "invoice": invoice,
        "payment": payment,
        "membership": Membership.objects.get(organization=org, user=manager),
        "api_key": ApiKey.objects.get(organization=org),
        "secure_link": issue_link(document=invoice, actor=system).link,
    }


def url_for(url, ours) -> str:
    kwargs = {name: ours[kind].pk for name, kind in id_kinds(url).items() if name in url.kwargs}
    if "kind" in url.kwargs:
        kwargs["kind"] = "invoice"
    return reverse(url.name, kwargs=kwargs)


def test_the_owner_only_pages_are_exactly_the_ones_spec_1_names():
    assert {u.name for u in OWNER_ONLY} == SPEC_OWNER_ONLY


@pytest.mark.parametrize("role", ["manager", "accountant"])
@pytest.mark.parametrize("url", OWNER_ONLY, ids=str)
def test_managers_and_accountants_are_refused_owner_pages(request, ours, url, role):
    client = request.getfixturevalue(f"{role}_client")
    before = snapshot()
    assert client.get(url_for(url, ours)).status_code in (403, 405)
    response = client.post(url_for(url, ours), {"role": "owner", "name": "Taken over"})
    assert response.status_code == 403
    assert b"owner" in response.content  # says why, not just "Forbidden"
    assert snapshot() == before


@pytest.mark.parametrize("role", ["owner", "manager", "accountant"])
@pytest.mark.parametrize("url", [u for u in FOR_EVERY_ROLE if u.name not in PUBLIC], ids=str)
def test_every_role_reaches_the_other_pages(request, ours, url, role):
    client = request.getfixturevalue(f"{role}_client")
    response = client.get(url_for(url, ours))
    expected = {True: {200, 302}, False: {405}, None: {200, 302, 405}}[url.allows("get")]
    assert response.status_code in expected, (url.route, response.status_code)


@pytest.mark.parametrize("url", [u for u in URLS if u.name not in PUBLIC], ids=str)
def test_signed_out_visitors_are_sent_to_sign_in(client, ours, url):
    before = snapshot()
    for method in ("get", "post"):
        response = getattr(client, method)(url_for(url, ours))
        if response.status_code == 405:
            assert url.allows(method) is not True
            continue
        assert response.status_code == 302, (url.route, method)
        assert response["Location"].startswith(reverse("staff-login"))
    assert snapshot() == before


# A person's own account page (change password) holds no business data: someone removed
# from every business can still change the password of their own account.
OWN_ACCOUNT = {"staff-account"}


@pytest.mark.parametrize(
    "url", [u for u in URLS if u.name not in PUBLIC | OWN_ACCOUNT | {"staff-logout"}], ids=str
)
def test_a_user_without_a_business_reaches_no_business_data(client, ours, url):
    user = UserFactory()
    client.force_login(user)
    for method in ("get", "post"):
        response = getattr(client, method)(url_for(url, ours))
        if response.status_code == 405:
            continue
        assert response.status_code == 302, (url.route, method)
        assert response["Location"] in (reverse("no-organization"), reverse("dashboard"))


def test_a_user_without_a_business_still_reaches_their_own_account_only(client, ours):
    user = UserFactory()
    client.force_login(user)
    page = client.get(reverse("staff-account")).content.decode()
    assert user.email in page
    assert ours["customer"].name not in page and ours["document"].number not in page
