"""`Idempotency-Key` on the staff API's writes: a retried POST (after a timeout, say) gets the
first answer again instead of recording the payment or emailing the customer twice.

The first answer (status, Content-Type, body) is kept 24 hours per business and key; a retry
with the same request replays it with `Idempotent-Replayed: true` and does nothing; the same
key with another request is a 422; a key still being worked on is a 409 with Retry-After.
"""

import datetime
import json
import threading

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory

from solabooks.activity.models import Activity, Verb
from solabooks.api.base import ApiView
from solabooks.api.models import IdempotencyKey
from solabooks.api.schema import openapi_schema
from solabooks.api.services import Outcome, claim_idempotency_key
from solabooks.customers.models import Customer
from solabooks.documents import payments as document_payments
from solabooks.documents.models import Payment
from solabooks.mail.models import OutboxMessage
from tests.factories import CustomerFactory, OrganizationFactory, make_document

from .conftest import API, key_client, make_key

pytestmark = pytest.mark.django_db

TABLE = IdempotencyKey._meta.db_table
REPLAYED = "Idempotent-Replayed"


def payment_body(customer, **changes) -> dict:
    return {
        "customer": customer.pk,
        "date": "2026-02-10",
        "amount": "40",
        "method": "bank_transfer",
        "reference": "TX-1",
        **changes,
    }


def post(client, path: str, body, key: str | None = None, **extra):
    headers = {"Idempotency-Key": key} if key is not None else {}
    if isinstance(body, str | bytes):
        return client.post(
            f"{API}{path}", body, content_type="application/json", headers=headers, **extra
        )
    return client.post(f"{API}{path}", body, format="json", headers=headers, **extra)


def assert_replay_of(retry, first) -> None:
    assert retry.status_code == first.status_code
    assert retry.content == first.content
    assert retry["Content-Type"] == first["Content-Type"]
    assert retry[REPLAYED] == "true"
    assert REPLAYED not in first


# --- The work is done once ---------------------------------------------------------------


def test_a_retried_payment_is_recorded_once(api, org, customer):
    first = post(api, "/payments/", payment_body(customer), key="pay-2026-0001")
    assert first.status_code == 201, first.content
    calls = Activity.objects.for_org(org).filter(verb=Verb.API_CALL).count()
    recorded = Activity.objects.for_org(org).filter(verb=Verb.PAYMENT_RECORDED).count()

    for _ in range(2):
        retry = post(api, "/payments/", payment_body(customer), key="pay-2026-0001")
        assert_replay_of(retry, first)

    assert Payment.objects.for_org(org).count() == 1
    # Neither the service's Activity nor the API's own "API call" row is written again.
    assert Activity.objects.for_org(org).filter(verb=Verb.PAYMENT_RECORDED).count() == recorded
    assert Activity.objects.for_org(org).filter(verb=Verb.API_CALL).count() == calls == 1


def test_a_retried_send_emails_the_customer_once(
    api, org, customer, mailoutbox, django_capture_on_commit_callbacks
):
    invoice = make_document(customer=customer)
    path = f"/documents/{invoice.pk}/send"
    with django_capture_on_commit_callbacks(execute=True):
        first = post(api, path, {"subject": "Your invoice"}, key="send-1")
    assert first.status_code == 202, first.content
    with django_capture_on_commit_callbacks(execute=True):
        retry = post(api, path, {"subject": "Your invoice"}, key="send-1")
    assert_replay_of(retry, first)
    assert OutboxMessage.objects.filter(organization=org).count() == 1
    assert len(mailoutbox) == 1
    assert invoice.secure_links.count() == 1


def test_a_retried_action_without_a_body_is_replayed(api, customer):
    invoice = make_document(customer=customer)
    path = f"/documents/{invoice.pk}/actions/mark_sent"
    first = api.post(f"{API}{path}", headers={"Idempotency-Key": "mark-1"})
    assert first.status_code == 200, first.content
    # Without the key the same call is refused now (the invoice is already sent)...
    assert api.post(f"{API}{path}").status_code == 400
    # ...with it, the retry gets the first answer.
    assert_replay_of(api.post(f"{API}{path}", headers={"Idempotency-Key": "mark-1"}), first)


def test_patch_takes_a_key_too(api, org, customer):
    path = f"{API}/customers/{customer.pk}/"
    headers = {"Idempotency-Key": "rename-1"}
    first = api.patch(path, {"name": "Jane's Bakery Ltd"}, format="json", headers=headers)
    assert first.status_code == 200, first.content
    edits = Activity.objects.for_org(org).filter(verb=Verb.CUSTOMER_EDITED).count()
    retry = api.patch(path, {"name": "Jane's Bakery Ltd"}, format="json", headers=headers)
    assert_replay_of(retry, first)
    assert Activity.objects.for_org(org).filter(verb=Verb.CUSTOMER_EDITED).count() == edits == 1


def test_a_staff_session_can_use_keys(owner_client, org, customer):
    body = json.dumps(payment_body(customer))
    headers = {"Idempotency-Key": "session-pay"}
    url = f"{API}/payments/"
    first = owner_client.post(url, body, content_type="application/json", headers=headers)
    assert first.status_code == 201, first.content
    retry = owner_client.post(url, body, content_type="application/json", headers=headers)
    assert_replay_of(retry, first)
    assert Payment.objects.for_org(org).count() == 1


class _Counting:
    """A mixin bringing its own POST handler, as a future view might."""

    calls: list[dict]

    def post(self, request):
        self.calls.append(request.data)
        return Response({"call": len(self.calls)}, status=201)


def test_a_new_write_endpoint_gets_keys_without_asking(key):
    class FutureView(ApiView):
        calls: list[dict] = []

        def post(self, request):
            self.calls.append(request.data)
            return Response({"call": len(self.calls)}, status=201)

    class MixedInView(_Counting, ApiView):
        calls: list[dict] = []

    factory = APIRequestFactory()
    for view_class in (FutureView, MixedInView):
        view = view_class.as_view()
        answers = [
            view(
                factory.post(
                    "/finance/api/v1/future",
                    {"n": 1},
                    format="json",
                    HTTP_AUTHORIZATION=f"Bearer {key.raw}",
                    HTTP_IDEMPOTENCY_KEY=f"future-{view_class.__name__}",
                )
            )
            for _ in range(2)
        ]
        answers[0].render()  # the first is the view's Response; the replay is plain bytes
        assert view_class.calls == [{"n": 1}]
        assert_replay_of(answers[1], answers[0])


# --- What counts as the same request -----------------------------------------------------


def test_whitespace_and_key_order_do_not_make_another_request(api, org, customer):
    compact = json.dumps(payment_body(customer), separators=(",", ":"))
    spread = json.dumps(dict(reversed(payment_body(customer).items())), indent=4)
    first = post(api, "/payments/", compact, key="same-meaning")
    assert first.status_code == 201
    assert_replay_of(post(api, "/payments/", spread, key="same-meaning"), first)
    assert Payment.objects.for_org(org).count() == 1


@pytest.mark.parametrize(
    "changes",
    [{"amount": "41"}, {"reference": "TX-2"}, {"issue_receipt": True}],
    ids=["another amount", "another reference", "one more field"],
)
def test_the_same_key_with_another_body_is_422(api, org, customer, changes):
    first = post(api, "/payments/", payment_body(customer), key="pay-1")
    assert first.status_code == 201
    other = post(api, "/payments/", payment_body(customer, **changes), key="pay-1")
    assert other.status_code == 422
    error = other.json()["error"]
    assert error["code"] == "idempotency_key_reused"
    assert "Idempotency-Key" in error["message"]
    assert REPLAYED not in other
    assert Payment.objects.for_org(org).count() == 1
    # The stored answer is still the first request's.
    assert_replay_of(post(api, "/payments/", payment_body(customer), key="pay-1"), first)


def test_a_number_and_a_string_are_not_the_same_body(api, org, customer):
    # The fingerprint keeps JSON types: a retry that sends 40 where the first sent "40" is
    # another request (422), not a replay of the first one's 201.
    first = post(api, "/payments/", payment_body(customer, amount="40"), key="typed")
    assert first.status_code == 201
    assert (
        post(api, "/payments/", payment_body(customer, amount=40), key="typed").status_code == 422
    )


def test_the_same_key_on_another_path_or_method_is_422(api, customer, other_customer):
    created = post(api, "/customers/", {"name": "New Co", "email": "new@co.test"}, key="k-1")
    assert created.status_code == 201
    elsewhere = post(api, f"/customers/{customer.pk}/portal-access/disable", None, key="k-1")
    assert elsewhere.status_code == 422
    patched = api.patch(
        f"{API}/customers/{other_customer.pk}/",
        {"name": "New Co", "email": "new@co.test"},
        format="json",
        headers={"Idempotency-Key": "k-1"},
    )
    assert patched.status_code == 422


# --- Businesses never share keys ---------------------------------------------------------


def test_one_key_in_two_businesses_is_two_requests(api, other_api, org, other_org):
    body = {"name": "Same Name Ltd", "email": "same@name.test"}
    ours = post(api, "/customers/", body, key="create-customer-1")
    theirs = post(other_api, "/customers/", body, key="create-customer-1")
    assert ours.status_code == theirs.status_code == 201
    assert REPLAYED not in theirs
    assert ours.json()["id"] != theirs.json()["id"]
    assert Customer.objects.for_org(org).filter(pk=ours.json()["id"]).exists()
    assert Customer.objects.for_org(other_org).filter(pk=theirs.json()["id"]).exists()
    # Each business's retry gets its own answer, never the other's.
    assert_replay_of(post(api, "/customers/", body, key="create-customer-1"), ours)
    assert_replay_of(post(other_api, "/customers/", body, key="create-customer-1"), theirs)
    assert IdempotencyKey.objects.for_org(org).get().body == ours.content
    assert IdempotencyKey.objects.for_org(other_org).get().body == theirs.content


def test_another_business_cannot_read_a_stored_answer_with_any_body(api, other_api, customer):
    first = post(api, "/payments/", payment_body(customer), key="secret-ish")
    assert first.status_code == 201
    # The other business knows the key and sends the very same bytes: it gets its own
    # answer (Acme's customer is not one of theirs), not Acme's payment.
    theirs = post(other_api, "/payments/", payment_body(customer), key="secret-ish")
    assert theirs.status_code == 400
    assert REPLAYED not in theirs
    assert theirs.content != first.content


def test_keys_of_one_business_are_shared_by_its_api_keys_and_sessions(
    api, org, owner, owner_client, customer
):
    second_key = key_client(make_key(org, owner, name="Second integration").raw)
    first = post(api, "/payments/", payment_body(customer), key="shared")
    assert_replay_of(post(second_key, "/payments/", payment_body(customer), key="shared"), first)
    assert Payment.objects.for_org(org).count() == 1


# --- Keys that are not valid -------------------------------------------------------------


@pytest.mark.parametrize(
    "idem_key",
    ["", "x" * 256, "clé", "tab\there", "line\nbreak", " leading", "trailing ", "\x7f"],
    ids=["empty", "256 chars", "not ASCII", "tab", "newline", "leading space",
         "trailing space", "DEL"],
)  # fmt: skip
def test_a_key_that_is_not_valid_is_a_400_and_nothing_is_done(api, org, customer, idem_key):
    with CaptureQueriesContext(connection) as queries:
        response = post(api, "/payments/", payment_body(customer), key=idem_key)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_idempotency_key"
    assert "255" in error["message"] and "ASCII" in error["message"]
    assert Payment.objects.for_org(org).count() == 0
    assert not any(TABLE in q["sql"] for q in queries.captured_queries)


@pytest.mark.parametrize(
    "idem_key", ["a", "x" * 255, "0f8fad5b-d9cb-469f-a165-70867728950e", "order 12/3 #a?b=c:~!"]
)
def test_keys_of_printable_ascii_up_to_255_characters_are_accepted(api, customer, idem_key):
    first = post(api, "/payments/", payment_body(customer), key=idem_key)
    assert first.status_code == 201
    assert_replay_of(post(api, "/payments/", payment_body(customer), key=idem_key), first)


# --- Without the header nothing changes; before authentication nothing is read ------------


def test_without_the_header_nothing_touches_the_key_table(api, org, customer):
    with CaptureQueriesContext(connection) as queries:
        one = post(api, "/payments/", payment_body(customer))
        two = post(api, "/payments/", payment_body(customer))
    assert one.status_code == two.status_code == 201
    assert REPLAYED not in one and REPLAYED not in two
    assert Payment.objects.for_org(org).count() == 2
    assert not any(TABLE in q["sql"] for q in queries.captured_queries)
    assert not IdempotencyKey.objects.exists()


def test_a_key_costs_a_few_small_queries(api, customer):
    with CaptureQueriesContext(connection) as queries:
        first = post(api, "/payments/", payment_body(customer), key="count-me")
    assert first.status_code == 201
    on_table = [q["sql"] for q in queries.captured_queries if TABLE in q["sql"]]
    assert len(on_table) == 2, on_table  # the claim and the stored answer
    with CaptureQueriesContext(connection) as queries:
        retry = post(api, "/payments/", payment_body(customer), key="count-me")
    assert retry[REPLAYED] == "true"
    on_table = [q["sql"] for q in queries.captured_queries if TABLE in q["sql"]]
    assert len(on_table) == 2, on_table  # the claim that finds the key taken, and the read
    assert not any("documents_payment" in q["sql"] for q in queries.captured_queries)


def test_a_get_ignores_the_header(api, customer):
    with CaptureQueriesContext(connection) as queries:
        response = api.get(f"{API}/customers/", headers={"Idempotency-Key": "not looked at"})
    assert response.status_code == 200
    assert not any(TABLE in q["sql"] for q in queries.captured_queries)


@pytest.mark.parametrize(
    "credentials", [None, "Bearer sb_not-a-real-key"], ids=["no credentials", "unknown key"]
)
def test_an_unauthenticated_request_never_touches_the_table(api, customer, credentials):
    stranger = key_client("ignored")
    stranger.credentials(**({"HTTP_AUTHORIZATION": credentials} if credentials else {}))
    with CaptureQueriesContext(connection) as queries:
        response = post(stranger, "/payments/", payment_body(customer), key="k")
    assert response.status_code == 401
    assert not any(TABLE in q["sql"] for q in queries.captured_queries)
    assert not IdempotencyKey.objects.exists()


def test_a_throttled_request_is_not_stored(api, settings, org, customer):
    settings.SOLABOOKS_API_RATE_LIMIT = (1, 60)
    # Mid-window and frozen: the limit's windows are whole clock minutes.
    middle_of_a_minute = timezone.now().replace(second=30, microsecond=0)
    with time_machine.travel(middle_of_a_minute, tick=False):
        assert api.get(f"{API}/customers/").status_code == 200
        throttled = post(api, "/payments/", payment_body(customer), key="later")
        assert throttled.status_code == 429
        assert not IdempotencyKey.objects.exists()
        settings.SOLABOOKS_API_RATE_LIMIT = (100, 60)
        assert post(api, "/payments/", payment_body(customer), key="later").status_code == 201
    assert Payment.objects.for_org(org).count() == 1


def test_a_body_over_the_limit_is_refused_before_the_key(api, settings, customer):
    settings.SOLABOOKS_API_MAX_BODY_BYTES = 100
    response = post(api, "/payments/", payment_body(customer, reference="x" * 200), key="big")
    assert response.status_code == 413
    assert not IdempotencyKey.objects.exists()


# --- Which answers are kept --------------------------------------------------------------


def test_a_validation_error_is_kept_and_replayed(api, org, customer):
    bad = payment_body(customer, amount="-5")
    first = post(api, "/payments/", bad, key="bad-pay")
    assert first.status_code == 400
    assert_replay_of(post(api, "/payments/", bad, key="bad-pay"), first)
    # A corrected body is another request: it needs a new key.
    assert post(api, "/payments/", payment_body(customer), key="bad-pay").status_code == 422
    assert post(api, "/payments/", payment_body(customer), key="good-pay").status_code == 201
    assert Payment.objects.for_org(org).count() == 1


def test_a_404_is_kept_too(api):
    first = post(api, "/customers/999999/portal-access/disable", None, key="nobody")
    assert first.status_code == 404
    assert_replay_of(
        post(api, "/customers/999999/portal-access/disable", None, key="nobody"), first
    )


def test_a_server_error_releases_the_key_and_undoes_the_work(api, org, customer, monkeypatch):
    real = document_payments.record_payment
    failures = []

    def fails_after_the_work(**kwargs):
        payment = real(**kwargs)
        if not failures:
            failures.append(payment.pk)
            raise RuntimeError("the answer could not be built")
        return payment

    monkeypatch.setattr(document_payments, "record_payment", fails_after_the_work)
    api.raise_request_exception = False
    crashed = post(api, "/payments/", payment_body(customer), key="flaky")
    assert crashed.status_code == 500
    # The work and the kept answer commit together: a crash after the service leaves neither.
    assert Payment.objects.for_org(org).count() == 0
    assert not IdempotencyKey.objects.exists()
    retry = post(api, "/payments/", payment_body(customer), key="flaky")
    assert retry.status_code == 201
    assert REPLAYED not in retry
    assert Payment.objects.for_org(org).count() == 1
    assert_replay_of(post(api, "/payments/", payment_body(customer), key="flaky"), retry)


def test_a_5xx_answer_releases_the_key(api, org, customer, monkeypatch):
    real = document_payments.record_payment
    calls = []

    def unavailable_once(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            error = APIException("Try again later.")
            error.status_code = 503
            raise error
        return real(**kwargs)

    monkeypatch.setattr(document_payments, "record_payment", unavailable_once)
    assert post(api, "/payments/", payment_body(customer), key="busy").status_code == 503
    assert not IdempotencyKey.objects.exists()
    assert post(api, "/payments/", payment_body(customer), key="busy").status_code == 201
    assert Payment.objects.for_org(org).count() == 1


# --- A key being worked on, and abandoned claims -------------------------------------------


def test_a_key_in_progress_is_a_409_then_a_killed_claim_is_taken_over(
    api, org, customer, monkeypatch
):
    real = document_payments.record_payment

    def killed(**kwargs):
        real(**kwargs)
        raise SystemExit("worker killed mid-request")

    monkeypatch.setattr(document_payments, "record_payment", killed)
    start = timezone.now()
    with time_machine.travel(start, tick=False), pytest.raises(SystemExit):
        post(api, "/payments/", payment_body(customer), key="abandoned")
    monkeypatch.setattr(document_payments, "record_payment", real)
    claim = IdempotencyKey.objects.for_org(org).get()
    assert claim.status_code is None  # still "in progress": nobody released it
    assert Payment.objects.for_org(org).count() == 0  # the unfinished work was rolled back

    with time_machine.travel(start + datetime.timedelta(seconds=30), tick=False):
        busy = post(api, "/payments/", payment_body(customer), key="abandoned")
        assert busy.status_code == 409
        assert busy.json()["error"]["code"] == "idempotency_key_in_use"
        assert int(busy["Retry-After"]) >= 1
        other = post(api, "/payments/", payment_body(customer, amount="1"), key="abandoned")
        assert other.status_code == 422
    with time_machine.travel(start + datetime.timedelta(seconds=61), tick=False):
        taken_over = post(api, "/payments/", payment_body(customer), key="abandoned")
        assert taken_over.status_code == 201
        assert REPLAYED not in taken_over
    assert Payment.objects.for_org(org).count() == 1
    assert_replay_of(post(api, "/payments/", payment_body(customer), key="abandoned"), taken_over)


def test_a_request_that_lost_its_claim_rolls_its_work_back(api, org, customer, monkeypatch):
    """Its lease ran out and a retry took the key over while it was still working: the
    retry does the work, this one answers 409 and keeps nothing."""
    real = document_payments.record_payment

    def slow(**kwargs):
        payment = real(**kwargs)
        record = IdempotencyKey.objects.for_org(org).get(key="slow")
        later = timezone.now() + datetime.timedelta(seconds=61)
        with time_machine.travel(later, tick=False):
            taken = claim_idempotency_key(
                organization=org, key="slow", fingerprint=record.fingerprint
            )
        assert taken.outcome is Outcome.CLAIMED
        return payment

    monkeypatch.setattr(document_payments, "record_payment", slow)
    lost = post(api, "/payments/", payment_body(customer), key="slow")
    assert lost.status_code == 409
    assert lost.json()["error"]["code"] == "idempotency_key_in_use"
    assert Payment.objects.for_org(org).count() == 0


# --- Expiry ------------------------------------------------------------------------------


def test_a_key_is_kept_24_hours_then_behaves_as_new(api, org, customer):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        first = post(api, "/payments/", payment_body(customer), key="daily")
    with time_machine.travel(start + datetime.timedelta(hours=23, minutes=59), tick=False):
        assert_replay_of(post(api, "/payments/", payment_body(customer), key="daily"), first)
    with time_machine.travel(start + datetime.timedelta(hours=24, seconds=1), tick=False):
        again = post(api, "/payments/", payment_body(customer, amount="7"), key="daily")
        assert again.status_code == 201
        assert REPLAYED not in again
    assert Payment.objects.for_org(org).count() == 2
    assert_replay_of(
        post(api, "/payments/", payment_body(customer, amount="7"), key="daily"), again
    )


def test_the_purge_command_deletes_expired_keys_only(api, other_api, customer, foreign_customer):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        post(api, "/payments/", payment_body(customer), key="old")
        post(other_api, "/payments/", payment_body(foreign_customer), key="old")
    with time_machine.travel(start + datetime.timedelta(hours=12), tick=False):
        post(api, "/payments/", payment_body(customer), key="recent")
    with time_machine.travel(start + datetime.timedelta(hours=24, seconds=1), tick=False):
        call_command("purge_idempotency_keys", stdout=(out := _Output()))
    assert out.text.strip() == "Deleted 2 expired idempotency keys."
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["recent"]


class _Output:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


# --- The schema and the reference page ---------------------------------------------------


def test_every_write_documents_the_header_and_its_answers():
    writes = 0
    for path, item in openapi_schema()["paths"].items():
        for method, operation in item.items():
            if method not in ("post", "put", "patch", "delete"):
                continue
            writes += 1
            headers = [p for p in operation.get("parameters", []) if p["in"] == "header"]
            key = next(p for p in headers if p["name"] == "Idempotency-Key")
            assert key["required"] is False, (method, path)
            assert key["schema"]["maxLength"] == 255 and key["schema"]["minLength"] == 1
            assert "24 hours" in key["description"]
            responses = operation["responses"]
            assert {"400", "409", "422"} <= set(responses), (method, path)
            assert "Retry-After" in responses["409"]["headers"], (method, path)
            for code in ("409", "422"):
                schema = responses[code]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}
            success = next(c for c in responses if c.startswith("2"))
            assert REPLAYED in responses[success]["headers"], (method, path)
    assert writes >= 15


def test_the_reference_page_explains_keys_with_an_example(client):
    html = client.get("/finance/api/docs/").content.decode()
    assert "Idempotency-Key" in html
    assert REPLAYED in html
    assert "POST /finance/api/v1/payments/" in html and "422" in html and "409" in html


# --- Real concurrency (PostgreSQL) -------------------------------------------------------

THREADS = 6


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_do_the_work_once():
    if connection.vendor != "postgresql":
        pytest.skip("Needs real concurrent connections.")
    from tests.factories import MembershipFactory

    organization = OrganizationFactory()
    owner = MembershipFactory(organization=organization, role="owner").user
    customer = CustomerFactory(organization=organization)
    raw_key = make_key(organization, owner).raw
    start = threading.Barrier(THREADS)
    answers: list[tuple[int, str | None, bytes]] = []
    errors: list[str] = []

    def pay() -> None:
        try:
            client = key_client(raw_key)
            start.wait()
            response = post(client, "/payments/", payment_body(customer), key="race-1")
            answers.append((response.status_code, response.get(REPLAYED), response.content))
        except BaseException as error:  # reported by the main thread
            errors.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=pay) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(answers) == THREADS
    fresh = [a for a in answers if a[0] == 201 and a[1] is None]
    assert len(fresh) == 1, answers
    for status, replayed, content in answers:
        assert (status, replayed) in {(201, None), (201, "true"), (409, None)}, answers
        if replayed:
            assert content == fresh[0][2]
    assert Payment.objects.for_org(organization).count() == 1
    stored = IdempotencyKey.objects.for_org(organization).get()
    assert (stored.status_code, bytes(stored.body)) == (201, fresh[0][2])
    # Those told 409 retry after Retry-After and get the answer.
    retry = post(key_client(raw_key), "/payments/", payment_body(customer), key="race-1")
    assert (retry.status_code, retry[REPLAYED], retry.content) == (201, "true", fresh[0][2])
