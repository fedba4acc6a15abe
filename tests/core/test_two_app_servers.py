"""The app servers are stateless: two real gunicorn processes (one worker each, production
settings: DEBUG off, one generated SECRET_KEY, Redis for the cache, sessions in cached_db)
on one database, and every browser's requests alternate between them, as behind a load
balancer. Each process keeps its own rendered-page caches (core/pagecache.py); what must
hold across them is what the database and Redis share: sessions, CSRF tokens, sign-in
throttles and the business's data version (tenancy/versions.py).

The servers run with ANSWER_MAX_AGE=3 (settings; production 60) so the bound on rows
written around the services can be seen in a test. The database is a scratch one beside
the suite's (PostgreSQL with DATABASE_URL, else a SQLite file), seeded once by
tests/core/two_servers.seed through bench.harness, and dropped afterwards.
"""

from __future__ import annotations

import datetime
import html
import json
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import pytest

from bench.harness import (
    app_servers,
    delete_cache_keys,
    free_port,
    prepare_in_subprocess,
    production_environment,
    scratch_database,
)
from bench.two_servers import PAIR_LIMIT, PARALLEL
from tests.core.two_servers import (
    CUSTOMER_EMAIL,
    CUSTOMER_NAME,
    PORTAL_PASSWORD,
    STAFF_EMAIL,
    STAFF_PASSWORD,
    Browser,
    form_on,
    run_sql,
)

REDIS_URL = "redis://127.0.0.1:6379/12"
MAX_AGE = 3  # the servers' ANSWER_MAX_AGE, seconds
STAFF_LOGIN = "/finance/login/"
PORTAL_LOGIN = "/finance/customer-portal/login"
PORTAL = "/finance/customer-portal/"
T = TypeVar("T")

# One pair of servers for the whole module: under xdist its tests go to one worker
# (pyproject's addopts has --dist loadgroup).
pytestmark = pytest.mark.xdist_group("two_app_servers")


@dataclass(frozen=True)
class Pair:
    a: str  # the servers' base URLs
    b: str
    values: dict[str, str]  # what the seed returned
    database_url: str

    def api(self, browser: Browser, base: str, method: str, path: str, body=None):
        headers = {"Authorization": f"Bearer {self.values['api_key']}"}
        data = json.dumps(body).encode() if body is not None else None
        status, _, text = browser.request(
            base, method, f"/finance/api/v1/{path}", json_body=data, headers=headers
        )
        return status, json.loads(text) if text else None


@pytest.fixture(scope="module")
def pair():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    # Names of this run only: under xdist another worker may run this module at once.
    run = uuid.uuid4().hex[:12]
    workdir = Path(tempfile.mkdtemp(prefix="solabooks-two-servers-"))
    ports = [free_port(), free_port()]
    suite_database = os.environ.get("DATABASE_URL") or None
    try:
        with scratch_database(workdir, suite_database, f"solabooks_2s_{run}") as url:
            env = production_environment(
                workdir,
                url,
                ports[0],
                {
                    "REDIS_URL": REDIS_URL,
                    "CACHE_KEY_PREFIX": f"test-2s-{run}",
                    "TASK_BACKEND": "immediate",
                    "EMAIL_URL": "locmem://",
                    # Each test's browsers give their own client address (X-Forwarded-For).
                    "TRUSTED_PROXIES": "127.0.0.1/32",
                    "ANSWER_MAX_AGE": str(MAX_AGE),
                    "BENCH_COMPRESS_STATIC": "0",
                },
            )
            try:
                values = prepare_in_subprocess(env, "tests.core.two_servers:seed")
                with app_servers(env, ports, workers=1, workdir=workdir) as (a, b):
                    yield Pair(a=a.base, b=b.base, values=values, database_url=url)
            finally:
                delete_cache_keys(env)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def alternate(pair: Pair):
    """A, B, A, B, ... forever."""
    while True:
        yield pair.a
        yield pair.b


def portal_browser(pair: Pair, client_ip: str) -> Browser:
    """A customer signed in to the portal: the form from A, posted on B."""
    browser = Browser(client_ip)
    status, _, page = browser.get(pair.a, PORTAL_LOGIN)
    assert status == 200
    action, form = form_on(page, "email", "password")
    form.update(email=CUSTOMER_EMAIL, password=PORTAL_PASSWORD)
    status, headers, _ = browser.post(pair.b, PORTAL_LOGIN, form)
    assert status == 302 and headers["Location"] == PORTAL, (status, headers)
    return browser


def in_one_window(steps: Callable[[], T]) -> T:
    """Run `steps` inside one ANSWER_MAX_AGE window of the clock (version_key's third part),
    so that only a data-version move can have changed a cached answer meanwhile. Starts in
    a fresh window; a run that straddles two (a slow machine) is run again."""
    for _ in range(4):
        into_window = time.time() % MAX_AGE
        if into_window > MAX_AGE / 3:
            time.sleep(MAX_AGE - into_window + 0.02)
        window = int(time.time() // MAX_AGE)
        result = steps()
        if int(time.time() // MAX_AGE) == window:
            return result
    pytest.fail(f"four runs each took longer than one {MAX_AGE}s window")


def settled(pair: Pair) -> int:
    """The business's data version once it has stopped moving: each server's access log
    writes a document's first view (and moves the version) up to 0.25 s after it."""
    query = "SELECT data_version FROM tenancy_organization WHERE id = %s"
    organization = int(pair.values["organization_id"])
    deadline = time.monotonic() + 20
    version, since = run_sql(pair.database_url, query, (organization,))[0][0], time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = run_sql(pair.database_url, query, (organization,))[0][0]
        if now != version:
            version, since = now, time.monotonic()
        elif time.monotonic() - since > 1:
            return version
    pytest.fail("the data version kept moving")


def test_staff_session_and_csrf_work_on_either_server(pair):
    a, b = pair.a, pair.b
    browser = Browser("198.51.100.11")
    status, _, page = browser.get(a, STAFF_LOGIN)
    assert status == 200
    _, form = form_on(page, "email", "password")
    form.update(email=STAFF_EMAIL, password=STAFF_PASSWORD)
    status, headers, _ = browser.post(b, STAFF_LOGIN, form)
    assert status == 302 and headers["Location"] == "/finance/"
    for base in (a, b, a):
        status, _, page = browser.get(base, "/finance/customers/")
        assert status == 200 and html.escape(CUSTOMER_NAME) in page

    # A form from B posts on A (and the other way round): the token and cookie are shared.
    for shown_on, posted_on, name in ((b, a, "Made On A Ltd"), (a, b, "Made On B Ltd")):
        status, _, page = browser.get(shown_on, "/finance/customers/new/")
        assert status == 200
        _, form = form_on(page, "name", "email", "currency")
        form.update(name=name, email=f"{name.split()[2].lower()}@example.test")
        status, headers, _ = browser.post(posted_on, "/finance/customers/new/", form)
        assert status == 302 and re.fullmatch(r"/finance/customers/\d+/", headers["Location"])
        status, _, page = browser.get(shown_on, headers["Location"])
        assert status == 200 and name in page

    # Without the token: refused on both, nothing created.
    for base in (a, b):
        status, _, _ = browser.post(
            base,
            "/finance/customers/new/",
            {"name": "No Token Ltd", "email": "no-token@example.test", "currency": "USD"},
        )
        assert status == 403
    status, _, page = browser.get(b, "/finance/customers/")
    assert status == 200 and "Made On B Ltd" in page and "No Token Ltd" not in page

    # Signing out on A ends the session itself: its cookie, replayed on B, is signed out.
    status, _, page = browser.get(b, "/finance/")
    assert status == 200
    action, form = form_on(page, action="/finance/logout/")
    old_cookies = dict(browser.cookies)
    status, headers, _ = browser.post(a, action, form)
    assert status == 302 and headers["Location"] == STAFF_LOGIN
    replayed = Browser("198.51.100.11")
    replayed.cookies = old_cookies
    for base in (b, a):
        status, headers, _ = replayed.get(base, "/finance/customers/")
        assert status == 302 and headers["Location"].startswith(STAFF_LOGIN)


def test_portal_and_link_pages_work_on_either_server(pair):
    a, b = pair.a, pair.b
    browser = portal_browser(pair, "198.51.100.21")
    number = pair.values["invoice_number"]
    for base in (a, b, a, b):
        status, _, page = browser.get(base, PORTAL)
        assert status == 200 and html.escape(CUSTOMER_NAME) in page
        status, _, page = browser.get(base, PORTAL + "invoices/")
        assert status == 200 and number in page
    visitor = Browser("198.51.100.22")
    for base in (a, b):
        status, _, page = visitor.get(base, pair.values["invoice_link"])
        assert status == 200 and number in page

    # A quote declined in the portal with the form B showed, posted on A.
    quote = pair.values["quote_ids"].split(",")[0]
    status, _, page = browser.get(b, f"{PORTAL}documents/{quote}/")
    assert status == 200
    action, form = form_on(page, op="decline")
    form["decline-reason"] = "Decided on the other server"
    status, headers, _ = browser.post(a, action or f"{PORTAL}documents/{quote}/", form)
    assert status == 302
    status, answer = pair.api(browser, b, "GET", f"documents/{quote}/")
    assert status == 200 and answer["state"] == "declined"
    # A's confirmation (a flashed message, signed with the shared key) shows on B.
    status, _, page = browser.get(b, headers["Location"])
    assert status == 200 and "is declined." in page

    # Signed out on B: the session is gone on A too.
    action, form = form_on(page, action=f"{PORTAL}logout/")
    old_cookies = dict(browser.cookies)
    status, _, _ = browser.post(b, action, form)
    assert status == 302
    replayed = Browser("198.51.100.21")
    replayed.cookies = old_cookies
    status, headers, _ = replayed.get(a, PORTAL)
    assert status == 302 and headers["Location"].startswith(PORTAL_LOGIN)


def test_a_change_through_one_server_shows_on_the_other_at_once(pair):
    """The bound for changes made through the services is immediate: the change's Activity
    moves the business's data version on commit (tenancy/versions.py), and every request
    reads the version afresh, so B's cached link page, portal list and API list are passed
    by at B's next request. (Each run stays inside one ANSWER_MAX_AGE window, so the clock
    cannot be what renewed them.)"""
    a, b = pair.a, pair.b
    portal = portal_browser(pair, "198.51.100.31")
    visitor = Browser("198.51.100.32")
    integration = Browser("198.51.100.33")
    invoice = int(pair.values["invoice_id"])
    link = pair.values["invoice_link"]
    visitor.get(a, link)  # a first view moves the version once, shortly after
    settled(pair)

    def balance_on_b() -> tuple[Decimal, str, str]:
        status, answer = pair.api(integration, b, "GET", "documents/?kind=invoice")
        assert status == 200
        row = next(row for row in answer["results"] if row["id"] == invoice)
        link_status, _, link_page = visitor.get(b, link)
        list_status, _, list_page = portal.get(b, PORTAL + "invoices/")
        assert link_status == list_status == 200
        return Decimal(row["balance_due"]), link_page, list_page

    def pay_on_a_and_read_b():
        before, _, _ = balance_on_b()  # rendered and kept by B
        payment = {
            "customer": int(pair.values["customer_id"]),
            "date": datetime.datetime.now(datetime.UTC).date().isoformat(),
            "amount": "10.00",
            "method": "bank_transfer",
            "allocations": [{"invoice": invoice, "amount": "10.00"}],
        }
        status, _ = pair.api(integration, a, "POST", "payments/", payment)
        assert status == 201
        return before, balance_on_b()

    before, (after, link_page, list_page) = in_one_window(pay_on_a_and_read_b)
    assert after == before - Decimal("10.00")
    shown = f"{after:,.2f}"
    assert shown in link_page and shown in list_page


def test_a_write_around_the_services_shows_within_answer_max_age(pair):
    """A row written around the services (raw SQL, no Activity, no version bump): a server
    that has the answer cached keeps it, at most ANSWER_MAX_AGE (version_key's window in
    tenancy/versions.py), then shows the new row."""
    b = pair.b
    integration = Browser("198.51.100.41")
    customer = pair.values["other_customer_id"]
    path = f"documents/?customer={customer}"
    attempt = iter(range(100))

    def name_on_b() -> str:
        status, answer = pair.api(integration, b, "GET", path)
        assert status == 200 and len(answer["results"]) == 1
        return answer["results"][0]["customer_name"]

    def write_around_and_read_b():
        old = name_on_b()  # kept by B
        new = f"Renamed In SQL {next(attempt)}"
        run_sql(
            pair.database_url,
            "UPDATE customers_customer SET name = %s WHERE id = %s",
            (new, int(customer)),
        )
        return old, new, name_on_b(), time.monotonic()

    settled(pair)
    old, new, right_after, written_at = in_one_window(write_around_and_read_b)
    assert right_after == old != new  # the old answer was kept
    while name_on_b() != new:
        assert time.monotonic() - written_at < MAX_AGE + 2, "kept longer than ANSWER_MAX_AGE"
        time.sleep(0.05)
    assert time.monotonic() - written_at <= MAX_AGE + 2


def test_sign_in_throttles_hold_across_servers(pair):
    """bench/two_servers.py's figures: PAIR_LIMIT wrong passwords per (account, client),
    counted in Redis, which both servers share."""
    servers = alternate(pair)
    guesser = Browser("203.0.113.66")
    _, _, page = guesser.get(pair.a, PORTAL_LOGIN)
    _, form = form_on(page, "email", "password")
    form.update(email=CUSTOMER_EMAIL, password="wrong-guess-000-000")
    statuses = [guesser.post(next(servers), PORTAL_LOGIN, form)[0] for _ in range(PAIR_LIMIT + 3)]
    assert statuses == [200] * PAIR_LIMIT + [429] * 3
    form["password"] = PORTAL_PASSWORD
    assert [guesser.post(base, PORTAL_LOGIN, form)[0] for base in (pair.a, pair.b)] == [429, 429]
    assert "sessionid" not in guesser.cookies
    # The customer, from their own address, signs in on either.
    portal_browser(pair, "198.51.100.51")

    # PARALLEL guesses at once from another client, spread over both servers: the limit
    # is counted atomically, so exactly PAIR_LIMIT reach the password check.
    burst = Browser("203.0.113.99")
    _, _, page = burst.get(pair.b, PORTAL_LOGIN)
    _, form = form_on(page, "email", "password")
    form.update(email=CUSTOMER_EMAIL, password="wrong-guess-000-000")
    start = threading.Barrier(PARALLEL)
    answers: list[int] = []
    lock = threading.Lock()

    def guess(base: str) -> None:
        browser = Browser(burst.client_ip)  # the same browser's cookies, one per thread
        browser.cookies = dict(burst.cookies)
        start.wait(timeout=60)
        status = browser.post(base, PORTAL_LOGIN, form)[0]
        with lock:
            answers.append(status)

    threads = [threading.Thread(target=guess, args=(next(servers),)) for _ in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(answers) == [200] * PAIR_LIMIT + [429] * (PARALLEL - PAIR_LIMIT)
