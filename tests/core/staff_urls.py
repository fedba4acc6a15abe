"""The staff URL patterns, read from the resolver, so tests cover URLs added later too.

Customer-facing token pages (/i/, /q/, /p/, /t/), the customer portal, the API and the
staff password pages have their own scoping and their own tests; everything else under
/finance/ is a staff page. The secure-link pages are listed by `link_urls()`, so the
site-wide bad-input test covers them too.
"""

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

NOT_STAFF = (
    # Forgot password and the emailed reset / first-password / unlock links: public pages
    # with their own tests (tests/tenancy/test_accounts.py).
    "finance/password/",
    "finance/i/",
    "finance/q/",
    # A project share and a time approval (projects.link_urls): secure links like /i/, /q/.
    "finance/p/",
    "finance/t/",
    "finance/customer-portal/",
    "finance/api/",
    "finance/health/",
    "finance/media/",
    "finance/dev/",
)


@dataclass(frozen=True)
class StaffUrl:
    route: str  # e.g. "finance/document/<int:pk>/edit/"
    name: str
    view_class: type | None
    kwargs: tuple[str, ...]

    @property
    def takes_pk(self) -> bool:
        return "pk" in self.kwargs

    def allows(self, method: str) -> bool | None:
        """Whether the view answers `method` at all (405 otherwise, whatever the id); None
        for a function view, whose decorators cannot be read."""
        cls = self.view_class
        if cls is None:
            return None
        return method in cls.http_method_names and hasattr(cls, method)

    def __str__(self) -> str:
        return self.name


def _walk(patterns, prefix: str = "", kwargs: tuple[str, ...] = ()):
    for pattern in patterns:
        names = tuple(pattern.pattern.regex.groupindex)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), kwargs + names)
        elif isinstance(pattern, URLPattern):
            callback = pattern.callback
            yield StaffUrl(
                route=prefix + str(pattern.pattern),
                name=pattern.name,
                view_class=getattr(callback, "view_class", None),
                kwargs=kwargs + names,
            )


def staff_urls() -> list[StaffUrl]:
    return [
        url
        for url in _walk(get_resolver().url_patterns)
        if url.route.startswith("finance/") and not url.route.startswith(NOT_STAFF)
    ]


# Emailed one-time tokens for accounts (reset, set-up, unlock): not secure links.
ACCOUNT_TOKEN_PREFIXES = ("finance/password/", "finance/customer-portal/")


def link_urls() -> list[StaffUrl]:
    """The customer's secure-link pages: every /finance/ URL with a token that is not an
    account token."""
    return [
        url
        for url in _walk(get_resolver().url_patterns)
        if url.route.startswith("finance/")
        and "token" in url.kwargs
        and not url.route.startswith(ACCOUNT_TOKEN_PREFIXES)
    ]


def staff_pk_urls() -> list[StaffUrl]:
    return [url for url in staff_urls() if url.takes_pk]
