import sys
import types

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from solabooks.activity.models import Activity, Verb
from solabooks.customers.models import Customer
from tests.customers.bulk import make_activity, make_customers, make_documents
from tests.factories import CustomerFactory, make_document

pytestmark = pytest.mark.django_db

CUSTOMER_URLS = [
    "customer-detail",
    "customer-edit",
    "customer-portal-access",
    "customer-activity",
]


def valid_post(**overrides) -> dict:
    data = {
        "name": "Jane's Bakery",
        "email": "jane@bakery.test",
        "billing_address": "3 Flour Lane",
        "currency": "USD",
        "notes": "",
    }
    data.update(overrides)
    return data


def query_count(client, url: str) -> int:
    # The first request of a session also saves the session (the chosen business); count a
    # second one so only the page's own queries are compared.
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


# Scoping and roles ------------------------------------------------------------------------


@pytest.mark.parametrize("name", CUSTOMER_URLS)
def test_another_business_customer_is_404_on_every_url(owner_client, foreign_customer, name):
    url = reverse(name, args=[foreign_customer.pk])
    assert owner_client.get(url).status_code == 404
    assert owner_client.post(url, valid_post(name="Hijacked")).status_code in (404, 405)
    foreign_customer.refresh_from_db()
    assert foreign_customer.name == "Elsewhere Co"


@pytest.mark.parametrize("name", CUSTOMER_URLS)
def test_made_up_and_junk_ids_are_404(owner_client, name):
    assert owner_client.get(reverse(name, args=[999999])).status_code == 404


def test_list_and_search_never_show_another_business(owner_client, customer, foreign_customer):
    html = owner_client.get(reverse("customer-list")).content.decode()
    assert customer.name.replace("'", "&#x27;") in html
    assert foreign_customer.name not in html
    html = owner_client.get(reverse("customer-list"), {"q": "elsewhere"}).content.decode()
    assert foreign_customer.name not in html


@pytest.mark.parametrize("client_fixture", ["owner_client", "manager_client", "accountant_client"])
def test_every_role_can_use_customers(request, client_fixture, customer):
    client = request.getfixturevalue(client_fixture)
    assert client.get(reverse("customer-list")).status_code == 200
    assert client.get(reverse("customer-create")).status_code == 200
    for name in CUSTOMER_URLS:
        assert client.get(reverse(name, args=[customer.pk])).status_code == 200
    response = client.post(reverse("customer-edit", args=[customer.pk]), valid_post(notes="ok"))
    assert response.status_code == 302


def test_signed_out_visitors_are_sent_to_sign_in(client, customer):
    response = client.get(reverse("customer-detail", args=[customer.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("staff-login"))


# List ---------------------------------------------------------------------------------------


def test_search_by_name_and_email(owner_client, customer, other_customer):
    html = owner_client.get(reverse("customer-list"), {"q": "garage"}).content.decode()
    assert "Bob&#x27;s Garage" in html and "Bakery" not in html
    html = owner_client.get(reverse("customer-list"), {"q": "jane@"}).content.decode()
    assert "Bakery" in html and "Garage" not in html


def test_overlong_search_is_ignored_not_an_error(owner_client, customer):
    response = owner_client.get(reverse("customer-list"), {"q": "x" * 10_000})
    assert response.status_code == 200


def test_list_is_paged_by_25(owner_client, org):
    make_customers(org, 30)
    first = owner_client.get(reverse("customer-list"))
    assert len(first.context["page"].object_list) == 25
    second = owner_client.get(reverse("customer-list"), {"page": 2})
    assert len(second.context["page"].object_list) == 5


@pytest.mark.parametrize("page", ["abc", "99999", "-1", "0", "1.5", ""])
def test_junk_page_numbers_show_a_page(owner_client, org, page):
    make_customers(org, 30)
    response = owner_client.get(reverse("customer-list"), {"page": page})
    assert response.status_code == 200
    assert response.context["page"].number in (1, 2)


def test_list_query_count_does_not_grow_with_customers(owner_client, org):
    make_customers(org, 5)
    few = query_count(owner_client, reverse("customer-list"))
    for customer in make_customers(org, 495)[:30]:
        make_documents(customer, 2)
    assert query_count(owner_client, reverse("customer-list")) == few


# Create and edit ----------------------------------------------------------------------------


def test_create_customer_records_activity(owner_client, org, owner):
    response = owner_client.post(reverse("customer-create"), valid_post(email="Jane@Bakery.TEST"))
    customer = Customer.objects.for_org(org).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("customer-detail", args=[customer.pk])
    assert customer.email == "jane@bakery.test"
    activity = Activity.objects.for_org(org).get(customer=customer)
    assert activity.verb == Verb.CUSTOMER_CREATED
    assert activity.actor_user == owner


def test_new_customer_currency_defaults_to_the_business(owner_client, org):
    org.default_currency = "EUR"
    org.save()
    form = owner_client.get(reverse("customer-create")).context["form"]
    assert form["currency"].value() == "EUR"


@pytest.mark.parametrize(
    "bad",
    [
        {"name": ""},
        {"name": "x" * 10_000},
        {"email": "not-an-email"},
        {"email": "a" * 10_000 + "@x.test"},
        {"currency": "XXX"},
        {"billing_address": "x" * 10_000},
        {"notes": "x" * 10_000},
    ],
)
def test_bad_customer_input_is_a_form_error(owner_client, org, bad):
    response = owner_client.post(reverse("customer-create"), valid_post(**bad))
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Customer.objects.for_org(org).exists()


def test_edit_saves_and_records_what_changed(owner_client, org, customer):
    response = owner_client.post(
        reverse("customer-edit", args=[customer.pk]),
        valid_post(name="Jane's Cakes", email=customer.email, currency="GBP"),
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.currency) == ("Jane's Cakes", "GBP")
    activity = Activity.objects.for_org(org).get(verb=Verb.CUSTOMER_EDITED)
    assert sorted(activity.details["changed"]) == ["billing_address", "currency", "name"]


def test_saving_without_changes_records_nothing(owner_client, org, customer):
    data = valid_post(
        name=customer.name,
        email=customer.email,
        billing_address=customer.billing_address,
        currency=customer.currency,
    )
    owner_client.post(reverse("customer-edit", args=[customer.pk]), data)
    assert not Activity.objects.for_org(org).filter(verb=Verb.CUSTOMER_EDITED).exists()


def test_invalid_edit_changes_nothing(owner_client, customer):
    response = owner_client.post(
        reverse("customer-edit", args=[customer.pk]), valid_post(email="nope", name="Changed")
    )
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.name == "Jane's Bakery"


# The portal hook (SPEC 2) -------------------------------------------------------------------


@pytest.fixture
def portal_hook(monkeypatch):
    """Install a fake `solabooks.portal.services.on_customer_email_changed`, whether or not
    the portal app has written its services module yet."""
    calls = []

    def on_customer_email_changed(*, customer, actor):
        calls.append((customer.pk, customer.email, actor.label))
        return f"Portal access was disabled: enable it again for {customer.email}."

    try:
        from solabooks.portal import services as portal_services
    except ImportError:
        portal_services = types.ModuleType("solabooks.portal.services")
        monkeypatch.setitem(sys.modules, "solabooks.portal.services", portal_services)
    monkeypatch.setattr(
        portal_services, "on_customer_email_changed", on_customer_email_changed, raising=False
    )
    return calls


def test_email_change_calls_the_portal_hook_and_shows_its_message(
    owner_client, owner, customer, portal_hook
):
    response = owner_client.post(
        reverse("customer-edit", args=[customer.pk]),
        valid_post(email="new@bakery.test"),
        follow=True,
    )
    assert portal_hook == [(customer.pk, "new@bakery.test", owner.email)]
    messages = [str(m) for m in response.context["messages"]]
    assert "Portal access was disabled: enable it again for new@bakery.test." in messages


def test_other_edits_do_not_call_the_portal_hook(owner_client, customer, portal_hook):
    owner_client.post(
        reverse("customer-edit", args=[customer.pk]),
        valid_post(email=customer.email, notes="Likes invoices early"),
    )
    assert portal_hook == []


# Tabs ---------------------------------------------------------------------------------------


def test_documents_tab_lists_every_kind_with_balances(owner_client, customer, other_customer):
    invoice = make_document(customer=customer, kind="invoice", state="sent")
    quote = make_document(customer=customer, kind="quote")
    elsewhere = make_document(customer=other_customer, kind="invoice", state="sent")
    response = owner_client.get(reverse("customer-detail", args=[customer.pk]))
    html = response.content.decode()
    assert invoice.number in html and quote.number in html
    assert elsewhere.number not in html
    [balance] = response.context["balances"]
    assert (balance["currency"], balance["open"]) == (invoice.currency, invoice.total)
    create = reverse("document-create", args=["invoice"])
    assert f'href="{create}?customer={customer.pk}"' in html
    assert f'href="{reverse("document-create", args=["quote"])}?customer={customer.pk}"' in html


def test_documents_tab_balance_per_currency(owner_client, customer):
    make_documents(customer, 6)
    balances = owner_client.get(reverse("customer-detail", args=[customer.pk])).context["balances"]
    assert {row["currency"]: row["count"] for row in balances} == {"EUR": 1, "USD": 1}


def test_documents_tab_filters_and_pages(owner_client, customer):
    make_documents(customer, 60)
    url = reverse("customer-detail", args=[customer.pk])
    assert len(owner_client.get(url).context["page"].object_list) == 25
    invoices = owner_client.get(url, {"kind": "invoice"}).context["page"]
    assert invoices.paginator.count == 20
    assert {d.kind for d in invoices} == {"invoice"}
    for junk in ({"page": "abc"}, {"page": "99999"}, {"kind": "<script>"}):
        assert owner_client.get(url, junk).status_code == 200


def test_documents_tab_query_count_is_fixed(owner_client, customer):
    url = reverse("customer-detail", args=[customer.pk])
    make_documents(customer, 5)
    few = query_count(owner_client, url)
    make_documents(customer, 495)
    assert query_count(owner_client, url) == few


def test_portal_access_tab_renders_both_seams(owner_client, org, customer):
    response = owner_client.get(reverse("customer-portal-access", args=[customer.pk]))
    used = [t.name for t in response.templates]
    assert used.index("portal/_portal_access_panel.html") < used.index(
        "sharing/_customer_links.html"
    )
    assert response.context["customer"] == customer
    assert response.context["organization"] == org


def test_activity_tab_shows_only_this_customer_paged(owner_client, customer, other_customer):
    make_activity(customer, make_documents(customer, 3), 30)
    make_activity(other_customer, [], 5)
    url = reverse("customer-activity", args=[customer.pk])
    page = owner_client.get(url).context["page"]
    assert page.paginator.count == 30 and len(page.object_list) == 25
    assert {a.customer_id for a in page} == {customer.pk}
    assert owner_client.get(url, {"page": "abc"}).status_code == 200


def test_activity_tab_query_count_is_fixed(owner_client, customer):
    url = reverse("customer-activity", args=[customer.pk])
    documents = make_documents(customer, 5)
    make_activity(customer, documents, 5)
    few = query_count(owner_client, url)
    make_activity(customer, make_documents(customer, 50), 495)
    assert query_count(owner_client, url) == few


def test_customer_pages_escape_customer_text(owner_client, org):
    evil = CustomerFactory(organization=org, name="<script>alert(1)</script>")
    for name in CUSTOMER_URLS:
        html = owner_client.get(reverse(name, args=[evil.pk])).content.decode()
        assert "<script>alert(1)</script>" not in html


def test_email_change_disables_real_portal_access(owner_client, customer):
    """With the portal app's real hook (when it exists): SPEC 2 end to end."""
    portal_services = pytest.importorskip("solabooks.portal.services")
    if not hasattr(portal_services, "on_customer_email_changed"):
        pytest.skip("the portal app has no email-change hook yet")
    from solabooks.activity.services import Actor
    from solabooks.portal.models import AccessState, PortalAccess

    portal_services.enable_portal_access(
        customer=customer, confirmed_email=customer.email, actor=Actor.system()
    )
    response = owner_client.post(
        reverse("customer-edit", args=[customer.pk]),
        valid_post(email="new@bakery.test"),
        follow=True,
    )
    access = PortalAccess.objects.for_customer(customer).get()
    assert access.state == AccessState.DISABLED
    warnings = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
    assert len(warnings) == 1 and "new@bakery.test" in warnings[0]
