"""Every staff list is paged the same way."""

from django.core.paginator import Page, Paginator
from django.http import HttpRequest

PAGE_SIZE = 25


def page_of(request: HttpRequest, items, per_page: int = PAGE_SIZE) -> Page:
    """The page asked for by ?page=. get_page() turns junk ("abc", "1e999", "-1") into page 1
    and a page past the end into the last page, so a hand-edited URL never errors."""
    return Paginator(items, per_page).get_page(request.GET.get("page"))
