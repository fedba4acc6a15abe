"""The API's hot reads as prepared statements: the documents list every sync client polls,
and the scoped document lookup of the send action.

Building a filtered, ordered, sliced QuerySet and compiling it costs more than running it,
and the rows as model instances cost more again; so the list's COUNT and its page are
one prepared statement (core.prepared) per combination of filters and page window, the
count a scalar subquery of the page's statement, read as value rows and shown through RowFormat (rows.py), which gives the serializer's own
output. The business is always the first parameter (`for_org`).

The `number` filter (a LIKE pattern the ORM escapes itself) is not a plain value, so a
list filtered by it is built as a QuerySet each time; its rows are shown the same way.

Sync clients poll the same pages over and over while the business's data stays the same,
so a page is also kept rendered (JSON) under the business's data version
(tenancy/versions.py), which moves after every committed change: `DocumentList.rendered()`
reads the database only when the business changed since the page was last rendered.
"""

from __future__ import annotations

import datetime
from collections import OrderedDict
from decimal import Decimal
from threading import Lock
from typing import Any

from django.db.models import Count, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from solabooks.core.pagecache import RenderedPageCache
from solabooks.core.prepared import (
    PreparedQuery,
    RelatedColumns,
    column_paths,
    concrete_attnames,
    instances_from_db,
)
from solabooks.documents.models import Document, State
from solabooks.documents.overdue import days_overdue_of, overdue_on
from solabooks.sharing.selectors import link_state
from solabooks.tenancy.versions import version_key

from . import link_serializers as ls
from . import serializers as s
from .rows import RowFormat
from .serializers import MAX_ID

DOCUMENT_ORDER = ("-issue_date", "-created_at", "-id")


def _days_overdue(kind, state, due_date, *, today) -> int:
    return days_overdue_of(kind=kind, state=state, due_date=due_date, today=today)


def _is_overdue(kind, state, due_date, *, today) -> bool:
    return _days_overdue(kind, state, due_date, today=today) > 0


DOCUMENT_SUMMARY = RowFormat(
    s.DocumentSummarySerializer,
    computed={
        # Document.balance_due: nothing is due on a void invoice.
        "balance_due": (
            ("state", "total", "amount_paid"),
            lambda state, total, paid: Decimal("0") if state == State.VOID else total - paid,
        ),
        # documents/overdue.py, with the business's today given per page (represent()).
        "days_overdue": (("kind", "state", "due_date"), _days_overdue, ("today",)),
        "is_overdue": (("kind", "state", "due_date"), _is_overdue, ("today",)),
    },
)
# Filters that are plain values of the list query, by their column and type.
PREPARED_FILTERS = {
    "kind": ("kind", str),
    "state": ("state", str),
    "customer": ("customer_id", int),
}
# Page windows seen most recently, per filter combination (a client paging through the
# list makes one per page; beyond these, a window is compiled again when it comes back).
MAX_WINDOWS = 256


def _documents(organization_id, filters: dict[str, Any]) -> QuerySet:
    return Document.objects.for_org(organization_id).filter(**filters)


def _page(
    organization_id,
    filters: dict[str, Any],
    number: str,
    offset: int,
    limit: int,
    overdue_day: datetime.date | None = None,
):
    """One page of the list, each row ending with the list's row count: an uncorrelated
    scalar subquery, which both databases run once per statement, so the page and its
    count take one round trip instead of two. `overdue_day`: only invoices overdue on that
    day (documents/overdue.py: open, due before it)."""
    documents = _documents(organization_id, filters)
    if number:
        documents = documents.filter(number__icontains=number)
    if overdue_day is not None:
        documents = documents.filter(overdue_on(overdue_day))
    count = documents.order_by().values("organization").annotate(n=Count("id")).values("n")
    return (
        documents.annotate(list_count=Subquery(count))
        .order_by(*DOCUMENT_ORDER)
        .values_list(*DOCUMENT_SUMMARY.lookups, "list_count")[offset : offset + limit]
    )


class _Pages:
    """Prepared page statements by filter columns and page window, the most recent
    MAX_WINDOWS kept."""

    def __init__(self) -> None:
        self._pages: OrderedDict[tuple, PreparedQuery] = OrderedDict()
        self._lock = Lock()

    def get(self, columns: tuple[str, ...], offset: int, limit: int) -> PreparedQuery:
        key = (columns, offset, limit)
        with self._lock:
            query = self._pages.get(key)
            if query is not None:
                self._pages.move_to_end(key)
                return query
        query = PreparedQuery(
            lambda organization_id, **filters: _page(organization_id, filters, "", offset, limit),
            **_parameter_types(columns),
        )
        with self._lock:
            self._pages[key] = query
            while len(self._pages) > MAX_WINDOWS:
                self._pages.popitem(last=False)
        return query


def _parameter_types(columns: tuple[str, ...]) -> dict[str, type]:
    types = {column: kind for column, kind in PREPARED_FILTERS.values()}
    return {"organization_id": int, **{column: types[column] for column in columns}}


_PAGES = _Pages()


# Rendered pages of the documents list: (results JSON, rows on the page, the list's count).
RENDERED_PAGES = RenderedPageCache(max_entries=256)


class DocumentList:
    """One business's documents, filtered, newest first: `page(offset, limit)` gives the
    rows (for DOCUMENT_SUMMARY; each ends with the list's row count) and that count;
    `rendered(offset, limit)` the same page as the API shows it, kept by data version."""

    def __init__(self, *, organization, filters: dict[str, Any]) -> None:
        self.organization = organization
        self.organization_id = organization.pk
        self.values = {
            column: filters[name]
            for name, (column, _) in PREPARED_FILTERS.items()
            if filters.get(name)
        }
        self.number = filters.get("number") or ""
        # Overdue depends on the day, not a plain column value: a QuerySet each time, like
        # the number filter.
        self.overdue = bool(filters.get("overdue"))
        self.columns = tuple(sorted(self.values))

    def page(
        self, offset: int, limit: int, today: datetime.date | None = None
    ) -> tuple[list[tuple], int | None]:
        """The page's rows and the list's row count (None when the page is empty: it is
        past the end, or the list is empty)."""
        if self.number or self.overdue:
            overdue_day = (today or self.organization.today()) if self.overdue else None
            rows = list(
                _page(self.organization_id, self.values, self.number, offset, limit, overdue_day)
            )
        else:
            rows = _PAGES.get(self.columns, offset, limit).rows(
                organization_id=self.organization_id, **self.values
            )
        return rows, (rows[0][-1] if rows else None)

    def rendered(self, offset: int, limit: int) -> tuple[bytes, int, int | None]:
        """The page's `results` as the API renders them (JSON), how many rows it has, and
        the list's row count (None for an empty page). Read from the database only when
        the business's data changed since this page was rendered."""
        today = self.organization.today()
        key = (
            *version_key(self.organization),
            tuple(sorted(self.values.items())),
            self.number,
            self.overdue,
            offset,
            limit,
            # The representation follows the active time zone (datetimes) as well.
            timezone.get_current_timezone_name(),
            # What is overdue moves with the business's today, whatever the data version.
            today,
        )
        return RENDERED_PAGES.get_or_render(key, lambda: self._render(offset, limit, today))

    def _render(
        self, offset: int, limit: int, today: datetime.date
    ) -> tuple[bytes, int, int | None]:
        rows, count = self.page(offset, limit, today)
        results = DOCUMENT_SUMMARY.represent(rows, today=today)
        return JSONRenderer().render(results), len(rows), count


_DOCUMENT_COLUMNS: RelatedColumns = ((Document, "", concrete_attnames(Document)),)
_SCOPED_DOCUMENT = PreparedQuery(
    lambda organization_id, pk: (
        Document.objects.for_org(organization_id)
        .filter(pk=pk)
        .values_list(*column_paths(_DOCUMENT_COLUMNS))
        .order_by()[:1]
    ),
    organization_id=int,
    pk=int,
)


def scoped_document(*, organization, pk: int) -> Document:
    """`Document.objects.for_org(organization).get_or_404(pk=pk)`, prepared; the document
    comes with its `organization` set. Another business's id is a 404 like an unknown one."""
    row = (
        _SCOPED_DOCUMENT.first(organization_id=organization.pk, pk=pk)
        if 1 <= pk <= MAX_ID
        else None
    )
    if row is None:
        raise Http404
    (document,) = instances_from_db(_DOCUMENT_COLUMNS, row)
    document.organization = organization
    return document


LINK_OUT = RowFormat(ls.LinkOutSerializer, computed={"state": None})
_SEND_OUT_FIELDS = ls.SendOutSerializer().fields


def send_answer(body: dict[str, Any]) -> dict[str, Any]:
    """`SendOutSerializer(body).data` without building the serializer (copying two nested
    serializers' fields on every call costs more than the rest of the answer)."""
    answer = {}
    for name, field in _SEND_OUT_FIELDS.items():
        value = body[name]
        if name == "link":
            answer[name] = LINK_OUT.represent_instance(value, state=link_state(value).value)
        else:
            answer[name] = None if value is None else field.to_representation(value)
    return answer
