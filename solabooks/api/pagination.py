"""`?page=N&page_size=M`: 50 rows by default, at most 200 (larger sizes are capped).

Both must be whole numbers of at least 1, given once; anything else is a 400 rather than
silently read as page 1, so a client's bug shows instead of returning the wrong page.
"""

from collections.abc import Callable

from django.http import HttpResponse
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import JSONRenderer

MAX_PAGE_SIZE = 200
# Pages further than this many rows in name nothing (and would overflow an SQL OFFSET).
MAX_OFFSET = 2**62


def positive_int_param(request, name: str) -> int | None:
    values = request.query_params.getlist(name)
    if not values:
        return None
    if len(values) > 1:
        raise ValidationError({name: [f"Give {name} once."]})
    raw = values[0]
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise ValidationError({name: ["Enter a whole number of at least 1."]})
    return int(raw)


class StandardPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    last_page_strings = ()  # no "?page=last": pages are numbers

    def get_page_size(self, request) -> int:
        size = positive_int_param(request, self.page_size_query_param)
        return self.page_size if size is None else min(size, self.max_page_size)

    def get_page_number(self, request, paginator) -> int:
        return positive_int_param(request, self.page_query_param) or 1

    def rendered_response(
        self, request, *, fetch: Callable[[int, int], tuple[bytes, int, int | None]]
    ) -> HttpResponse:
        """get_paginated_response() for a page whose `results` are already rendered:
        `fetch(offset, limit)` gives that JSON, the page's number of rows and the list's
        row count (None for an empty page). The same page numbers, the same 404 past the
        last page, the same next/previous links and the same bytes as DRF's renderer."""
        self.request = request
        page_size = self.get_page_size(request)
        paginator = self.django_paginator_class((), page_size)
        page_number = self.get_page_number(request, paginator)
        results, rows, count = b"[]", 0, None
        if page_number <= MAX_OFFSET // page_size:
            results, rows, count = fetch((page_number - 1) * page_size, page_size)
        if not rows and page_number > 1:
            # Past the last page: Paginator.page() would raise EmptyPage.
            message = paginator.error_messages["no_results"]
            raise NotFound(
                self.invalid_page_message.format(page_number=page_number, message=message)
            )
        paginator.count = count if rows else 0  # a cached_property: no COUNT of its own
        self.page = paginator.page(page_number)
        envelope = JSONRenderer().render(
            {
                "count": paginator.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
            }
        )
        # {"count":…,"next":…,"previous":…} + "results", in the order DRF's answer has.
        body = envelope[:-1] + b',"results":' + results + b"}"
        return HttpResponse(body, content_type="application/json")

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "Page number, from 1. A page past the last one is a 404.",
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page: {self.page_size} by default, at most "
                f"{self.max_page_size} (larger values are capped).",
                "schema": {"type": "integer", "minimum": 1},
            },
        ]
