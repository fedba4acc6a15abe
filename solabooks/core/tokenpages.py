"""The headers of every page whose URL holds a secret token (secure links, emailed account
links) or that shows a customer's finances (the portal): SPEC 4.

`Referrer-Policy: same-origin`: the token never leaves for another origin, and the page's
own form POSTs carry a same-origin Referer (and Origin), which Django's own CSRF check
understands on every browser, also those without Fetch Metadata (Safari before 16.4,
Firefox before 90). The app never logs a Referer header (core/logging.py keeps token
paths out of log lines), so the token reaches no log on the way back either.
"""

TOKEN_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Frame-Options": "DENY",
}
