"""Reads and writes on the hot path of every customer and API request, compiled once.

Building and compiling a QuerySet costs far more CPU than running it: the secure-link
lookup (a link with its document, customer and business) takes about 1.2 ms to build and
compile and 0.06 ms to run on SQLite. The few statements every customer page or API call
runs are therefore built by the ORM once per database and then re-run with new parameter
values. The SQL, the parameter adaptation and the value converters are still the ORM's own,
so the statements follow the models and both database backends like any other query, and
they go through Django's cursor (query logging, execute wrappers, the test suite's query
counts).
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections, router
from django.db.models import DEFERRED, Model, QuerySet

# Placeholder values the query is compiled with; each names one parameter. Integers stay
# inside a 32-bit column's range (Django turns out-of-range integer lookups into empty
# queries, which compile to nothing useful).
_INT_BASE = 2_147_000_000
_DATE_BASE = datetime.date(1111, 1, 1)
_DATETIME_BASE = datetime.datetime(1111, 1, 1, tzinfo=datetime.UTC)
SUPPORTED_TYPES = (int, str, datetime.date, datetime.datetime)


def _placeholder(kind: type, index: int) -> Any:
    if kind is int:
        return _INT_BASE + index
    if kind is str:
        # LIKE's special characters: a lookup that escapes its value (iexact on SQLite)
        # changes the placeholder, so it is refused rather than run with an unescaped value.
        return f"\x1fprepared%_parameter\\-{index}\x1f"
    if kind is datetime.datetime:
        return _DATETIME_BASE + datetime.timedelta(seconds=index)
    if kind is datetime.date:
        return _DATE_BASE + datetime.timedelta(days=index)
    raise TypeError(f"PreparedQuery parameters must be one of {SUPPORTED_TYPES}, not {kind}.")


def _adapter(connection, kind: type) -> Callable[[Any], Any]:
    """How the ORM turns a value of this type into a query parameter on this backend."""
    if kind is datetime.datetime:
        return connection.ops.adapt_datetimefield_value
    if kind is datetime.date:
        return connection.ops.adapt_datefield_value
    return kind


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # Per SQL parameter: the name of a caller's parameter, or None for a constant.
    slots: tuple[str | None, ...]
    constants: tuple[Any, ...]
    adapters: dict[str, Callable[[Any], Any]]
    compiler: Any
    converters: dict
    column_count: int


class PreparedQuery:
    """A `values_list()` query the ORM builds and compiles once per database.

        LINK_BY_HASH = PreparedQuery(
            lambda token_hash: SecureLink.objects.filter(token_hash=token_hash)
            .values_list("id", "document__state")[:1],
            token_hash=str,
        )
        row = LINK_BY_HASH.first(token_hash=digest)

    `build` is called once per database with placeholder values and must return a
    values_list() queryset that uses every parameter as a plain value (a filter value,
    not a list, a slice bound or a field name). Rows come back as tuples, converted by the
    fields as the ORM converts them.
    """

    def __init__(self, build: Callable[..., QuerySet], **parameters: type) -> None:
        for kind in parameters.values():
            if kind not in SUPPORTED_TYPES:
                raise TypeError(f"Unsupported parameter type {kind!r}.")
        self._build = build
        self._parameters = parameters
        self._compiled: dict[str, _Compiled] = {}

    def _compile(self, alias: str) -> _Compiled:
        connection = connections[alias]
        placeholders = {
            name: _placeholder(kind, index)
            for index, (name, kind) in enumerate(self._parameters.items())
        }
        adapters = {name: _adapter(connection, kind) for name, kind in self._parameters.items()}
        by_adapted = {adapters[name](value): name for name, value in placeholders.items()}
        queryset = self._build(**placeholders)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        slots = tuple(
            by_adapted.get(value) if isinstance(value, Hashable) else None for value in params
        )
        missing = set(self._parameters) - set(slots)
        if missing:
            raise ValueError(f"The prepared query does not use {sorted(missing)} as values.")
        fields = [column for column, _, _ in compiler.select[: compiler.col_count]]
        return _Compiled(
            sql=sql,
            slots=slots,
            constants=tuple(params),
            adapters=adapters,
            compiler=compiler,
            converters=compiler.get_converters(fields),
            column_count=compiler.col_count,
        )

    def rows(self, **values: Any) -> list[tuple]:
        if values.keys() != self._parameters.keys():
            raise TypeError(f"Expected parameters {sorted(self._parameters)}.")
        for name, kind in self._parameters.items():
            # None would be compared as text, not as IS NULL: refuse what the SQL can't mean.
            if not isinstance(values[name], kind):
                raise TypeError(f"Parameter {name!r} must be {kind.__name__}.")
        alias = router.db_for_read(self._model())
        compiled = self._compiled.get(alias)
        if compiled is None:
            compiled = self._compiled[alias] = self._compile(alias)
        params = [
            constant if name is None else compiled.adapters[name](values[name])
            for name, constant in zip(compiled.slots, compiled.constants, strict=True)
        ]
        with _cursor(connections[alias]) as cursor:
            cursor.execute(compiled.sql, params)
            fetched = cursor.fetchall()
        if compiled.converters:
            fetched = compiled.compiler.apply_converters(fetched, compiled.converters)
        return [tuple(row[: compiled.column_count]) for row in fetched]

    def first(self, **values: Any) -> tuple | None:
        found = self.rows(**values)
        return found[0] if found else None

    def _model(self) -> type[Model]:
        model = getattr(self, "_model_class", None)
        if model is None:
            placeholders = {
                name: _placeholder(kind, index)
                for index, (name, kind) in enumerate(self._parameters.items())
            }
            model = self._model_class = self._build(**placeholders).model
        return model


NEVER_BY_COUNT = 2**31


@functools.cache
def _preparing_cursor_class() -> type:
    import psycopg

    class PreparingCursor(psycopg.Cursor):
        """Server-side binding, prepared on first use: PostgreSQL parses and plans each
        statement once per connection instead of on every request (planning the portal's
        session query cost more database CPU than running it)."""

        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

    return PreparingCursor


# The "?" form of each statement run through _qmark_cursor_class (a bounded set: the SQL of
# the prepared queries and the row writers of this module).
_QMARK_SQL: dict[str, str] = {}


@functools.cache
def _qmark_cursor_class() -> type:
    from django.db.backends.sqlite3.base import SQLiteCursorWrapper

    class QmarkOnceCursor(SQLiteCursorWrapper):
        """Django's SQLite cursor, which turns the "%s" placeholders into sqlite3's "?"
        with a regular expression on every execute; for these fixed statements that
        conversion is done once and remembered (for a prepared row of thirty columns it
        cost a third as much as running the query)."""

        def convert_query(self, query, *, param_names=None):
            if param_names is not None:
                return super().convert_query(query, param_names=param_names)
            converted = _QMARK_SQL.get(query)
            if converted is None:
                converted = _QMARK_SQL[query] = super().convert_query(query)
            return converted

    return QmarkOnceCursor


def _cursor(connection):
    """Django's cursor (execute wrappers, error wrapping, query logging) around: on
    PostgreSQL a cursor that prepares its statements, unless DB_PREPARED_STATEMENTS is off
    (behind a connection pooler that cannot keep them); on SQLite one that converts each
    statement's placeholders once."""
    if connection.vendor == "sqlite":
        connection.close_if_health_check_failed()
        connection.ensure_connection()
        with connection.wrap_database_errors:
            return connection._prepare_cursor(
                connection.connection.cursor(factory=_qmark_cursor_class())
            )
    if (
        connection.vendor != "postgresql"
        or not settings.SOLABOOKS_DB_PREPARED_STATEMENTS
        # Query logging (DEBUG, the test suite's query counts) records the SQL as Django
        # binds it; psycopg keeps no text for a prepared statement's later runs.
        or connection.queries_logged
    ):
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django turns psycopg's prepared statements off (None ignores even prepare=True).
        # Its own cursors bind on the client and never prepare; this one prepares only the
        # statements it is asked to (no threshold is ever reached).
        raw.prepare_threshold = NEVER_BY_COUNT
    with connection.wrap_database_errors:
        return connection._prepare_cursor(_preparing_cursor_class()(raw))


# Per (model, attnames): for each concrete field, its place in `attnames` (None: deferred).
_ROW_PLACES: dict[tuple, tuple[int | None, ...]] = {}


def instance_from_row(model: type[Model], attnames: tuple[str, ...], values) -> Model:
    """A model instance from a prepared row's slice; the fields not in `attnames` are
    deferred (reading one costs a query, as with `.only()`). What `Model.from_db` does,
    with the deferred places worked out once per column set instead of on every row."""
    places = _ROW_PLACES.get((model, attnames))
    if places is None:
        position = {name: index for index, name in enumerate(attnames)}
        places = _ROW_PLACES[(model, attnames)] = tuple(
            position.get(f.attname) for f in model._meta.concrete_fields
        )
    instance = model(*[DEFERRED if i is None else values[i] for i in places])
    instance._state.adding = False
    instance._state.db = router.db_for_read(model)
    return instance


# A row of several related models: for each, the model, the lookup path from the queried
# model ("" for itself, "customer__" for a relation) and its columns in `from_db` order.
RelatedColumns = tuple[tuple[type[Model], str, tuple[str, ...]], ...]


def column_paths(columns: RelatedColumns) -> list[str]:
    """The values_list() arguments that read `columns`, in order."""
    return [prefix + name for _, prefix, names in columns for name in names]


def instances_from_row(columns: RelatedColumns, row: tuple) -> list[Model | None]:
    """One instance per entry of `columns`, from consecutive slices of `row` (values read
    after them are left to the caller). An entry whose first column, its id, is NULL (an
    outer join that found nothing) gives None."""
    instances, start = [], 0
    for model, _, names in columns:
        values = row[start : start + len(names)]
        start += len(names)
        instances.append(instance_from_row(model, names, values) if values[0] is not None else None)
    return instances


def concrete_attnames(model: type[Model], *, exclude: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The model's stored fields in the order `from_db` expects them."""
    return tuple(f.attname for f in model._meta.concrete_fields if f.attname not in exclude)


_UPDATE_SQL: dict[tuple, str] = {}


def update_row(
    model: type[Model], pk: Any, *, only_if_null: str | None = None, **values: Any
) -> int:
    """UPDATE one row by primary key (optionally only while `only_if_null` is still NULL);
    returns the number of rows changed. Values are prepared by their fields, as the ORM's
    own update() prepares them. No signals, no auto_now: for bookkeeping columns only.
    Append-only models (`append_only = True`, Activity) are refused."""
    if getattr(model, "append_only", False):
        raise TypeError(f"{model.__name__} is append-only.")
    alias = router.db_for_write(model)
    connection = connections[alias]
    meta = model._meta
    fields = [meta.get_field(name) for name in values]
    key = (model, alias, tuple(values), only_if_null)
    sql = _UPDATE_SQL.get(key)
    if sql is None:
        quote = connection.ops.quote_name
        assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
        # Identifiers come from the model's own metadata, quoted; values are parameters.
        table, pk_column = quote(meta.db_table), quote(meta.pk.column)
        sql = f"UPDATE {table} SET {assignments} WHERE {pk_column} = %s"  # noqa: S608
        if only_if_null:
            sql += f" AND {quote(meta.get_field(only_if_null).column)} IS NULL"
        _UPDATE_SQL[key] = sql
    params = [
        f.get_db_prep_save(value, connection)
        for f, value in zip(fields, values.values(), strict=True)
    ]
    params.append(meta.pk.get_db_prep_value(pk, connection))
    with _cursor(connection) as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


_INSERT_SQL: dict[tuple, tuple[str, tuple]] = {}


def _insert_statement(model: type[Model], connection) -> tuple[str, tuple]:
    """The INSERT of every stored field but a database-assigned primary key, with %s
    placeholders, and those fields (built once per model and database)."""
    cached = _INSERT_SQL.get((model, connection.alias))
    if cached is None:
        meta = model._meta
        fields = tuple(f for f in meta.concrete_fields if not (f.primary_key and f.db_returning))
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        cached = _INSERT_SQL[(model, connection.alias)] = (
            f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks})",  # noqa: S608
            fields,
        )
    return cached


def _insert_values(instance: Model, fields: tuple, connection) -> list:
    # An auto_now_add field already set keeps its value (a record written later than it
    # happened keeps the time it happened); pre_save fills it (and any auto_now) otherwise.
    return [
        f.get_db_prep_save(
            getattr(instance, f.attname)
            if getattr(f, "auto_now_add", False) and getattr(instance, f.attname) is not None
            else f.pre_save(instance, True),
            connection,
        )
        for f in fields
    ]


def insert_rows(instances: list[Model]) -> None:
    """INSERT new instances of one model in one statement run for each (executemany),
    without reading back primary keys: for append-only rows written in batches (access
    records). Values are prepared by their fields, as the ORM's insert prepares them; no
    signals."""
    if not instances:
        return
    model = type(instances[0])
    connection = connections[router.db_for_write(model)]
    sql, fields = _insert_statement(model, connection)
    rows = []
    for instance in instances:
        if type(instance) is not model:
            raise TypeError("insert_rows() takes instances of one model.")
        rows.append(_insert_values(instance, fields, connection))
    with _cursor(connection) as cursor:
        cursor.executemany(sql, rows)


_RETURNING_SQL: dict[tuple, str] = {}


def insert_new(instance: Model) -> Model:
    """INSERT one new instance and give it its primary key, as `save(force_insert=True)`
    does, with the statement built once per model and database instead of compiled on
    every save (about a fifth of a millisecond for a row of a dozen columns). For rows the
    services write on every send or API call. No signals (the project has none), no
    full_clean; the database's constraints still hold."""
    model = type(instance)
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    sql, fields = _insert_statement(model, connection)
    pk_field = meta.pk
    returning = pk_field.db_returning and connection.features.can_return_columns_from_insert
    if returning:
        key = (model, connection.alias)
        if key not in _RETURNING_SQL:
            suffix, _ = connection.ops.return_insert_columns([pk_field])
            _RETURNING_SQL[key] = f"{sql} {suffix}"
        sql = _RETURNING_SQL[key]
    values = _insert_values(instance, fields, connection)
    with _cursor(connection) as cursor:
        cursor.execute(sql, values)
        if pk_field.db_returning:
            if returning:
                pk = cursor.fetchone()[0]
            else:
                pk = connection.ops.last_insert_id(cursor, meta.db_table, pk_field.column)
            setattr(instance, pk_field.attname, pk)
    instance._state.adding = False
    instance._state.db = connection.alias
    return instance


def insert_row(instance: Model) -> None:
    """insert_rows() for one instance."""
    insert_rows([instance])
