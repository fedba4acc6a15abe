"""Reads on the hot path of every customer and API request, compiled once.

Building and compiling a QuerySet costs far more CPU than running it: the secure-link
lookup (a link with its document, customer and business) takes about 1.2 ms to build and
compile and 0.06 ms to run on SQLite. The few lookups every customer page or API call
starts with (the secure link, the portal session, the API key) are therefore built by the
ORM once per database and then re-run with new parameter values. The SQL, the parameter
adaptation and the value converters are still the ORM's own, so the statements follow the
models and both database backends like any other query, and they run through
`connection.cursor()` (query logging, execute wrappers, the test suite's query counts).

On PostgreSQL, psycopg prepares statements itself (parsed and planned once per connection)
when settings.py turns it on through the database OPTIONS (`server_side_binding`,
`prepare_threshold`; DB_PREPARED_STATEMENTS): nothing here is specific to it.

Writes are not here: they go through the ORM (`save()`, `bulk_create()`, `update()`).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from django.db import connections, router
from django.db.models import Model, QuerySet

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
        self._model_class: type[Model] | None = None

    def _placeholders(self) -> dict[str, Any]:
        return {
            name: _placeholder(kind, index)
            for index, (name, kind) in enumerate(self._parameters.items())
        }

    def _compile(self, alias: str) -> _Compiled:
        connection = connections[alias]
        placeholders = self._placeholders()
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
        alias = router.db_for_read(self.model)
        compiled = self._compiled.get(alias)
        if compiled is None:
            compiled = self._compiled[alias] = self._compile(alias)
        params = [
            constant if name is None else compiled.adapters[name](values[name])
            for name, constant in zip(compiled.slots, compiled.constants, strict=True)
        ]
        with connections[alias].cursor() as cursor:
            cursor.execute(compiled.sql, params)
            fetched = cursor.fetchall()
        if compiled.converters:
            fetched = compiled.compiler.apply_converters(fetched, compiled.converters)
        return [tuple(row[: compiled.column_count]) for row in fetched]

    def first(self, **values: Any) -> tuple | None:
        found = self.rows(**values)
        return found[0] if found else None

    @property
    def model(self) -> type[Model]:
        """The model the query reads (what the database router is asked about)."""
        if self._model_class is None:
            self._model_class = self._build(**self._placeholders()).model
        return self._model_class


# A row of several related models: for each, the model, the lookup path from the queried
# model ("" for itself, "customer__" for a relation) and its columns in `from_db` order.
RelatedColumns = tuple[tuple[type[Model], str, tuple[str, ...]], ...]


def concrete_attnames(model: type[Model], *, exclude: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The model's stored fields in the order `Model.from_db` expects them."""
    return tuple(f.attname for f in model._meta.concrete_fields if f.attname not in exclude)


def attnames_of(model: type[Model], *wanted: str) -> tuple[str, ...]:
    """`wanted`, a subset of the model's stored fields, in the order `Model.from_db`
    expects them (the model's field order, whatever the order given)."""
    known = concrete_attnames(model)
    unknown = set(wanted) - set(known)
    if unknown:
        raise ValueError(f"{model.__name__} has no stored fields {sorted(unknown)}.")
    return tuple(name for name in known if name in wanted)


def column_paths(columns: RelatedColumns) -> list[str]:
    """The values_list() arguments that read `columns`, in order."""
    return [prefix + name for _, prefix, names in columns for name in names]


def instances_from_db(columns: RelatedColumns, row: tuple) -> list[Model | None]:
    """One instance per entry of `columns`, built by `Model.from_db` from consecutive
    slices of `row` (values read after them are left to the caller); the fields an entry
    does not name are deferred (reading one costs a query, as with `.only()`). An entry
    whose first column, its id, is NULL (an outer join that found nothing) gives None."""
    instances, start = [], 0
    for model, _, names in columns:
        values = row[start : start + len(names)]
        start += len(names)
        instances.append(
            model.from_db(router.db_for_read(model), names, values)
            if values[0] is not None
            else None
        )
    return instances
