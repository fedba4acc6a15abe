"""CSRF checks for pages served with `Referrer-Policy: no-referrer` (SPEC 4).

Under that policy browsers send `Origin: null` (and no Referer) with every form POST the
page makes, even to its own origin (Fetch standard, "serializing a request origin"), so
Django's Origin check refuses the page's own Accept, Request access or Sign in. Here
`Origin: null` counts as same-origin only when the browser itself says so in
`Sec-Fetch-Site: same-origin` (a header no page can set). Any other origin is checked as
usual, and the CSRF token is always checked.
"""

from django.middleware.csrf import CsrfViewMiddleware
from django.utils.decorators import decorator_from_middleware


class NoReferrerCsrfViewMiddleware(CsrfViewMiddleware):
    def _origin_verified(self, request) -> bool:
        if (
            request.META.get("HTTP_ORIGIN") == "null"
            and request.META.get("HTTP_SEC_FETCH_SITE") == "same-origin"
        ):
            return True
        return super()._origin_verified(request)


# csrf_protect, for views whose pages send Referrer-Policy: no-referrer.
csrf_protect_no_referrer = decorator_from_middleware(NoReferrerCsrfViewMiddleware)
