"""Output serializers applied to plain value rows, for the lists every client pages through.

A DRF serializer spends most of its time per object and per field on machinery (copying its
fields, resolving each source attribute, checking for callables), more than a page's
queries cost. `RowFormat(serializer_class)` reads the serializer's own declared fields once
and turns a row of values (from a prepared `values_list()`, see core.prepared) into the very
dict the serializer would give for a model instance with those values: same keys, same
order, each value through the same representation (DRF's `to_representation`, or for
integers, text, dates, date-times and decimals the same steps done inline). A MoneyField
reads two columns: its amount and the currency it names.
tests/api/test_fast_paths.py compares the two for every kind of document.

The serializer class stays what the OpenAPI schema documents; this only makes its output
faster to compute.
"""

from __future__ import annotations

import decimal
import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.conf import settings
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from .fields import MoneyField


def _iso_datetime(field: serializers.DateTimeField, tz) -> Callable[[Any], Any]:
    # DateTimeField.to_representation with its default format: to the current time zone,
    # ISO 8601, "+00:00" written "Z". (A naive value, which an aware database never gives,
    # goes to the field itself.)
    fallback = field.to_representation

    def represent(value):
        if isinstance(value, str) or value.tzinfo is None:
            return fallback(value)
        text = (value if value.tzinfo is tz else value.astimezone(tz)).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return represent


def _decimal(field: serializers.DecimalField) -> Callable[[Any], Any]:
    # DecimalField.to_representation with coerce_to_string, no normalize, no localize.
    exponent = decimal.Decimal(".1") ** field.decimal_places
    context = decimal.getcontext().copy()
    if field.max_digits is not None:
        context.prec = field.max_digits
    rounding = field.rounding

    def represent(value):
        if not isinstance(value, decimal.Decimal):
            value = decimal.Decimal(str(value).strip())
        return f"{value.quantize(exponent, rounding=rounding, context=context):f}"

    return represent


def _as_given(value):
    return value


def _converter(field: serializers.Field, tz) -> Callable[..., Any]:
    """The field's to_representation, done inline for the common field types (a
    MoneyField's takes the amount and its currency)."""
    kind = type(field)
    if isinstance(field, serializers.SerializerMethodField):
        return _as_given  # a computed value is what the method would have returned
    if isinstance(field, MoneyField):
        return field.format
    if kind is serializers.IntegerField:
        return int
    if kind in (serializers.CharField, serializers.EmailField):
        return str
    if (
        kind is serializers.DateField
        and getattr(field, "format", api_settings.DATE_FORMAT) == ISO_8601
    ):
        return lambda value: value if isinstance(value, str) else value.isoformat()
    if (
        kind is serializers.DateTimeField
        and settings.USE_TZ
        and not hasattr(field, "timezone")
        and getattr(field, "format", api_settings.DATETIME_FORMAT) == ISO_8601
    ):
        return _iso_datetime(field, tz)
    if (
        kind is serializers.DecimalField
        and field.decimal_places is not None
        and getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
        and not field.normalize_output
        and not field.localize
    ):
        return _decimal(field)
    return field.to_representation


class RowFormat:
    """`serializer_class`'s output for rows of values.

    Each output field reads the column named by its `source` (`customer.name` is the
    `customer__name` lookup), or a `computed` function of the row as a dict of those
    columns (for a model property such as `balance_due`), or None for a value only
    `represent_instance()` is given. A computed entry may name, third, keyword values the
    function takes that are no column but the same for every row of a call (the business's
    `today` for `days_overdue`): `represent(rows, today=…)` gives them. `lookups` is what to
    select, in row order: pass it to `values_list()`.
    """

    def __init__(
        self,
        serializer_class: type[serializers.Serializer],
        *,
        computed: dict[str, tuple[Sequence[str], Callable[..., Any]] | tuple | None] | None = None,
    ) -> None:
        computed = computed or {}
        self.serializer_class = serializer_class
        self.fields = serializer_class().fields
        lookups: list[str] = []

        def column(lookup: str) -> int:
            if lookup not in lookups:
                lookups.append(lookup)
            return lookups.index(lookup)

        # (output name, column index, field, currency column index for a MoneyField);
        # computed values go after the columns.
        self._plan: list[tuple[str, int, serializers.Field, int | None]] = []
        self._computed: list[tuple[tuple[int, ...], Callable[..., Any]]] = []
        self._given: list[tuple[str, ...]] = []  # per computed value: the keywords it takes
        self._computed_names: list[str] = []
        for name, field in self.fields.items():
            if field.write_only:
                continue
            currency = (
                column("__".join(field.currency_attrs)) if isinstance(field, MoneyField) else None
            )
            if name in computed:
                arguments, function, *given = computed[name] or ((), None)
                self._plan.append((name, ~len(self._computed), field, currency))
                self._computed.append((tuple(column(a) for a in arguments), function))
                self._given.append(tuple(given[0]) if given else ())
                self._computed_names.append(name)
            elif isinstance(field, serializers.SerializerMethodField | serializers.BaseSerializer):
                raise TypeError(f"{serializer_class.__name__}.{name} needs a computed value.")
            else:
                self._plan.append((name, column("__".join(field.source_attrs)), field, currency))
        self.lookups = tuple(lookups)
        self._compiled: dict[tuple, Callable] = {}
        # Computed values are appended to each row, after the columns (~k is the k-th).
        self._plan = [
            (name, len(lookups) + ~index if index < 0 else index, field, currency)
            for name, index, field, currency in self._plan
        ]

    def represent_instance(self, instance: Any, **computed: Any) -> dict[str, Any]:
        """The serializer's data for one object: each column read as its attribute path
        (`customer__name` as `instance.customer.name`), computed fields given by name."""
        row = []
        for lookup in self.lookups:
            value = instance
            for attribute in lookup.split("__"):
                value = getattr(value, attribute)
            row.append(value)
        return self._represent([row], [tuple(computed[n] for n in self._computed_names)])[0]

    def represent(self, rows: Iterable[Sequence[Any]], **given: Any) -> list[dict[str, Any]]:
        """The serializer's `many=True` data for these rows (`lookups` first, in order; any
        further columns are ignored). A None value is None, as the serializer shows a None
        attribute. `given`: the keyword values computed functions name (see the class)."""
        if not self._computed:
            return self._represent(rows)
        if any(function is None for _, function in self._computed):
            raise TypeError("This format has values only represent_instance() is given.")
        computed = [
            (args, functools.partial(function, **{k: given[k] for k in names}))
            if names
            else (args, function)
            for (args, function), names in zip(self._computed, self._given, strict=True)
        ]
        width = len(self.lookups)  # rows may carry more columns after the lookups
        rows = [
            (*row[:width], *(function(*(row[i] for i in args)) for args, function in computed))
            for row in rows
        ]
        return self._represent(rows)

    def _represent(self, rows, extra=None) -> list[dict[str, Any]]:
        if extra is not None:
            rows = [(*row, *more) for row, more in zip(rows, extra, strict=True)]
        return self._converter()(rows)

    def _converter(self) -> Callable[[Iterable[Sequence[Any]]], list[dict[str, Any]]]:
        # The converters depend on the current time zone (DateTimeField) and the decimal
        # context's rounding (DecimalField copies the context on every call); one compiled
        # converter per combination seen.
        tz = timezone.get_current_timezone() if settings.USE_TZ else None
        key = (tz, decimal.getcontext().rounding)
        function = self._compiled.get(key)
        if function is None:
            function = self._compiled[key] = _compile(
                [
                    (name, index, _converter(field, tz), currency)
                    for name, index, field, currency in self._plan
                ]
            )
        return function


def _compile(steps: list[tuple[str, int, Callable[..., Any], int | None]]):
    """One function turning rows into dicts, with every field's step written out: a loop
    over the fields for every row costs about as much as the conversions themselves. The
    source holds only field names (as repr() literals) and column numbers."""
    entries = "".join(
        f"            {name!r}: None if (v{k} := row[{index}]) is None else c{k}(v{k}"
        + ("" if currency is None else f", row[{currency}]")
        + "),\n"
        for k, (name, index, _, currency) in enumerate(steps)
    )
    source = (
        "def convert(rows):\n"
        "    out = []\n"
        "    append = out.append\n"
        "    for row in rows:\n"
        "        append({\n" + entries + "        })\n"
        "    return out\n"
    )
    namespace = {f"c{k}": convert for k, (_, _, convert, _) in enumerate(steps)}
    exec(compile(source, "<RowFormat>", "exec"), namespace)  # noqa: S102 (names are repr()s)
    return namespace["convert"]
