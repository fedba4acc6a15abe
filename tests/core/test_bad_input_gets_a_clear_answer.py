"""Bad input on every staff form and query parameter: a clear answer, never a 500 and never
a half-written record. Run on SQLite and on PostgreSQL (which refuses NUL in text, and
whose inet column refuses a malformed address)."""

from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse

from solabooks.activity.models import Activity, Verb
from solabooks.activity.services import Actor
from solabooks.customers.models import Customer
from solabooks.documents.models import Document, DocumentLine, Payment, PaymentAllocation
from solabooks.documents.payments import record_payment
from solabooks.documents.services import transition_document
from solabooks.mail.models import OutboxMessage
from solabooks.projects import customer_decisions
from solabooks.projects.models import ApprovalItem, ApprovalRequest, Project, TimeEntry
from solabooks.sharing.models import LinkPurpose, SecureLink
from solabooks.sharing.services import issue_link, mint_link
from solabooks.tenancy.models import ApiKey, Membership, Organization, User
from tests.confirming import CONFIRMED
from tests.documents.helpers import document_post
from tests.factories import make_document, make_einvoice_ready, make_project_with_time

from .staff_urls import link_urls, staff_urls
from .test_no_url_reaches_another_business import id_kinds

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
        PaymentAllocation, Activity, Project, TimeEntry, ApprovalRequest, ApprovalItem,
        SecureLink, OutboxMessage)  # fmt: skip


def counts() -> dict:
    return {model.__name__: model._default_manager.count() for model in ROWS}


@pytest.fixture
def world(org, owner, manager, customer):
    """An invoice (sent, open), a draft quote, a payment, a project with time (pending,
    waiting in an open approval request, approved): something for every form and page. The
    business and customer have e-invoice data, so the XML download answers too."""
    make_einvoice_ready(organization=org, customers=[customer])
    system = Actor.system()
    invoice = make_document(customer=customer)
    transition_document(document=invoice, action="mark_sent", actor=system)
    quote = make_document(customer=customer, kind="quote")
    paid = make_document(customer=customer)
    transition_document(document=paid, action="mark_sent", actor=system)
    payment = record_payment(
        organization=org,
        customer=customer,
        actor=system,
        date=paid.issue_date,
        amount=Decimal("10"),
        method="cash",
        allocations=[(paid, Decimal("10"))],
    )
    work = make_project_with_time(customer=customer, staff=owner)
    accepted = make_document(customer=customer, kind="quote")
    transition_document(document=accepted, action="mark_sent", actor=system)
    transition_document(document=accepted, action="mark_accepted", actor=system)
    return {
        "customer": customer,
        "invoice": invoice,
        "accepted_quote": accepted,
        "document": invoice,
        "quote": quote,
        "payment": payment,
        "membership": Membership.objects.get(organization=org, user=manager),
        "owner": owner,
        "project": work["project"],
        "time_entry": work["entry"],
        "approval_request": work["approval_request"],
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
        "credit_note_prefix": org.credit_note_prefix,
        "allow_portal_setup_from_link": "on",
    }


PROJECT_BODY = {
    "customer": "CUSTOMER",
    "name": "Fuzz project",
    "description": "Work",
    "status": "active",
    "budget_hours": "10",
    "budget_amount": "1000",
    "default_rate": "100",
    "show_entries": "on",
    "show_rates": "on",
    "show_staff": "on",
    "portal_visible": "on",
}
TIME_ROW = {
    "date": "2026-11-03",
    "staff_member": "ME",
    "hours": "1:30",
    "description": "Fuzzing",
    "billable": "on",
    "rate": "90",
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

    "INVOICE" in a key and "OTHER" (another customer), "CUSTOMER" (the world's customer),
    "ME" (the owner) and "ENTRY" (the pending time entry) as values are filled in with
    real ids by `form_case`.
    """
    invoice, customer, project = world["invoice"], world["customer"], world["project"]
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
        "project-create": (lambda: reverse("project-create"), PROJECT_BODY),
        "project-edit": (
            lambda: reverse("project-edit", args=[project.pk]),
            {**PROJECT_BODY, "customer": "OTHER"},
        ),
        "project-status": (
            lambda: reverse("project-status", args=[project.pk]),
            {"action": "hold"},
        ),
        "time-add": (
            lambda: reverse("project-time-add", args=[project.pk]),
            {
                "time-TOTAL_FORMS": "2",
                "time-INITIAL_FORMS": "0",
                **{f"time-0-{name}": value for name, value in TIME_ROW.items()},
                **{f"time-1-{name}": value for name, value in TIME_ROW.items()},
            },
        ),
        "time-edit": (
            lambda: reverse("time-entry-edit", args=[project.pk, world["time_entry"].pk]),
            TIME_ROW,
        ),
        "project-share": (
            lambda: reverse("project-share", args=[project.pk]),
            {"message": "Here it is"},
        ),
        "request-approval": (
            lambda: reverse("project-request-approval", args=[project.pk]),
            {"entries": "ENTRY", "message": "Please approve"},
        ),
        "project-invoice": (
            lambda: reverse("project-invoice", args=[project.pk]),
            {"grouping": "entry"},
        ),
    }


class _Stub:
    pk = 1
    email = "x@y.test"


def _static_fields() -> list[tuple[str, str]]:
    """(form, field) pairs, known without a database, for parametrizing."""
    stub_org = type("Org", (), {k: "" for k in ("name", "address", "reply_to_email",
        "brand_colour", "default_currency", "time_zone", "payment_terms_days",
        "invoice_prefix", "quote_prefix", "sales_order_prefix", "receipt_prefix", "credit_note_prefix", "pk")})()  # fmt: skip
    stub = {name: _Stub() for name in ("customer", "invoice", "quote", "membership", "project",
                                       "time_entry")}  # fmt: skip
    return [(name, field) for name, (_, body) in forms(stub, stub_org).items() for field in body]


FORM_FIELDS = _static_fields()


def form_case(world, org, other_customer, name: str) -> tuple[str, dict]:
    url, body = forms(world, org)[name]
    fill = {
        "OTHER": other_customer.pk,
        "CUSTOMER": world["customer"].pk,
        "ME": world["owner"].pk,
        "ENTRY": world["time_entry"].pk,
    }
    real = {}
    for key, value in body.items():
        key = key.replace("INVOICE", str(world["invoice"].pk))
        real[key] = str(fill[value]) if value in fill else value
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
        if response.status_code in (200, 400) and not response.context.get("new_key"):
            # The form came back with its errors (the API key page alone answers a
            # success with 200, showing the new key once; the project pages answer their
            # errors with 400): nothing at all was written.
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


QUERY_PARAMS = ["page", "customer", "state", "kind", "q", "number", "next", "organization",
                "status", "format"]  # fmt: skip


@pytest.mark.parametrize("url", [u for u in staff_urls() if u.allows("get") is not False], ids=str)
def test_every_query_parameter_of_every_page_survives_nasty_values(owner_client, world, url):
    kwargs = {name: world[kind].pk for name, kind in id_kinds(url).items() if name in url.kwargs}
    if "kind" in url.kwargs:
        kwargs["kind"] = "invoice"
    path = reverse(url.name, kwargs=kwargs)
    # The page itself answers (real ids of ours, not a 404 that would prove nothing).
    assert owner_client.get(path).status_code != 404, url.route
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
    # Voiding the sent invoice also issues its credit note (rows of their own): the void's
    # row is the one to look at.
    voids = Activity.objects.filter(verb=Verb.VOIDED)
    before = voids.count()
    response = owner_client.post(
        reverse("document-transition", args=[world["invoice"].pk]),
        {"action": "void", **CONFIRMED},
        **headers,
    )
    assert response.status_code == 302
    assert voids.count() == before + 1
    row = voids.latest("pk")
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


# --- The customer's secure-link pages (/i/, /q/, /p/, /t/) ------------------------------

# What each link page's forms post, with SHOWN (the approval page's fingerprint), ITEM (the
# approval item's id) and VERSION (the quote's content version) filled in by `link_case`.
LINK_FORMS = {
    "link-document": {"op": "request_access", "email": "someone@elsewhere.test"},
    "link-quote": {
        "op": "accept",
        "accept-version": "VERSION",
        "accept-signer_name": "Jane Baker",
        "decline-version": "VERSION",
        "decline-reason": "Too dear",
    },
    "link-project": {"op": "request_access", "email": "someone@elsewhere.test"},
    "link-time-approval": {
        "op": "decide",
        "shown": "SHOWN",
        "decision-ITEM": "reject",
        "comment-ITEM": "Two hours, not three",
    },
}
LINK_FIELDS = [(name, field) for name, body in LINK_FORMS.items() for field in body]
LINK_QUERY_PARAMS = ["page", "format", "op", "state", "next", "token"]


class _Undo(Exception):
    pass


@contextmanager
def undone():
    """Run a request and roll back what it wrote, so every nasty value meets the page as
    it was (an approval request still waiting, a quote still open)."""
    try:
        with transaction.atomic():
            yield
            raise _Undo
    except _Undo:
        pass


@pytest.fixture
def links(world) -> dict:
    """name -> (path, placeholders): a real, open link of every kind."""
    system = Actor.system()
    quote = make_document(customer=world["customer"], kind="quote")
    transition_document(document=quote, action="mark_sent", actor=system)
    quote.refresh_from_db()
    project, approval_request = world["project"], world["approval_request"]
    project_link = mint_link(
        organization=project.organization,
        customer=project.customer,
        purpose=LinkPurpose.PROJECT_SHARE,
        project=project,
        actor=system,
    )
    approval_link = mint_link(
        organization=project.organization,
        customer=project.customer,
        purpose=LinkPurpose.TIME_APPROVAL,
        project=project,
        approval_request=approval_request,
        actor=system,
    )
    item = approval_request.items.get()
    shown = customer_decisions.request_fingerprint(approval_request, [item])
    invoice_link = issue_link(document=world["invoice"], actor=system)
    return {
        "link-document": (reverse("link-document", args=[invoice_link.raw_token]), {}),
        "link-quote": (
            reverse("link-quote", args=[issue_link(document=quote, actor=system).raw_token]),
            {"VERSION": quote.content_version},
        ),
        "link-project": (reverse("link-project", args=[project_link.raw_token]), {}),
        "link-time-approval": (
            reverse("link-time-approval", args=[approval_link.raw_token]),
            {"SHOWN": shown, "ITEM": item.pk},
        ),
    }


def link_case(links, name: str) -> tuple[str, dict]:
    path, fill = links[name]
    body = {}
    for key, value in LINK_FORMS[name].items():
        key = key.replace("ITEM", str(fill.get("ITEM", "")))
        body[key] = str(fill[value]) if value in fill else value
    return path, body


def test_every_link_page_is_known_here():
    """A secure-link page added later must say how to mint its link and what it posts."""
    assert {url.name for url in link_urls()} == set(LINK_FORMS)


@pytest.mark.parametrize("url", link_urls(), ids=str)
def test_every_query_parameter_of_every_link_page_survives_nasty_values(client, links, url):
    path, _ = links[url.name]
    assert client.get(path).status_code == 200  # a real, open link
    for value in NASTY:
        with undone():
            response = client.get(path, {param: value for param in LINK_QUERY_PARAMS})
        assert response.status_code < 500, (url.name, value)


@pytest.mark.parametrize("name,field", LINK_FIELDS, ids=[f"{n}:{f}" for n, f in LINK_FIELDS])
def test_every_field_of_every_link_page_survives_nasty_values(client, links, name, field):
    path, body = link_case(links, name)
    field = field.replace("ITEM", str(links[name][1].get("ITEM", "")))
    with undone():  # the valid body does work, so the nasty values below are refused by it
        assert client.post(path, body).status_code in (200, 302)
    for value in NASTY:
        with undone():
            response = client.post(path, {**body, field: value})
        assert response.status_code < 500, (name, field, value)
        if response.status_code == 400:
            assert response.content.strip(), (name, field, value)  # says what is wrong
