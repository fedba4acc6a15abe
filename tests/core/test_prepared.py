"""core.prepared: statements the ORM builds and compiles once, then re-runs with new values;
and the ORM writes the hot path makes (Activity rows, bookkeeping columns).

Every PreparedQuery here is checked against the very queryset it was built from: the rows
must be the ORM's own, value for value and type for type (compared by repr, so Decimal('1')
and True cannot pass for 1), on SQLite and PostgreSQL alike.
"""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from solabooks.activity.accesslog import AccessLog, RowUpdate
from solabooks.activity.models import Activity, ActorType, Verb
from solabooks.activity.services import Actor, log_access, record_activity
from solabooks.core.prepared import (
    PreparedQuery,
    RelatedColumns,
    attnames_of,
    column_paths,
    concrete_attnames,
    instances_from_db,
)
from solabooks.customers.models import Customer
from solabooks.documents.models import Document
from solabooks.documents.services import lock_document
from tests.factories import CustomerFactory, make_document

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
BERLIN = ZoneInfo("Europe/Berlin")

COLUMNS = (
    "id",
    "number",
    "kind",
    "state",
    "total",
    "issue_date",
    "due_date",
    "valid_until",
    "created_at",
    "viewed_at",
    "organization__allow_portal_setup_from_link",
    "customer__name",
    # A nullable self-FK: a LEFT JOIN, NULLs where there is no source document.
    "source_document__number",
    "source_document__total",
    "source_document__issue_date",
    "source_document__viewed_at",
)


def documents(customer_id, kind, issued_from, created_before):
    return (
        Document.objects.filter(
            customer_id=customer_id,
            kind=kind,
            issue_date__gte=issued_from,
            created_at__lt=created_before,
        )
        .values_list(*COLUMNS)
        .order_by("id")
    )


def prepared_documents() -> PreparedQuery:
    return PreparedQuery(
        documents,
        customer_id=int,
        kind=str,
        issued_from=datetime.date,
        created_before=datetime.datetime,
    )


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


@pytest.fixture
def books(customer, other_customer):
    """A quote, an invoice made from it (viewed), a plain invoice, and another customer's
    invoice, each created at a known instant."""
    quote = make_document(customer=customer, kind="quote", issue_date=datetime.date(2030, 1, 10))
    from_quote = make_document(
        customer=customer,
        kind="invoice",
        issue_date=datetime.date(2030, 2, 1),
        source_document=quote,
    )
    plain = make_document(customer=customer, kind="invoice", issue_date=datetime.date(2030, 3, 1))
    elsewhere = make_document(
        customer=other_customer, kind="invoice", issue_date=datetime.date(2030, 3, 1)
    )
    created = {
        quote: at(2030, 1, 10, 9, 0, 0, 123456),
        from_quote: at(2030, 2, 1, 9, 30, 0, 654321),
        plain: at(2030, 3, 1, 23, 59, 59, 999999),
        elsewhere: at(2030, 3, 1, 12, 0),
    }
    for document, when in created.items():
        Document.objects.filter(pk=document.pk).update(created_at=when)
    Document.objects.filter(pk=from_quote.pk).update(viewed_at=at(2030, 2, 2, 8, 15, 1, 500))
    return {"quote": quote, "from_quote": from_quote, "plain": plain, "elsewhere": elsewhere}


def both(query: PreparedQuery, build, **values) -> list[tuple]:
    """The prepared rows, after checking they are exactly the ORM's."""
    prepared = query.rows(**values)
    expected = list(build(**values))
    assert repr(prepared) == repr(expected)
    return prepared


def test_rows_are_the_orms_own_values_and_types(books, customer):
    query = prepared_documents()
    rows = both(
        query,
        documents,
        customer_id=customer.pk,
        kind="invoice",
        issued_from=datetime.date(2030, 1, 1),
        created_before=at(2031, 1, 1),
    )
    by_id = {row[0]: dict(zip(COLUMNS, row, strict=True)) for row in rows}
    assert list(by_id) == [books["from_quote"].pk, books["plain"].pk]

    from_quote, plain = by_id[books["from_quote"].pk], by_id[books["plain"].pk]
    assert type(plain["total"]) is Decimal and plain["total"] == books["plain"].total
    assert type(plain["issue_date"]) is datetime.date
    assert type(plain["due_date"]) is datetime.date
    assert plain["valid_until"] is None
    assert plain["created_at"] == at(2030, 3, 1, 23, 59, 59, 999999)
    assert timezone.is_aware(plain["created_at"])
    assert type(plain["organization__allow_portal_setup_from_link"]) is bool
    assert plain["customer__name"] == "Jane's Bakery"
    assert plain["viewed_at"] is None
    # No source document: the LEFT JOIN gives NULLs, not a missing row.
    assert plain["source_document__number"] is None
    assert plain["source_document__total"] is None
    assert plain["source_document__issue_date"] is None

    assert from_quote["viewed_at"] == at(2030, 2, 2, 8, 15, 1, 500)
    assert from_quote["source_document__number"] == books["quote"].number
    assert type(from_quote["source_document__total"]) is Decimal
    assert from_quote["source_document__issue_date"] == datetime.date(2030, 1, 10)


@pytest.mark.parametrize(
    "values, expected",
    [
        ({"kind": "invoice"}, ["from_quote", "plain"]),
        ({"kind": "quote"}, ["quote"]),
        ({"kind": "receipt"}, []),
        ({"kind": "invoice", "issued_from": datetime.date(2030, 2, 2)}, ["plain"]),
        ({"kind": "invoice", "issued_from": datetime.date(2030, 3, 2)}, []),
        # The created_at bound is exclusive and microsecond exact.
        ({"kind": "invoice", "created_before": at(2030, 3, 1, 23, 59, 59, 999999)}, ["from_quote"]),
        ({"kind": "invoice", "created_before": at(2030, 2, 1, 9, 30, 0, 654322)}, ["from_quote"]),
        ({"kind": "invoice", "created_before": at(2030, 2, 1, 9, 30, 0, 654321)}, []),
        # An aware datetime in another zone means the same instant (10:30 Berlin = 09:30 UTC).
        (
            {
                "kind": "invoice",
                "created_before": datetime.datetime(2030, 2, 1, 10, 31, tzinfo=BERLIN),
            },
            ["from_quote"],
        ),
        (
            {
                "kind": "invoice",
                "created_before": datetime.datetime(2030, 2, 1, 10, 29, tzinfo=BERLIN),
            },
            [],
        ),
    ],
)
def test_every_parameter_type_filters_like_the_orm(books, customer, values, expected):
    query = prepared_documents()
    full = {
        "customer_id": customer.pk,
        "issued_from": datetime.date(2030, 1, 1),
        "created_before": at(2031, 1, 1),
        **values,
    }
    rows = both(query, documents, **full)
    assert [row[0] for row in rows] == [books[name].pk for name in expected]


def test_rerunning_with_new_values_gives_new_rows_not_the_first_ones(
    books, customer, other_customer
):
    """One compiled statement, many calls: each call's values are the ones bound."""
    query = prepared_documents()
    calls = [
        (customer.pk, "invoice", datetime.date(2030, 1, 1), at(2031, 1, 1)),
        (other_customer.pk, "invoice", datetime.date(2030, 1, 1), at(2031, 1, 1)),
        (customer.pk, "quote", datetime.date(2030, 1, 1), at(2031, 1, 1)),
        (customer.pk, "invoice", datetime.date(2030, 2, 15), at(2031, 1, 1)),
        (customer.pk, "invoice", datetime.date(2030, 1, 1), at(2030, 2, 15)),
        (customer.pk, "invoice", datetime.date(2030, 1, 1), at(2031, 1, 1)),
    ]
    seen = []
    for customer_id, kind, issued_from, created_before in calls:
        rows = both(
            query,
            documents,
            customer_id=customer_id,
            kind=kind,
            issued_from=issued_from,
            created_before=created_before,
        )
        seen.append([row[0] for row in rows])
    assert seen == [
        [books["from_quote"].pk, books["plain"].pk],
        [books["elsewhere"].pk],
        [books["quote"].pk],
        [books["plain"].pk],
        [books["from_quote"].pk],
        [books["from_quote"].pk, books["plain"].pk],
    ]


def test_the_query_is_built_and_compiled_once(books, customer):
    builds = []

    def of_kind(kind):
        return Document.objects.filter(kind=kind).values_list("id").order_by("id")

    def build(kind):
        builds.append(kind)
        return of_kind(kind)

    query = PreparedQuery(build, kind=str)
    assert builds == []  # nothing happens until the first call
    for kind in ("invoice", "quote", "receipt", "invoice"):
        assert query.rows(kind=kind) == list(of_kind(kind))
    # Called with placeholders only, and only while first compiling (for the SQL, and to
    # learn the model); never again for the later calls.
    assert 1 <= len(builds) <= 2
    assert not {"invoice", "quote", "receipt"} & set(builds)


def test_constants_in_the_query_stay_as_written(books, customer):
    """Only the parameters are replaced; other values in the SQL (here strings and an
    integer, the same types as the parameters) are kept."""

    def drafts(kind, customer_id):
        return (
            Document.objects.filter(kind=kind, customer_id=customer_id, state="draft")
            .exclude(sequence=999_999)
            .values_list("id", "state")
            .order_by("id")
        )

    query = PreparedQuery(drafts, kind=str, customer_id=int)
    Document.objects.filter(pk=books["plain"].pk).update(state="sent")
    rows = both(query, drafts, kind="invoice", customer_id=customer.pk)
    assert rows == [(books["from_quote"].pk, "draft")]
    Document.objects.filter(pk=books["from_quote"].pk).update(sequence=999_999)
    assert both(query, drafts, kind="invoice", customer_id=customer.pk) == []


def test_the_same_parameter_may_appear_twice(books, customer):
    def either(customer_id):
        return (
            Document.objects.filter(customer_id=customer_id)
            .filter(organization__customers__id=customer_id)
            .values_list("id")
            .order_by("id")
            .distinct()
        )

    query = PreparedQuery(either, customer_id=int)
    assert len(both(query, either, customer_id=customer.pk)) == 3


def test_a_slice_limits_the_rows(books, customer):
    def first_of_kind(kind, customer_id):
        return (
            Document.objects.filter(kind=kind, customer_id=customer_id)
            .values_list("id", "number")
            .order_by("-issue_date")[:1]
        )

    def two_newest(customer_id):
        return (
            Document.objects.filter(customer_id=customer_id)
            .values_list("id")
            .order_by("-issue_date", "-id")[:2]
        )

    first = PreparedQuery(first_of_kind, kind=str, customer_id=int)
    assert first.first(kind="invoice", customer_id=customer.pk) == (
        books["plain"].pk,
        books["plain"].number,
    )
    assert first.rows(kind="invoice", customer_id=customer.pk) == [
        (books["plain"].pk, books["plain"].number)
    ]
    assert first.first(kind="quote", customer_id=customer.pk) == (
        books["quote"].pk,
        books["quote"].number,
    )
    assert first.first(kind="receipt", customer_id=customer.pk) is None
    assert first.rows(kind="receipt", customer_id=customer.pk) == []

    newest = PreparedQuery(two_newest, customer_id=int)
    assert both(newest, two_newest, customer_id=customer.pk) == [
        (books["plain"].pk,),
        (books["from_quote"].pk,),
    ]


def test_it_runs_through_djangos_cursor(books, customer, django_assert_num_queries):
    query = prepared_documents()
    values = {
        "customer_id": customer.pk,
        "kind": "quote",
        "issued_from": datetime.date(2030, 1, 1),
        "created_before": at(2031, 1, 1),
    }
    # The first call compiles (no query) and runs (one query); later calls just run.
    with django_assert_num_queries(1):
        query.rows(**values)
    with django_assert_num_queries(1):
        query.first(**values)

    executed = []

    def wrapper(execute, sql, params, many, context):
        executed.append((sql, tuple(params)))
        return execute(sql, params, many, context)

    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(wrapper):
        rows = query.rows(**values)
    assert [row[0] for row in rows] == [books["quote"].pk]
    assert len(captured.captured_queries) == 1
    assert "documents_document" in captured.captured_queries[0]["sql"]
    ((sql, params),) = executed
    assert customer.pk in params and "quote" in params


def test_a_parameter_the_build_does_not_use_as_a_value_is_refused(books, customer):
    unused = PreparedQuery(
        lambda kind, customer_id: Document.objects.filter(kind=kind).values_list("id"),
        kind=str,
        customer_id=int,
    )
    with pytest.raises(ValueError, match="customer_id"):
        unused.rows(kind="invoice", customer_id=customer.pk)

    # A parameter the ORM rewrites (LIKE patterns) is not a plain value either.
    rewritten = PreparedQuery(
        lambda prefix: Document.objects.filter(number__startswith=prefix).values_list("id"),
        prefix=str,
    )
    with pytest.raises(ValueError, match="prefix"):
        rewritten.rows(prefix="INV")


@pytest.mark.parametrize("name", ["A_B", "a_b", "A%B", "a\\b", "AXB"])
def test_a_value_is_never_silently_read_differently_from_the_orm(customer, name):
    """A case-insensitive match escapes LIKE wildcards on SQLite: either the prepared query
    matches exactly what the ORM matches, or it refuses to prepare such a lookup."""
    for stored in ("A_B", "AXB", "A%B", "AxxB", "A\\B"):
        CustomerFactory(organization=customer.organization, name=stored)

    def named(name):
        return Customer.objects.filter(name__iexact=name).values_list("name").order_by("name")

    query = PreparedQuery(named, name=str)
    try:
        rows = query.rows(name=name)
    except ValueError:
        return
    assert rows == list(named(name))


def test_wrong_or_missing_parameters_are_a_type_error(books, customer):
    query = prepared_documents()
    good = {
        "customer_id": customer.pk,
        "kind": "invoice",
        "issued_from": datetime.date(2030, 1, 1),
        "created_before": at(2031, 1, 1),
    }
    with pytest.raises(TypeError):
        query.rows(**{k: v for k, v in good.items() if k != "kind"})
    with pytest.raises(TypeError):
        query.rows(**good, state="draft")
    with pytest.raises(TypeError):
        query.rows(**{"kind_": "invoice", **{k: v for k, v in good.items() if k != "kind"}})
    with pytest.raises(TypeError):
        query.first()
    # A value of the wrong type would be compared as text (None as "None", not IS NULL).
    for name, wrong in (("kind", None), ("customer_id", str(customer.pk)), ("kind", b"invoice")):
        with pytest.raises(TypeError):
            query.rows(**{**good, name: wrong})
    assert len(query.rows(**good)) == 2


@pytest.mark.parametrize("kind", [bool, float, Decimal, bytes, list, datetime.time, object])
def test_unsupported_parameter_types_are_a_type_error(kind):
    with pytest.raises(TypeError):
        PreparedQuery(lambda value: Document.objects.values_list("id"), value=kind)


def test_instances_from_a_row_defer_the_other_fields(books, django_assert_num_queries):
    names = concrete_attnames(Document, exclude=("notes", "terms"))
    assert names == tuple(
        f.attname for f in Document._meta.concrete_fields if f.name not in ("notes", "terms")
    )
    assert "customer_id" in names and "notes" not in names
    columns: RelatedColumns = (
        (Document, "", names),
        (Customer, "customer__", attnames_of(Customer, "name", "id")),
        (Document, "source_document__", attnames_of(Document, "number", "id")),
    )
    assert columns[1][2] == ("id", "name")  # in the model's field order, as from_db takes them

    query = PreparedQuery(
        lambda pk: Document.objects.filter(pk=pk).values_list(*column_paths(columns), "notes"),
        pk=int,
    )
    original = books["from_quote"]
    with django_assert_num_queries(1):
        row = query.first(pk=original.pk)
        document, customer, source = instances_from_db(columns, row)
    assert row[-1] == original.notes  # read after the columns: left to the caller
    assert document.pk == original.pk
    assert document.number == original.number and document.total == original.total
    assert document.source_document_id == books["quote"].pk
    assert not document._state.adding and document._state.db == "default"
    assert document.get_deferred_fields() == {"notes", "terms"}
    assert (customer.pk, customer.name) == (original.customer_id, "Jane's Bakery")
    assert (source.pk, source.number) == (books["quote"].pk, books["quote"].number)
    with django_assert_num_queries(1):
        assert document.notes == original.notes

    # No source document: the LEFT JOIN's NULL id gives None.
    plain = instances_from_db(columns, query.first(pk=books["plain"].pk))
    assert plain[0].pk == books["plain"].pk and plain[2] is None


def test_attnames_of_refuses_a_field_the_model_does_not_store():
    with pytest.raises(ValueError, match="customer"):
        attnames_of(Document, "id", "customer")  # the column is customer_id


# --- the access log's writes: bulk_create and QuerySet.update ----------------------------

ACTIVITY_FIELDS = [
    f.attname for f in Activity._meta.concrete_fields if f.attname not in ("id", "created_at")
]


def activity_values(pk) -> dict:
    return Activity.objects.filter(pk=pk).values(*ACTIVITY_FIELDS, "created_at").get()


@pytest.mark.parametrize(
    "actor",
    [
        Actor(
            type=ActorType.LINK,
            label="link #12",
            ip="203.0.113.7",
            user_agent="Mozilla/5.0 (Customer)",
        ),
        Actor(type=ActorType.API_KEY, label="key sb_1a2b", ip="2001:db8::1", user_agent=""),
        Actor(type=ActorType.PORTAL, label="p" * 250, ip=None, user_agent="U" * 450),
        Actor(type=ActorType.SYSTEM, label="Solabooks"),
    ],
    ids=["ipv4", "ipv6", "truncated", "system"],
)
def test_log_access_writes_the_row_record_activity_writes(books, actor):
    document = books["from_quote"]
    details = {"link": 12, "purpose": "document", "nested": {"a": [1, 2.5, None, True]}, "é": "ü"}
    before = timezone.now()
    recorded = record_activity(
        organization=document.organization,
        document=document,
        verb=Verb.VIEWED,
        actor=actor,
        details=details,
    )
    count = Activity.objects.count()
    log_access(
        organization_id=document.organization_id,
        document_id=document.pk,
        customer_id=document.customer_id,
        verb=Verb.VIEWED,
        actor=actor,
        details=details,
    )
    after = timezone.now()
    assert Activity.objects.count() == count + 1
    appended = Activity.objects.exclude(pk=recorded.pk).filter(verb=Verb.VIEWED).latest("id")

    mine, theirs = activity_values(appended.pk), activity_values(recorded.pk)
    assert {k: mine[k] for k in ACTIVITY_FIELDS} == {k: theirs[k] for k in ACTIVITY_FIELDS}
    assert mine["ip"] == actor.ip
    assert mine["user_agent"] == actor.user_agent[:400]
    assert mine["actor_label"] == actor.label[:200]
    assert mine["details"] == details
    assert (mine["document_id"], mine["customer_id"]) == (document.pk, document.customer_id)
    assert mine["organization_id"] == document.organization_id
    assert before <= theirs["created_at"] <= mine["created_at"] <= after
    assert timezone.is_aware(mine["created_at"])
    # Stored as JSON, not as a JSON string: lookups into it work like on the ORM's row.
    assert Activity.objects.filter(pk=appended.pk, details__link=12).exists()
    assert Activity.objects.filter(pk=appended.pk, details__nested__a__1=2.5).exists()
    # A document's activity lists both, newest first.
    assert list(document.activity.values_list("pk", flat=True)[:2]) == [appended.pk, recorded.pk]


def test_log_access_records_the_staff_user_and_no_details_as_empty(books, owner):
    log_access(
        organization_id=books["plain"].organization_id,
        customer_id=books["plain"].customer_id,
        verb=Verb.API_CALL,
        actor=Actor(type=ActorType.STAFF, user=owner, label=owner.email),
    )
    row = Activity.objects.filter(verb=Verb.API_CALL).get()
    assert row.actor_user == owner
    assert row.details == {}
    assert row.document_id is None and row.customer_id == books["plain"].customer_id
    assert row.ip is None and row.user_agent == ""


def test_log_access_is_one_insert_and_activity_stays_append_only(books):
    document = books["plain"]
    actor = Actor(type=ActorType.LINK, label="link #1", ip="198.51.100.1")
    with CaptureQueriesContext(connection) as captured:
        log_access(
            organization_id=document.organization_id,
            document_id=document.pk,
            customer_id=document.customer_id,
            verb=Verb.PDF_DOWNLOADED,
            actor=actor,
        )
    # One INSERT and nothing read back (a savepoint around it is allowed).
    statements = [q["sql"].upper() for q in captured.captured_queries]
    assert sum("INSERT INTO" in sql for sql in statements) == 1
    assert not any("SELECT" in sql for sql in statements)
    first = Activity.objects.filter(verb=Verb.PDF_DOWNLOADED).get()

    # The ORM refuses to edit or delete activity, whichever way it is asked.
    with pytest.raises(TypeError, match="append-only"):
        Activity.objects.filter(pk=first.pk).update(actor_label="x")
    with pytest.raises(TypeError, match="append-only"):
        Activity.objects.filter(pk=first.pk).delete()
    first.actor_label = "edited?"
    with pytest.raises(TypeError, match="append-only"):
        first.save()
    with pytest.raises(TypeError, match="append-only"), transaction.atomic():
        Activity.objects.bulk_update([first], ["actor_label"])
    with pytest.raises(TypeError, match="append-only"):
        first.delete()
    assert Activity.objects.get(pk=first.pk).actor_label == "link #1"


def test_a_bookkeeping_update_of_activity_is_refused(books, settings):
    """RowUpdate goes through the model's queryset, and Activity's refuses update()."""
    settings.SOLABOOKS_ACCESS_LOG = "background"
    activity = record_activity(
        organization=books["plain"].organization,
        document=books["plain"],
        verb=Verb.SENT,
        actor=Actor.system(),
    )
    log = AccessLog(interval=3600)
    log.record(
        Activity(organization_id=activity.organization_id, verb=Verb.VIEWED, actor_type="link"),
        (RowUpdate(Activity, activity.pk, "actor_label", "rewritten"),),
    )
    with pytest.raises(TypeError, match="append-only"):
        log.flush()
    log.stop()
    assert Activity.objects.get(pk=activity.pk).actor_label == "Solabooks"


def test_an_activity_keeps_the_time_it_happened_when_written_later(books):
    """Activity.created_at defaults to the time the row is made; saving it later (the
    access log's batches) keeps that time, and a row made now gets now."""
    happened = at(2030, 4, 1, 10, 0, 0, 250)
    made = Activity(
        organization_id=books["plain"].organization_id,
        verb=Verb.VIEWED,
        actor_type=ActorType.LINK,
        created_at=happened,
    )
    Activity.objects.bulk_create([made])
    assert Activity.objects.get(pk=made.pk).created_at == happened

    before = timezone.now()
    fresh = Activity(organization_id=books["plain"].organization_id, verb=Verb.SENT)
    assert before <= fresh.created_at <= timezone.now()
    fresh.actor_type = ActorType.SYSTEM
    fresh.save(force_insert=True)
    assert Activity.objects.get(pk=fresh.pk).created_at == fresh.created_at


def test_a_batch_of_access_records_is_one_insert(books, settings):
    settings.SOLABOOKS_ACCESS_LOG = "background"
    document = books["plain"]
    log = AccessLog(interval=3600)
    for n in range(5):
        log.record(
            Activity(
                organization_id=document.organization_id,
                document_id=document.pk,
                customer_id=document.customer_id,
                verb=Verb.API_CALL,
                actor_type=ActorType.API_KEY,
                actor_label=f"key {n}",
                details={"n": n},
            ),
            (RowUpdate(Document, document.pk, "viewed_at", at(2030, 5, 1), only_if_null=True),),
        )
    with CaptureQueriesContext(connection) as captured:
        assert log.flush() == 5
    log.stop()
    statements = [q["sql"].upper() for q in captured.captured_queries]
    assert sum("INSERT INTO" in sql for sql in statements) == 1
    assert sum(sql.startswith("UPDATE") for sql in statements) == 1  # one update per row
    rows = list(
        Activity.objects.filter(verb=Verb.API_CALL)
        .order_by("id")
        .values_list("actor_label", "details")
    )
    assert rows == [(f"key {n}", {"n": n}) for n in range(5)]
    assert Document.objects.get(pk=document.pk).viewed_at == at(2030, 5, 1)


@pytest.mark.django_db
def test_postgresql_prepares_a_statement_run_again_and_again():
    """On PostgreSQL, psycopg prepares a statement (parsed and planned once per connection)
    once it has run `prepare_threshold` times: the database OPTIONS settings.py sets from
    DB_PREPARED_STATEMENTS (on by default)."""
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    options = connection.settings_dict["OPTIONS"]
    assert options["server_side_binding"] is True
    threshold = options["prepare_threshold"]
    query = PreparedQuery(
        lambda customer_id: Document.objects.filter(customer_id=customer_id).values_list("id"),
        customer_id=int,
    )

    def prepared() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            return [row[0] for row in cursor.fetchall() if "documents_document" in row[0]]

    query.rows(customer_id=1)
    assert prepared() == [] or threshold == 0
    for customer_id in range(2, threshold + 2):
        query.rows(customer_id=customer_id)
    assert len(prepared()) == 1


# --- lock_document ----------------------------------------------------------------------


def test_lock_document_reads_what_the_orm_reads_in_one_query(books):
    document = books["from_quote"]
    expected = Document.objects.select_related("organization", "customer").get(pk=document.pk)
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        locked = lock_document(Document(pk=document.pk))
        values = {f.attname: getattr(locked, f.attname) for f in Document._meta.concrete_fields}
        organization, customer = locked.organization, locked.customer
    assert len(queries) == 1
    if connection.vendor == "postgresql":
        assert 'FOR UPDATE OF "documents_document"' in queries[0]["sql"]
    assert repr(values) == repr(
        {f.attname: getattr(expected, f.attname) for f in Document._meta.concrete_fields}
    )
    for mine, orms in ((organization, expected.organization), (customer, expected.customer)):
        fields = type(mine)._meta.concrete_fields
        assert repr([getattr(mine, f.attname) for f in fields]) == repr(
            [getattr(orms, f.attname) for f in fields]
        )
    assert locked._state.adding is False


def test_lock_document_of_a_deleted_document_raises_does_not_exist(books):
    gone = books["elsewhere"]
    Document.objects.filter(pk=gone.pk).delete()
    with pytest.raises(Document.DoesNotExist), transaction.atomic():
        lock_document(gone)
