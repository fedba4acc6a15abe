"""The soak's HTTP side: a small browser (cookies, forms with their CSRF token, a client
address of its own) and the record of every request it makes.

Each simulated person is a `Browser` with its own source address on the loopback network
(127.0.0.0/8 is all local on Linux), so HAProxy forwards a different X-Forwarded-For for
each, as it would for people on different networks, and per-client rate limits apply to
each person rather than to the whole soak.
"""

from __future__ import annotations

import http.client
import itertools
import json as jsonlib
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

TIMEOUT = 30
# What a request on a kept-alive connection that the other side closed meanwhile raises.
RETRYABLE_ON_REUSED = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)

_addresses = itertools.count(10)


def next_client_address() -> str:
    """A new loopback address per simulated client: 127.1.x.y."""
    n = next(_addresses) % 65000
    return f"127.1.{n // 250}.{n % 250 + 2}"


@dataclass
class Sample:
    at: float  # time.time() when the request started
    journey: str
    step: str
    status: int  # 0: no answer (connection refused, reset, timeout)
    seconds: float
    server: str
    error: str = ""


@dataclass
class Recorder:
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    secrets: set[str] = field(default_factory=set)  # every token seen, for the log check
    problems: list[str] = field(default_factory=list)  # wrong answers that are not statuses

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)

    def secret(self, value: str) -> None:
        if value:
            with self.lock:
                self.secrets.add(value)

    def add_problem(self, text: str) -> None:
        with self.lock:
            self.problems.append(f"{time.strftime('%H:%M:%S')} {text}")

    def count(self) -> int:
        with self.lock:
            return len(self.samples)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    url: str

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        return jsonlib.loads(self.body)

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class Browser:
    """Cookies, a keep-alive connection to the load balancer and the record of each request."""

    def __init__(self, base_url: str, recorder: Recorder, journey: str) -> None:
        self.base = base_url.rstrip("/")
        parts = urlsplit(self.base)
        self.host, self.port = parts.hostname, parts.port or 80
        self.address = next_client_address()
        self.cookies: dict[str, str] = {}
        self.recorder = recorder
        self.journey = journey
        self.connection: http.client.HTTPConnection | None = None
        self.servers: list[str] = []  # which app server answered each request

    def request(
        self,
        method: str,
        path: str,
        *,
        step: str,
        form: dict | list | None = None,
        json=None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        url = urljoin(self.base + "/", path)
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        sent_headers = {"Host": f"{self.host}:{self.port}", **(headers or {})}
        body = None
        if form is not None:
            body = urlencode(form, doseq=True).encode()
            sent_headers["Content-Type"] = "application/x-www-form-urlencoded"
            sent_headers["Origin"] = self.base
            sent_headers["Referer"] = url
        elif json is not None:
            body = jsonlib.dumps(json).encode()
            sent_headers["Content-Type"] = "application/json"
        if self.cookies:
            sent_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started, clock = time.time(), time.monotonic()
        try:
            try:
                reused = self.connection is not None
                response = self._send(method, target, body, sent_headers)
            except RETRYABLE_ON_REUSED:
                # A kept-alive connection the proxy closed while idle: browsers send the
                # request again on a new connection, and so do we (once).
                self.close()
                if not reused:
                    raise
                response = self._send(method, target, body, sent_headers)
        except (OSError, http.client.HTTPException) as error:
            self.close()
            self.recorder.add(
                Sample(
                    started,
                    self.journey,
                    step,
                    0,
                    time.monotonic() - clock,
                    "",
                    f"{type(error).__name__}: {error}"[:200],
                )
            )
            return Response(0, {}, b"", url)
        server = response.headers.get("x-solabooks-server", "")
        self.servers.append(server)
        self.recorder.add(
            Sample(started, self.journey, step, response.status, time.monotonic() - clock, server)
        )
        return response

    def _send(self, method: str, target: str, body: bytes | None, headers: dict) -> Response:
        if self.connection is None:
            self.connection = http.client.HTTPConnection(
                self.host, self.port, timeout=TIMEOUT, source_address=(self.address, 0)
            )
        self.connection.request(method, target, body=body, headers=headers)
        raw = self.connection.getresponse()
        payload = raw.read()
        response_headers: dict[str, str] = {}
        for name, value in raw.getheaders():
            name = name.lower()
            if name == "set-cookie":
                self._store_cookie(value)
            response_headers[name] = value
        if raw.will_close:
            self.close()
        return Response(raw.status, response_headers, payload, target)

    def _store_cookie(self, header: str) -> None:
        pair = header.split(";", 1)[0]
        name, _, value = pair.partition("=")
        lowered = header.lower()
        if not value or "max-age=0" in lowered or "expires=thu, 01 jan 1970" in lowered:
            self.cookies.pop(name.strip(), None)
        else:
            self.cookies[name.strip()] = value.strip().strip('"')
            if name.strip() == "sessionid":
                self.recorder.secret(value.strip())

    def get(self, path: str, *, step: str, **kwargs) -> Response:
        return self.request("GET", path, step=step, **kwargs)

    def submit(
        self, page: Response, *, step: str, action: str = "", op: str = "", **values
    ) -> Response:
        """Post the page's form whose action contains `action` (no action: the form that
        posts back to its page; and whose hidden "op" is
        `op`, when given), with its own fields (hidden CSRF token included) and `values` on
        top ("__" in a name stands for "-"); None removes a field."""
        form = find_form(page.text, action, op=op)
        if form is None:
            self.recorder.add(Sample(time.time(), self.journey, step, 0, 0.0, "", "form not found"))
            return Response(0, {}, b"", page.url)
        fields = form.values()
        for name, value in values.items():
            name = name.replace("__", "-")
            if value is None:
                fields.pop(name, None)
            else:
                fields[name] = value
        target = urljoin(self.base + page.url, form.action) if form.action else page.url
        return self.request("POST", target, step=step, form=fields)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


# --- forms ------------------------------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    select_options: dict[str, list[str]] = field(default_factory=dict)

    def values(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for name, value in self.fields:
            values.setdefault(name, value)
        return values


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.current: Form | None = None
        self.select: str | None = None
        self.select_value: str | None = None
        self.textarea: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.current = Form(attrs.get("action") or "", (attrs.get("method") or "get").lower())
            self.forms.append(self.current)
        if self.current is None or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.current.fields.append((name, attrs.get("value") or "on"))
            elif kind not in ("submit", "button", "file", "reset", "image"):
                self.current.fields.append((name, attrs.get("value") or ""))
        elif tag == "select" and name:
            self.select, self.select_value = name, None
            self.current.select_options[name] = []
        elif tag == "option" and self.select:
            value = attrs.get("value") or ""
            self.current.select_options[self.select].append(value)
            if "selected" in attrs or self.select_value is None:
                self.select_value = value  # the first option, unless one is selected
        elif tag == "textarea" and name:
            self.textarea, self.text = name, []

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "select" and self.select and self.current is not None:
            self.current.fields.append((self.select, self.select_value or ""))
            self.select = None
        elif tag == "textarea" and self.textarea and self.current is not None:
            self.current.fields.append((self.textarea, "".join(self.text)))
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            self.text.append(data)


def find_form(html: str, action_contains: str = "", *, op: str = "") -> Form | None:
    parser = _FormParser()
    parser.feed(html)
    for form in parser.forms:
        if form.method != "post":
            continue
        # "": a form that posts back to its page (no action); else a part of the action.
        if (action_contains not in form.action) if action_contains else form.action:
            continue
        if not op or form.values().get("op") == op:
            return form
    return None


def all_forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms
