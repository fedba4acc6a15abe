"""Pieces for tests/core/test_two_app_servers.py: the seed (run by bench.harness in the
seeding process, with the production settings), a browser over plain HTTP that keeps its
own cookies, the forms of a page, and raw SQL on the run's database."""

from __future__ import annotations

import http.client
import re
import sqlite3
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

STAFF_EMAIL = "owner@two-servers.test"
STAFF_PASSWORD = "copper-meadow-lantern-42"  # noqa: S105 (a throw-away database)
CUSTOMER_NAME = "Jane's Bakery"
CUSTOMER_EMAIL = "jane@bakery.test"
PORTAL_PASSWORD = "quiet-harbour-lantern-97"  # noqa: S105
INVOICE_TOTAL = "1000.00"
SETUP_LINK = re.compile(r"/finance/customer-portal/setup/([A-Za-z0-9_\-]+)")


def seed() -> dict[str, str]:
    """A business with its owner, a customer with a portal account, a sent invoice with a
    secure link, two sent quotes, another customer with an invoice, and an API key, made
    through the services."""
    from decimal import Decimal

    from django.core import mail

    from solabooks.activity.services import Actor
    from solabooks.customers.services import create_customer
    from solabooks.documents.services import LineInput, create_document, transition_document
    from solabooks.portal.accounts import complete_setup
    from solabooks.portal.services import enable_portal_access
    from solabooks.sharing.services import issue_link
    from solabooks.tenancy.models import Membership, Organization, Role, User
    from solabooks.tenancy.services import create_api_key

    owner = User.objects.create_user(STAFF_EMAIL, STAFF_PASSWORD)
    org = Organization.objects.create(name="Two Servers Co", reply_to_email="billing@two.test")
    Membership.objects.create(user=owner, organization=org, role=Role.OWNER)
    actor = Actor.system()
    customer = create_customer(
        organization=org, actor=actor, name=CUSTOMER_NAME, email=CUSTOMER_EMAIL, currency="USD"
    )
    # The setup email is delivered on commit (TASK_BACKEND immediate, EMAIL_URL locmem).
    enable_portal_access(customer=customer, confirmed_email=CUSTOMER_EMAIL, actor=actor)
    setup = SETUP_LINK.search(mail.outbox[-1].body)
    complete_setup(raw_token=setup.group(1), password=PORTAL_PASSWORD, actor=actor)

    def sent(kind: str, to=customer):
        document = create_document(
            organization=org,
            actor=actor,
            kind=kind,
            customer=to,
            lines=[LineInput("Work", Decimal("1"), Decimal(INVOICE_TOTAL))],
        )
        return transition_document(document=document, action="mark_sent", actor=actor)

    invoice = sent("invoice")
    link = issue_link(document=invoice, actor=actor)
    quotes = [sent("quote") for _ in range(2)]
    # A customer whose row the tests change around the services (raw SQL).
    other = create_customer(
        organization=org, actor=actor, name="Raw Row Ltd", email="raw@row.test", currency="USD"
    )
    sent("invoice", to=other)
    api_key = create_api_key(organization=org, actor=actor, name="two servers").raw_key
    return {
        "organization_id": str(org.pk),
        "customer_id": str(customer.pk),
        "invoice_id": str(invoice.pk),
        "invoice_number": invoice.number,
        "invoice_link": f"/finance/i/{link.raw_token}",
        "quote_ids": ",".join(str(quote.pk) for quote in quotes),
        "other_customer_id": str(other.pk),
        "api_key": api_key,
    }


class Browser:
    """One browser: its own cookies and client address (X-Forwarded-For, believed from
    the trusted proxy 127.0.0.1), sending each request to whichever server it is given."""

    def __init__(self, client_ip: str) -> None:
        self.client_ip = client_ip
        self.cookies: dict[str, str] = {}

    def request(
        self,
        base: str,
        method: str,
        path: str,
        *,
        form: dict[str, str] | None = None,
        json_body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], str]:
        """(status, headers, body text); redirects are returned, not followed."""
        parts = urlsplit(base)
        fields = {
            "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
            "X-Forwarded-For": self.client_ip,
            **(headers or {}),
        }
        if self.cookies:
            fields["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            fields["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            body = json_body
            fields["Content-Type"] = "application/json"
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=fields)
            response = connection.getresponse()
            text = response.read().decode()
            for line in response.msg.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(line).items():
                    if morsel.value and morsel["max-age"] != "0":
                        self.cookies[name] = morsel.value
                    else:  # Django deletes a cookie with an empty value and max-age 0
                        self.cookies.pop(name, None)
            return response.status, dict(response.getheaders()), text
        finally:
            connection.close()

    def get(self, base: str, path: str, **kwargs) -> tuple[int, dict[str, str], str]:
        return self.request(base, "GET", path, **kwargs)

    def post(self, base: str, path: str, form: dict[str, str]) -> tuple[int, dict[str, str], str]:
        return self.request(base, "POST", path, form=form)


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attr = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append({"action": attr.get("action", ""), "fields": {}})
            return
        if not self.forms:
            return
        fields = self.forms[-1]["fields"]
        if tag == "input" and attr.get("name") and attr.get("type") not in ("submit", "button"):
            if attr.get("type") not in ("checkbox", "radio") or "checked" in attr:
                fields[attr["name"]] = attr.get("value", "")
        elif tag == "textarea" and attr.get("name"):
            self._textarea = attr["name"]
            fields[self._textarea] = ""
        elif tag == "select" and attr.get("name"):
            self._select = attr["name"]
        elif (
            tag == "option" and self._select and ("selected" in attr or self._select not in fields)
        ):
            fields[self._select] = attr.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            self.forms[-1]["fields"][self._textarea] += data


def form_on(page: str, *names: str, action: str | None = None, **values: str):
    """(action, fields) of the first form on `page` with a CSRF token that has the fields
    `names`, the fields `values` (name=value) and, if given, that action; the fields as a
    browser would post them."""
    parser = _Forms()
    parser.feed(page)
    for form in parser.forms:
        fields = form["fields"]
        if (
            "csrfmiddlewaretoken" in fields
            and all(name in fields for name in names)
            and all(fields.get(name) == value for name, value in values.items())
            and action in (None, form["action"])
        ):
            return form["action"], dict(fields)
    raise AssertionError(f"no form with {names} {values} {action or ''} on the page")


def run_sql(database_url: str, sql: str, params: tuple = ()) -> list[tuple]:
    """One statement on the run's database from outside the servers (autocommit); `%s`
    placeholders on both databases."""
    if database_url.startswith("sqlite:///"):
        connection = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=30)
        try:
            with connection:
                rows = connection.execute(sql.replace("%s", "?"), params).fetchall()
            return rows
        finally:
            connection.close()
    import psycopg

    with psycopg.connect(database_url, autocommit=True, connect_timeout=10) as connection:
        cursor = connection.execute(sql, params)
        return cursor.fetchall() if cursor.description else []
