"""The demo mailbox: what the demo "sent", at /finance/dev/mailbox/.

Routed only when settings.SOLABOOKS_DEMO is on (solabooks/urls.py), and every view checks
again. Demo only, on localhost: no login, because the point is that a newcomer can click
the customer's link straight from here.
"""

import re

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_safe

from . import mailbox

URL_RE = re.compile(r"https?://[^\s<>\"')\]]+")
# The email's own HTML, shown in a sandboxed frame: no scripts, no forms, no same-origin
# access; links may open in a new, unsandboxed tab (the demo's point is to click them).
EMAIL_HTML_CSP = (
    "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; "
    "img-src data: http: https:; style-src 'unsafe-inline'; form-action 'none'"
)


def _demo_only() -> None:
    if not settings.SOLABOOKS_DEMO:
        raise Http404


def _entry_or_404(message_id: str) -> mailbox.MailboxEntry:
    entry = mailbox.get_message(message_id)
    if entry is None:
        raise Http404
    return entry


def _private(response: HttpResponse) -> HttpResponse:
    # These pages show live link tokens: keep them out of caches and referrers.
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
def mailbox_list(request: HttpRequest) -> HttpResponse:
    _demo_only()
    context = {"entries": mailbox.list_messages(), "mailbox_dir": mailbox.mailbox_dir()}
    return _private(render(request, "mail/demo_mailbox.html", context))


@require_safe
def mailbox_message(request: HttpRequest, message_id: str) -> HttpResponse:
    _demo_only()
    entry = _entry_or_404(message_id)
    text = entry.text
    links = list(dict.fromkeys(URL_RE.findall(text)))  # in order, without repeats
    context = {"entry": entry, "text": text, "links": links, "has_html": bool(entry.html)}
    return _private(render(request, "mail/demo_mailbox_message.html", context))


@require_safe
@xframe_options_sameorigin
def mailbox_message_html(request: HttpRequest, message_id: str) -> HttpResponse:
    _demo_only()
    html = _entry_or_404(message_id).html
    if not html:
        raise Http404
    # Links open in a new tab: a link page inside the frame would refuse to be framed.
    if "<head>" in html:
        html = html.replace("<head>", '<head><base target="_blank">', 1)
    else:
        html = '<base target="_blank">' + html
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = EMAIL_HTML_CSP
    return _private(response)
