"""The API's fast paths answer exactly what the serializers answer.

The documents list and the send answer are computed from value rows (solabooks/api/rows.py,
reads.py) instead of serializer instances; these tests hold them to the serializers' own
output, byte for byte after JSON, for documents of every kind and state, with lines,
payments, views and sends, in UTC and in another current time zone. The key lookup and the
rate limit have their own prepared / one-round-trip paths, tested here too.
"""

import datetime
import json
import uuid
import zoneinfo
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from solabooks.activity.services import Actor
from solabooks.api import link_serializers as ls
from solabooks.api import serializers as s
from solabooks.api.reads import DOCUMENT_SUMMARY, scoped_document, send_answer
from solabooks.api.rows import RowFormat
from solabooks.api.throttling import api_limit
from solabooks.core.pagecache import clear_all_page_caches
from solabooks.core.ratelimit import Limit, hit, is_blocked
from solabooks.documents.models import Document
from solabooks.documents.payments import record_payment
from solabooks.documents.services import LineInput, transition_document
from solabooks.sharing.models import SecureLink
from solabooks.tenancy.models import ApiKey
from tests.factories import make_document

from .conftest import API

pytestmark = pytest.mark.django_db

ORDER = ("-issue_date", "-created_at", "-id")


def as_json(data) -> object:
    return json.loads(JSONRenderer().render(data))


def summary_by_serializer(organization, **filters) -> list[dict]:
    documents = (
        Document.objects.for_org(organization)
        .filter(**filters)
        .select_related("customer")
        .order_by(*ORDER)
    )
    return as_json(s.DocumentSummarySerializer(documents, many=True).data)


@pytest.fixture
def every_kind(org, customer, other_customer):
    """Documents of every kind and many states: drafts, sent (some viewed), part-paid
    and paid invoices (with a receipt), accepted and declined quotes, sales orders;
    fractional amounts that need the serializer's rounding; dates far apart."""
    actor = Actor.system()
    lines = [
        LineInput("Design", Decimal("1.5"), Decimal("99.995"), Decimal("20")),
        LineInput("Hosting", Decimal("3"), Decimal("0.333"), Decimal("0")),
    ]
    made = []
    for n, when in enumerate([datetime.date(2026, 1, 2), datetime.date(2025, 7, 31)]):
        who = customer if n % 2 == 0 else other_customer
        draft = make_document(customer=who, lines=lines, issue_date=when)
        sent = transition_document(
            document=make_document(customer=who, lines=lines, issue_date=when),
            action="mark_sent",
            actor=actor,
        )
        Document.objects.filter(pk=sent.pk).update(
            viewed_at=timezone.now() - datetime.timedelta(days=3, microseconds=7)
        )
        part_paid = transition_document(
            document=make_document(customer=who, issue_date=when), action="mark_sent", actor=actor
        )
        paid = transition_document(
            document=make_document(customer=who, issue_date=when), action="mark_sent", actor=actor
        )
        record_payment(
            organization=org,
            customer=who,
            actor=actor,
            date=when,
            amount=paid.total + Decimal("0.5"),
            method="bank_transfer",
            allocations=[(paid, paid.total), (part_paid, Decimal("0.5"))],
            issue_receipt=True,
        )
        quote = make_document(customer=who, kind="quote", lines=lines, issue_date=when)
        accepted = make_document(customer=who, kind="quote", state="accepted", issue_date=when)
        declined = make_document(customer=who, kind="quote", state="declined", issue_date=when)
        order = make_document(customer=who, kind="sales_order", lines=lines, issue_date=when)
        # A voided sent invoice, and the credit note voiding it issued.
        credit_note = make_document(customer=who, kind="credit_note", lines=lines, issue_date=when)
        made += [draft, sent, part_paid, paid, quote, accepted, declined, order, credit_note]
    assert {d.kind for d in Document.objects.for_org(org)} == {
        "invoice",
        "quote",
        "sales_order",
        "receipt",
        "credit_note",
    }
    return made


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/St_Johns"])
def test_the_list_is_what_the_serializer_gives(api, org, every_kind, zone):
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        response = api.get(f"{API}/documents/?page_size=200")
        expected = summary_by_serializer(org)
    assert response.status_code == 200
    assert response.json()["results"] == expected
    assert response.json()["count"] == len(expected) > 16
    # Key order too: clients may print or hash the body.
    assert [list(row) for row in response.json()["results"]] == [list(r) for r in expected]


@pytest.mark.parametrize(
    ("query", "filters"),
    [
        ("kind=invoice", {"kind": "invoice"}),
        ("kind=quote&state=accepted", {"kind": "quote", "state": "accepted"}),
        ("state=paid", {"state": "paid"}),
        ("kind=receipt", {"kind": "receipt"}),
        ("kind=credit_note", {"kind": "credit_note"}),
        ("customer={other}", {"customer": "other"}),
        ("customer={other}&kind=sales_order", {"customer": "other", "kind": "sales_order"}),
        ("number=0", {"number__icontains": "0"}),
        ("number=inv&state=sent", {"number__icontains": "inv", "state": "sent"}),
    ],
)
def test_filtered_lists_are_what_the_serializer_gives(
    api, org, every_kind, other_customer, query, filters
):
    if filters.get("customer") == "other":
        filters["customer"] = other_customer
    response = api.get(f"{API}/documents/?{query.format(other=other_customer.pk)}")
    assert response.status_code == 200
    expected = summary_by_serializer(org, **filters)
    assert expected, "the filter should match something"
    assert response.json() == {"count": len(expected), "next": None, "previous": None,
                               "results": expected}  # fmt: skip


def test_pages_match_the_serializer_and_link_to_each_other(api, org, every_kind):
    everything = summary_by_serializer(org)
    first = api.get(f"{API}/documents/?page_size=5").json()
    assert first["count"] == len(everything)
    assert first["results"] == everything[:5]
    assert first["previous"] is None
    assert first["next"].endswith(f"{API}/documents/?page=2&page_size=5")
    second = api.get(first["next"]).json()
    assert second["results"] == everything[5:10]
    assert second["previous"].endswith(f"{API}/documents/?page_size=5")
    last_page = -(-len(everything) // 5)
    last = api.get(f"{API}/documents/?page={last_page}&page_size=5").json()
    assert last["results"] == everything[(last_page - 1) * 5 :]
    assert last["next"] is None


def test_a_page_past_the_last_is_a_404_and_an_empty_list_has_page_one(api, customer):
    for page in (2, 10**6, 10**30):
        response = api.get(f"{API}/documents/?page={page}")
        assert response.status_code == 404
        assert response.json()["error"] == {
            "code": "not_found",
            "message": "Invalid page.",
            "fields": {},
        }
    assert api.get(f"{API}/documents/").json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }
    make_document(customer=customer)
    assert api.get(f"{API}/documents/?page=2&page_size=1").status_code == 404
    assert api.get(f"{API}/documents/?page=1&page_size=1").json()["count"] == 1


def test_the_list_never_shows_another_business(api, other_api, org, every_kind, foreign_customer):
    theirs = make_document(customer=foreign_customer)
    mine = {row["id"] for row in api.get(f"{API}/documents/?page_size=200").json()["results"]}
    assert mine == set(Document.objects.for_org(org).values_list("id", flat=True))
    assert theirs.pk not in mine
    only = other_api.get(f"{API}/documents/").json()["results"]
    assert [row["id"] for row in only] == [theirs.pk]
    # Another business's customer as a filter finds nothing, rather than their documents.
    assert api.get(f"{API}/documents/?customer={foreign_customer.pk}").json()["count"] == 0


def _list_queries(api, path: str) -> tuple[int, int]:
    """All queries (the test cache is the database's) and those on documents, of a page
    rendered anew (the rows here are bulk-created, which moves no data version)."""
    clear_all_page_caches()
    with CaptureQueriesContext(connection) as captured:
        assert api.get(path).status_code == 200
    documents = [q for q in captured if "documents_document" in q["sql"]]
    return len(captured), len(documents)


def _bulk_documents(customer, count: int, start: int) -> None:
    """Plain rows, fast: the query count is what is measured, not the documents' content."""
    now = timezone.now()
    Document.objects.bulk_create(
        Document(
            organization=customer.organization,
            customer=customer,
            kind="invoice",
            number=f"BULK-{start + n}",
            sequence=10_000 + start + n,
            issue_date=datetime.date(2026, 1, 1),
            currency="USD",
            created_at=now,
        )
        for n in range(count)
    )


@pytest.mark.parametrize("query", ["", "?page_size=50", "?kind=invoice&page=2&page_size=3",
                                   "?number=BULK"])  # fmt: skip
def test_the_list_runs_as_many_queries_at_5_documents_as_at_500(api, customer, query):
    _bulk_documents(customer, 5, 0)
    api.get(f"{API}/documents/")  # the key's last_used_at, the rate-limit counter
    path = f"{API}/documents/{query}"
    at_five = _list_queries(api, path)
    _bulk_documents(customer, 495, 5)
    at_500 = _list_queries(api, path)
    assert at_500 == at_five
    assert at_500[1] == 1  # the page, its count a subquery of the same statement


def test_row_format_reads_sources_and_refuses_what_it_cannot_compute():
    assert "customer__name" in DOCUMENT_SUMMARY.lookups
    assert "balance_due" not in DOCUMENT_SUMMARY.lookups
    with pytest.raises(TypeError):
        RowFormat(ls.LinkOutSerializer)  # `state` is a method: it must be given
    with pytest.raises(TypeError):
        RowFormat(ls.LinkOutSerializer, computed={"state": None}).represent([()])


# --- Send ------------------------------------------------------------------------------


def test_the_send_answer_is_what_the_serializer_gives(api, customer):
    document = make_document(customer=customer, kind="quote")
    response = api.post(f"{API}/documents/{document.pk}/send", {"expires_in": 3600}, format="json")
    assert response.status_code == 202
    answer = response.json()
    link = SecureLink.objects.select_related("document").get(pk=answer["link"]["id"])
    body = {
        "link": link,
        "sent_to": link.sent_to,
        "subject": answer["subject"],
        "expiry_overridden": True,
        "expiry_note": answer["expiry_note"],
    }
    assert answer == as_json(ls.SendOutSerializer(body).data)
    assert list(answer) == list(ls.SendOutSerializer(body).data)
    for zone in ("Europe/Berlin", "Asia/Kolkata"):
        with timezone.override(zoneinfo.ZoneInfo(zone)):
            assert as_json(send_answer(body)) == as_json(ls.SendOutSerializer(body).data)


def test_send_answers_404_for_ids_beyond_any_row(api):
    for pk in (0, 2**63, 10**30):
        response = api.post(f"{API}/documents/{pk}/send", {}, format="json")
        assert response.status_code == 404, pk


def test_scoped_document_is_the_business_own(org, other_org, customer, foreign_customer):
    mine = make_document(customer=customer)
    theirs = make_document(customer=foreign_customer)
    found = scoped_document(organization=org, pk=mine.pk)
    assert (found.pk, found.number, found.total) == (mine.pk, mine.number, mine.total)
    assert found.organization is org
    from django.http import Http404

    with pytest.raises(Http404):
        scoped_document(organization=org, pk=theirs.pk)


# --- Key and rate limit ----------------------------------------------------------------


def test_last_used_at_is_refreshed_at_most_once_a_minute(key, api):
    api.get(f"{API}/documents/")
    first = ApiKey.objects.get(pk=key.api_key.pk).last_used_at
    api.get(f"{API}/documents/")
    assert ApiKey.objects.get(pk=key.api_key.pk).last_used_at == first
    ApiKey.objects.filter(pk=key.api_key.pk).update(
        last_used_at=first - datetime.timedelta(minutes=2)
    )
    api.get(f"{API}/documents/")
    assert ApiKey.objects.get(pk=key.api_key.pk).last_used_at > first


def _redis_or_skip(settings):
    import redis

    url = "redis://127.0.0.1:6379/14"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    settings.CACHES = {
        "default": {
            "BACKEND": "solabooks.core.cache.ReusedClientRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }


def test_the_redis_count_is_one_counter_that_expires(settings):
    _redis_or_skip(settings)
    limit = Limit("api", 3, 60)
    assert [hit(limit, "key:1").allowed for _ in range(3)] == [True, True, True]
    assert not is_blocked(limit, "key:1").allowed  # the script's counter, read by the cache
    refused = hit(limit, "key:1")
    assert not refused.allowed and 1 <= refused.retry_after <= 60
    assert hit(limit, "key:2").allowed
    backend = caches["default"]
    client = backend._cache.get_client(write=True)
    keys = client.keys(f"{backend.key_prefix}*")
    assert keys and all(0 < client.ttl(k) <= 65 for k in keys)  # every counter expires
    client.delete(*keys)


def test_a_key_over_its_limit_gets_429_on_redis(settings, api):
    _redis_or_skip(settings)
    settings.SOLABOOKS_API_RATE_LIMIT = (2, 60)
    assert api_limit().max_hits == 2
    statuses = [api.get(f"{API}/documents/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    backend = caches["default"]
    client = backend._cache.get_client(write=True)
    client.delete(*client.keys(f"{backend.key_prefix}*"))
