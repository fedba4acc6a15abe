"""Sortable staff lists: ?sort=<key> or ?sort=-<key>, read against a whitelist.

Each list declares its keys once (`SortKeys`), mapping a key people see in the URL to the
ORM fields it orders by. A key not in the whitelist is ignored (the list's own order), so
a hand-edited URL can never order by an arbitrary field or raise. Paging and filters are
other query parameters: a sort link keeps them and goes back to page 1
(`{% sortable_th %}` in `core/templatetags/listing.py`).

Adding a key (say `due_date` on invoices) is one entry in the list's `SortKeys`.
"""

from dataclasses import dataclass, field

from django.db.models import F, QuerySet
from django.db.models.expressions import BaseExpression

SORT_PARAM = "sort"


@dataclass(frozen=True)
class SortKey:
    """`fields`: what the key orders by, in order (field names, annotations or expressions);
    `descending_first`: the first click on a column of dates or amounts shows the newest /
    largest first."""

    fields: tuple[str | BaseExpression, ...]
    descending_first: bool = False


@dataclass(frozen=True)
class Sorting:
    """The order a list is in: `key` ("" for the list's own order) and its direction."""

    key: str = ""
    descending: bool = False
    keys: dict[str, SortKey] = field(default_factory=dict)

    def param_for(self, key: str) -> str:
        """The ?sort= value of a column's link: the other direction when the list is
        already sorted by it, else the column's first direction."""
        descending = not self.descending if key == self.key else self.keys[key].descending_first
        return f"-{key}" if descending else key


class SortKeys(dict[str, SortKey]):
    """A list's whitelist of sort keys, with `tiebreak` fields (unique, e.g. "id") so a
    page boundary never moves between two requests."""

    def __init__(self, keys: dict[str, SortKey], *, tiebreak: tuple[str, ...] = ("id",)):
        super().__init__(keys)
        self.tiebreak = tiebreak

    def read(self, raw: str | None) -> Sorting:
        raw = (raw or "").strip()
        descending = raw.startswith("-")
        key = raw[1:] if descending else raw
        if key not in self:
            return Sorting(keys=dict(self))
        return Sorting(key=key, descending=descending, keys=dict(self))

    def apply(self, queryset: QuerySet, sorting: Sorting) -> QuerySet:
        """The queryset in `sorting`'s order (empty values last either way), or unchanged
        for the list's own order."""
        if not sorting.key:
            return queryset
        order = []
        for name in (*self[sorting.key].fields, *self.tiebreak):
            expression = F(name) if isinstance(name, str) else name
            order.append(
                expression.desc(nulls_last=True)
                if sorting.descending
                else expression.asc(nulls_last=True)
            )
        return queryset.order_by(*order)


def sort_request(request, queryset: QuerySet, keys: SortKeys) -> tuple[QuerySet, Sorting]:
    """Read ?sort= from `request` and order `queryset` by it."""
    sorting = keys.read(request.GET.get(SORT_PARAM))
    return keys.apply(queryset, sorting), sorting
