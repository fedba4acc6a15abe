"""Schemathesis fuzzes every operation of the live OpenAPI schema, in process (WSGI), with a
real API key: positive and negative data, a fixed number of examples per operation and a
fixed seed (derandomize), so CI runs the same requests every time.

It checks that nothing answers 5xx, that every status code and body is documented in the
schema, and that bodies match it. Ids in paths and bodies are usually random (so 404 and
400 get exercised); `pick` swaps in ids of real rows of the key's business, so the 2xx
paths and their bodies are checked too.
"""

from decimal import Decimal

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from solabooks.activity.services import Actor
from solabooks.documents.services import record_payment
from tests.factories import CustomerFactory, make_document

from .conftest import make_key

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
    unsupported_method,
    ignored_auth,
]


@pytest.fixture
def api_schema(db):
    # Django closes "old" connections when a request starts and ends; inside the test's
    # transaction that would close it (and lose the test data) on PostgreSQL. Django's
    # own test client switches this off the same way while it runs a request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/finance/api/schema/", WSGIHandler())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def world(db, settings, org, owner):
    """A business with customers, documents of every kind, a payment and a sent link."""
    # The fuzzer makes hundreds of calls with one key; the limit has its own test.
    settings.SOLABOOKS_API_RATE_LIMIT = (100_000, 60)
    settings.DEBUG_PROPAGATE_EXCEPTIONS = True
    key = make_key(org, owner)
    customers = [CustomerFactory(organization=org) for _ in range(3)]
    documents = [
        make_document(customer=customers[0], kind="invoice"),
        make_document(customer=customers[0], kind="invoice", state="sent"),
        make_document(customer=customers[1], kind="quote", state="accepted"),
        make_document(customer=customers[1], kind="sales_order"),
        make_document(customer=customers[2], kind="quote", state="sent"),
    ]
    payment = record_payment(
        organization=org,
        customer=customers[0],
        actor=Actor.system(),
        date=documents[1].issue_date,
        amount=Decimal("10"),
        method="cash",
        allocations=[(documents[1], Decimal("10"))],
        issue_receipt=True,
    )
    ids = {
        "customers": [c.pk for c in customers],
        "documents": [d.pk for d in documents] + [payment.receipt.pk],
        "payments": [payment.pk],
    }
    return {
        "headers": {"Authorization": f"Bearer {key.raw}"},
        "ids": ids,
        "emails": [c.email for c in customers],
    }


schema = schemathesis.pytest.from_fixture("api_schema")
REAL_ACTIONS = ["mark_sent", "void", "confirm", "mark_accepted", "cancel", "fulfil"]


def _use_real_ids(case, ids: dict[str, list[int]], pick: int) -> None:
    """Half of the examples aim at rows that exist (pick is drawn by Hypothesis, so the
    choice is part of the derandomized example)."""
    if pick % 2:
        return
    collection = case.path.split("/")[4]  # /finance/api/v1/<collection>/{id}/...
    path_parameters = case.path_parameters or {}
    if "id" in path_parameters and ids.get(collection):
        path_parameters["id"] = ids[collection][pick // 2 % len(ids[collection])]
    if "action" in path_parameters:
        path_parameters["action"] = REAL_ACTIONS[pick // 2 % len(REAL_ACTIONS)]
    if isinstance(case.body, dict) and "customer" in case.body:
        case.body["customer"] = ids["customers"][pick // 2 % len(ids["customers"])]


@schema.parametrize()
@schema.given(pick=st.integers(min_value=0, max_value=11))
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, pick, world):
    _use_real_ids(case, world["ids"], pick)
    case.call_and_validate(headers=world["headers"], checks=CHECKS)


def test_successful_answers_conform_to_the_schema(api_schema, world):
    """Random bodies rarely make a valid document or payment, so the 2xx answers of the
    writes are checked here with real ones, through the same schema checks."""
    ids = world["ids"]
    base = "/finance/api/v1"
    line = {"description": "Design", "quantity": "2", "unit_price": "99.50", "tax_rate": "20"}
    cases = [
        ("/documents/", "POST", {}, {"kind": "quote", "customer": ids["customers"][0], "lines": [line]}),
        ("/documents/{id}/", "PUT", {"id": ids["documents"][0]}, {"issue_date": "2026-01-05", "lines": [line]}),
        ("/documents/{id}/actions/{action}", "POST", {"id": ids["documents"][0], "action": "mark_sent"}, None),
        ("/documents/{id}/convert", "POST", {"id": ids["documents"][2]}, {"to_kind": "invoice"}),
        ("/documents/{id}/send", "POST", {"id": ids["documents"][0]}, {"expires_in": 3600}),
        ("/payments/", "POST", {}, {
            "customer": ids["customers"][0], "date": "2026-01-06", "amount": "5", "method": "card",
            "allocations": [{"invoice": ids["documents"][1], "amount": "5"}], "issue_receipt": True,
        }),
        ("/customers/{id}/portal-access/enable", "POST", {"id": ids["customers"][0]}, {"email": world["emails"][0]}),
        ("/customers/{id}/portal-access/disable", "POST", {"id": ids["customers"][0]}, None),
    ]  # fmt: skip
    for path, method, path_parameters, body in cases:
        operation = api_schema[base + path][method]
        kwargs = {"path_parameters": path_parameters} if path_parameters else {}
        if body is not None:
            kwargs["body"] = body
        response = operation.Case(**kwargs).call_and_validate(
            headers=world["headers"], checks=CHECKS
        )
        assert response.status_code < 300, (path, response.status_code, response.text)
