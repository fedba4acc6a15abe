"""`?page=N&page_size=M`: 50 rows by default, at most 200 (larger sizes are capped).

Both must be whole numbers of at least 1, given once; anything else is a 400 rather than
silently read as page 1, so a client's bug shows instead of returning the wrong page.
"""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

MAX_PAGE_SIZE = 200


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
