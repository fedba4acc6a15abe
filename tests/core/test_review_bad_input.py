"""Bad input on every staff form and query parameter: a clear answer, never a 500 and never
a half-written record. Run on SQLite and on PostgreSQL (which refuses NUL in text, and
whose inet column refuses a malformed address)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from solabooks.activity.models import Activity
from solabooks.activity.services import Actor
from solabooks.customers.models import Customer
from solabooks.documents.models import Document, DocumentLine, Payment, PaymentAllocation
from solabooks.documents.services import transition_document
from solabooks.tenancy.models import ApiKey, Membership, Organization, User
from tests.documents.helpers import document_post
from tests.factories import make_document

from .staff_urls import staff_urls

pytestmark = pytest.mark.django_db

NASTY = [
    "",
    " ",
    "\x00",
    "12\x003",
    "-1",
    "-0",
    "1e999",
    "NaN",
    "sNaN",
    "-Infinity",
    "١٢٣",  # Arabic-Indic digits
    "１２３",  # full-width digits
    "9" * 40,
    "0.0000000001",
    "2025-02-30",
    "0001-01-01",
    "<script>alert(1)</script>",
    "\u202e\u0645",  # right-to-left override
    "x" * 20_000,
]

ROWS = (Organization, User, Membership, ApiKey, Customer, Document, DocumentLine, Payment,
        PaymentAllocation, Activity)  # fmt: skip


def counts() -> dict:
    return {model.__name__: model._default_manager.count() for model in ROWS}


@pytest.fixture
def world(org, owner, manager, customer):
    """An invoice (sent, open), a draft quote, a payment: something for every form."""
    invoice = make_document(customer=customer)
    transition_document(document=invoice, action="mark_sent", actor=Actor.system())
    quote = make_document(customer=customer, kind="quote")
    return {
        "customer": customer,
        "invoice": invoice,
        "quote": quote,
        "membership": Membership.objects.get(organization=org, user=manager),
    }


def settings_body(org) -> dict:
    return {
        "name": org.name,
        "address": org.address,
        "reply_to_email": org.reply_to_email,
        "brand_colour": org.brand_colour,
        "default_currency": org.default_currency,
        "time_zone": org.time_zone,
        "payment_terms_days": str(org.payment_terms_days),
        "invoice_prefix": org.invoice_prefix,
        "quote_prefix": org.quote_prefix,
        "sales_order_prefix": org.sales_order_prefix,
        "receipt_prefix": org.receipt_prefix,
        "allow_portal_setup_from_link": "on",
    }


CUSTOMER_BODY = {
    "name": "Fuzz Ltd",
    "email": "fuzz@client.test",
    "billing_address": "1 Road",
    "currency": "USD",
    "notes": "",
}


def forms(world, org) -> dict:
    """name -> (url, valid body). Each field of each body gets every NASTY value.

    "INVOICE" in a key and "OTHER" as a value are filled in with real ids by `form_case`.
    """
    invoice, customer = world["invoice"], world["customer"]
    payment = {
        "customer": str(customer.pk),
        "date": "2025-03-01",
        "amount": "10",
        "currency": "USD",
        "method": "cash",
        "reference": "ref",
        "issue_receipt": "on",
        "allocation_INVOICE": "10",
    }
    line_fields = {
        "lines-0-description": "Work",
        "lines-0-quantity": "1",
        "lines-0-unit_price": "10",
        "lines-0-tax_rate": "0",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
    }
    create = document_post(customer=customer, due_date="2025-03-31", currency="")
    create.update(line_fields)
    edit = document_post(due_date="2025-03-31")
    edit.update(line_fields)
    return {
        "settings": (lambda: reverse("organization-settings"), settings_body(org)),
        "member-add": (
            lambda: reverse("member-list"),
            {"email": "new@staff.test", "role": "manager", "password": ""},
        ),
        "member-role": (
            lambda: reverse("member-role", args=[world["membership"].pk]),
            {"role": "accountant"},
        ),
        "api-key": (lambda: reverse("api-key-list"), {"name": "Sync"}),
        "switch": (lambda: reverse("switch-organization"), {"organization": str(org.pk)}),
        "customer-create": (lambda: reverse("customer-create"), CUSTOMER_BODY),
        "customer-edit": (lambda: reverse("customer-edit", args=[customer.pk]), CUSTOMER_BODY),
        "invoice-create": (lambda: reverse("document-create", args=["invoice"]), create),
        "quote-create": (
            lambda: reverse("document-create", args=["quote"]),
            {**create, "valid_until": "2025-04-01"},
        ),
        "invoice-edit": (lambda: reverse("document-edit", args=[invoice.pk]), edit),
        "transition": (
            lambda: reverse("document-transition", args=[invoice.pk]),
            {"action": "void"},
        ),
        "reassign": (
            lambda: reverse("document-reassign", args=[invoice.pk]),
            {"customer": "OTHER"},
        ),
        "convert": (
            lambda: reverse("document-convert", args=[world["quote"].pk]),
            {"to_kind": "invoice"},
        ),
        "payment-create": (lambda: reverse("payment-create"), payment),
        "send": (
            lambda: reverse("document-send", args=[invoice.pk]),
            {"subject": "Hi", "message": "Hello"},
        ),
        "portal-enable": (
            lambda: reverse("portal-access-enable", args=[customer.pk]),
            {"confirm_email": customer.email},
        ),
    }


class _Stub:
    pk = 1
    email = "x@y.test"


def _static_fields() -> list[tuple[str, str]]:
    """(form, field) pairs, known without a database, for parametrizing."""
    stub_org = type("Org", (), {k: "" for k in ("name", "address", "reply_to_email",
        "brand_colour", "default_currency", "time_zone", "payment_terms_days",
        "invoice_prefix", "quote_prefix", "sales_order_prefix", "receipt_prefix", "pk")})()  # fmt: skip
    stub = {"customer": _Stub(), "invoice": _Stub(), "quote": _Stub(), "membership": _Stub()}
    return [(name, field) for name, (_, body) in forms(stub, stub_org).items() for field in body]


FORM_FIELDS = _static_fields()


def form_case(world, org, other_customer, name: str) -> tuple[str, dict]:
    url, body = forms(world, org)[name]
    real = {}
    for key, value in body.items():
        key = key.replace("INVOICE", str(world["invoice"].pk))
        real[key] = str(other_customer.pk) if value == "OTHER" else value
    return url(), real


@pytest.mark.parametrize("form_name,field", FORM_FIELDS, ids=[f"{n}:{f}" for n, f in FORM_FIELDS])
def test_every_field_of_every_form_survives_nasty_values(
    owner_client, world, org, other_customer, form_name, field
):
    url, body = form_case(world, org, other_customer, form_name)
    field = field.replace("INVOICE", str(world["invoice"].pk))
    for value in NASTY:
        before = counts()
        response = owner_client.post(url, {**body, field: value})
        assert response.status_code < 500, (form_name, field, value)
        if response.status_code == 200 and not response.context.get("new_key"):
            # The form came back with its errors (the API key page alone answers a
            # success with 200, showing the new key once): nothing at all was written.
            assert counts() == before, (form_name, field, value)
            assert b"errorlist" in response.content or b"message error" in response.content


FORM_NAMES = sorted({name for name, _ in FORM_FIELDS})


@pytest.mark.parametrize("form_name", FORM_NAMES)
def test_a_field_sent_twice_or_left_out_is_never_a_500(
    owner_client, world, org, other_customer, form_name
):
    url, body = form_case(world, org, other_customer, form_name)
    for field in body:
        missing = {k: v for k, v in body.items() if k != field}
        assert owner_client.post(url, missing).status_code < 500, field
        doubled = {**body, field: [body[field], "x\x00"]}
        assert owner_client.post(url, doubled).status_code < 500, field


QUERY_PARAMS = ["page", "customer", "state", "kind", "q", "number", "next", "organization"]


@pytest.mark.parametrize("url", [u for u in staff_urls() if u.allows("get") is not False], ids=str)
def test_every_query_parameter_of_every_page_survives_nasty_values(owner_client, world, url):
    kwargs = {}
    if "pk" in url.kwargs:
        obj = {"customer": world["customer"], "payment": None}.get(url.route.split("/")[1])
        kwargs["pk"] = (obj or world["invoice"]).pk
        if url.route.startswith("finance/customers/"):
            kwargs["pk"] = world["customer"].pk
        if url.route.startswith("finance/settings/members/"):
            kwargs["pk"] = world["membership"].pk
    if "kind" in url.kwargs:
        kwargs["kind"] = "invoice"
    path = reverse(url.name, kwargs=kwargs)
    for value in NASTY:
        response = owner_client.get(path, {param: value for param in QUERY_PARAMS})
        assert response.status_code < 500, (url.route, value)


@pytest.mark.parametrize("kind", ["invoice", "quote", "sales_order", "receipt", "x" * 300, "%00"])
def test_list_filters_survive_nasty_values(owner_client, world, kind):
    path = f"/finance/documents/{kind}/"
    for value in NASTY:
        for param in ("page", "customer", "state", "number"):
            response = owner_client.get(path, {param: value})
            assert response.status_code in (200, 404), (kind, param, value)


@pytest.mark.parametrize(
    "path",
    [
        "/finance/document/99999999999999999999999999/",
        "/finance/document/9223372036854775808/",
        "/finance/customers/18446744073709551616/edit/",
        "/finance/payments/99999999999999999999/",
        "/finance/document/-1/",
        "/finance/document/%D9%A1%D9%A2/",
        "/finance/document/1%00/",
    ],
)
def test_out_of_range_ids_in_urls_are_404(owner_client, path):
    assert owner_client.get(path).status_code == 404
    assert owner_client.post(path, {"action": "void"}).status_code in (404, 405)


@pytest.mark.parametrize("value", ["99999999999999999999", "9223372036854775808", "-1"])
def test_out_of_range_ids_in_parameters_are_form_errors(owner_client, world, value):
    assert owner_client.get(reverse("payment-create"), {"customer": value}).status_code == 200
    assert owner_client.get(reverse("payment-list"), {"customer": value}).status_code == 200
    response = owner_client.post(
        reverse("document-create", args=["invoice"]), document_post(customer=value)
    )
    assert response.status_code == 200
    assert b"Choose one of your customers" in response.content


def test_a_10_mb_body_is_a_400_not_a_500(owner_client, world):
    before = counts()
    body = {**CUSTOMER_BODY, "notes": "x" * (10 * 1024 * 1024)}
    response = owner_client.post(reverse("customer-create"), body)
    assert response.status_code == 400
    assert b"too large" in response.content
    assert counts() == before


def test_too_many_fields_is_a_400_not_a_500(owner_client, world):
    body = {f"lines-{i}-description": "x" for i in range(5000)}
    response = owner_client.post(reverse("document-create", args=["invoice"]), body)
    assert response.status_code == 400


@pytest.mark.parametrize(
    "management",
    [
        {},
        {"lines-TOTAL_FORMS": "-1", "lines-INITIAL_FORMS": "0"},
        {"lines-TOTAL_FORMS": "abc", "lines-INITIAL_FORMS": "0"},
        {"lines-TOTAL_FORMS": "1e999", "lines-INITIAL_FORMS": "0"},
        {"lines-TOTAL_FORMS": "99999999999999999999", "lines-INITIAL_FORMS": "0"},
        {"lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0"},
    ],
)
def test_tampered_line_formset_is_a_form_error(owner_client, world, management):
    before = counts()
    body = document_post(customer=world["customer"])
    for key in [k for k in body if k.endswith("_FORMS")]:
        del body[key]
    body.update(management)
    response = owner_client.post(reverse("document-create", args=["invoice"]), body)
    assert response.status_code == 200
    assert counts() == before


def test_all_lines_deleted_is_a_form_error(owner_client, world):
    body = document_post(customer=world["customer"])
    body["lines-0-DELETE"] = "on"
    before = counts()
    response = owner_client.post(reverse("document-create", args=["invoice"]), body)
    assert response.status_code == 200
    assert b"at least one line" in response.content
    assert counts() == before


@pytest.mark.parametrize("value", ["-0", "-0.00", "-.0"])  # "-0e5": not a plain number
def test_negative_zero_is_stored_as_zero(owner_client, world, value):
    line = {"description": "Free", "quantity": "1", "unit_price": value, "tax_rate": value}
    response = owner_client.post(
        reverse("document-create", args=["invoice"]),
        document_post(customer=world["customer"], lines=[line]),
    )
    assert response.status_code == 302
    document = Document.objects.for_org(world["customer"].organization).latest("pk")
    line = document.lines.get()
    assert not line.unit_price.is_signed() and not line.tax_rate.is_signed()
    page = owner_client.get(reverse("document-detail", args=[document.pk])).content.decode()
    assert "-0.0" not in page and ">-0<" not in page


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_USER_AGENT": "Mozilla\x00/5.0"},
        {"HTTP_USER_AGENT": "x" * 10_000},
        {"REMOTE_ADDR": "not-an-ip"},
        {"REMOTE_ADDR": "unix:/run/gunicorn.sock"},
        {"REMOTE_ADDR": ""},
    ],
)
def test_odd_request_headers_never_break_activity(owner_client, world, headers):
    before = Activity.objects.count()
    response = owner_client.post(
        reverse("document-transition", args=[world["invoice"].pk]), {"action": "void"}, **headers
    )
    assert response.status_code == 302
    assert Activity.objects.count() == before + 1
    row = Activity.objects.latest("pk")
    assert "\x00" not in row.user_agent
    assert len(row.user_agent) <= 400


def test_money_never_shows_a_float_artifact(owner_client, world):
    line = {"description": "Thirds", "quantity": "3", "unit_price": "0.333", "tax_rate": "0"}
    owner_client.post(
        reverse("document-create", args=["invoice"]),
        document_post(customer=world["customer"], lines=[line]),
    )
    document = Document.objects.for_org(world["customer"].organization).latest("pk")
    assert document.total == Decimal("1.00")
