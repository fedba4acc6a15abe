"""Two app servers, one Redis, one database: do the throttles and idempotency hold across
processes? (Each gunicorn has its own process-local caches; only Redis and the database are
shared, as behind a load balancer.)

Checks, each printed with its figures; the exit status is 1 if any fails:
1. Sign-in throttle per (account, client): wrong passwords from one client alternate
   between the servers; after the limit both servers refuse that client, while the owner's
   right password from another client signs in on either.
2. Parallel guesses: 30 concurrent wrong passwords from one client, spread over both
   servers, get exactly the limit's number of password checks (the rest 429).
3. Idempotency-Key: one API payment POSTed with the same key to both servers, one after the
   other and then concurrently with a new key: the payment is recorded once per key, and
   every answer is the same.

    .venv/bin/python -m bench.two_servers
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/solabooks .venv/bin/python -m bench.two_servers
"""

import http.client
import json
import os
import re
import sys
import threading
import uuid
from urllib.parse import urlencode, urlsplit

from bench.harness import deployment

PORTAL_LOGIN = "/finance/customer-portal/login"
PASSWORD = "a-portal-password-long-enough"  # noqa: S105 (a throw-away database)
PARALLEL = 30
PAIR_LIMIT = 5


def seed() -> dict[str, str]:
    from django.contrib.auth.hashers import make_password

    from solabooks.activity.services import Actor
    from solabooks.customers.services import create_customer
    from solabooks.documents.services import LineInput, create_document, transition_document
    from solabooks.portal.models import AccessState, PortalAccess, PortalUser
    from solabooks.portal.services import enable_portal_access
    from solabooks.tenancy.models import Membership, Organization, Role, User
    from solabooks.tenancy.services import create_api_key

    owner = User.objects.create_user("owner@bench.test", "bench-password-long-enough")
    org = Organization.objects.create(name="Bench Co", reply_to_email="billing@bench.test")
    Membership.objects.create(user=owner, organization=org, role=Role.OWNER)
    actor = Actor.system()
    customer = create_customer(
        organization=org, actor=actor, name="Jane's Bakery", email="jane@bakery.test"
    )
    enable_portal_access(customer=customer, confirmed_email=customer.email, actor=actor)
    PortalUser.objects.filter(email="jane@bakery.test").update(password=make_password(PASSWORD))
    PortalAccess.objects.filter(customer=customer).update(state=AccessState.ACTIVE)
    from decimal import Decimal

    invoice = create_document(
        organization=org,
        actor=actor,
        kind="invoice",
        customer=customer,
        lines=[LineInput("Work", Decimal("1"), Decimal("1000"))],
    )
    transition_document(document=invoice, action="mark_sent", actor=actor)
    key = create_api_key(organization=org, actor=actor, name="bench").raw_key
    return {"api_key": key, "customer_id": str(customer.pk), "invoice_id": str(invoice.pk)}


def request(base: str, method: str, path: str, *, headers=None, body: bytes | None = None):
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


class LoginForm:
    """The portal sign-in form of one server: a CSRF cookie and token."""

    def __init__(self, base: str) -> None:
        self.base = base
        _, headers, body = request(base, "GET", PORTAL_LOGIN)
        self.cookie = re.search(r"csrftoken=([^;]+)", headers.get("Set-Cookie", "")).group(1)
        self.token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)

    def sign_in(self, email: str, password: str, client_ip: str) -> int:
        body = urlencode(
            {"csrfmiddlewaretoken": self.token.decode(), "email": email, "password": password}
        ).encode()
        status, _, _ = request(
            self.base,
            "POST",
            PORTAL_LOGIN,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={self.cookie}",
                "X-Forwarded-For": client_ip,
            },
            body=body,
        )
        return status


def check(results: list, name: str, ok: bool, figures: str) -> None:
    results.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {figures}", flush=True)


def throttle_across_servers(bases: list[str], results: list) -> None:
    forms = [LoginForm(base) for base in bases]
    statuses = [
        forms[n % 2].sign_in("jane@bakery.test", "wrong-guess-000", "203.0.113.66")
        for n in range(PAIR_LIMIT)
    ]
    refused = [form.sign_in("jane@bakery.test", PASSWORD, "203.0.113.66") for form in forms]
    owner = [
        form.sign_in("jane@bakery.test", PASSWORD, f"198.51.100.{n}")
        for n, form in enumerate(forms, 1)
    ]
    check(
        results,
        "per (account, client) across servers",
        statuses == [200] * PAIR_LIMIT and refused == [429, 429] and owner == [302, 302],
        f"{PAIR_LIMIT} wrong on A/B alternately -> {statuses}; that client's right password"
        f" on A, B -> {refused}; the owner elsewhere on A, B -> {owner}",
    )


def parallel_guesses(bases: list[str], results: list) -> None:
    forms = [LoginForm(base) for base in bases]
    start = threading.Barrier(PARALLEL)
    statuses: list[int] = []
    lock = threading.Lock()

    def guess(n: int) -> None:
        start.wait()
        status = forms[n % 2].sign_in("jane@bakery.test", "wrong-guess-000", "203.0.113.99")
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    checked = statuses.count(200)
    check(
        results,
        "parallel guesses over both servers",
        checked == PAIR_LIMIT and statuses.count(429) == PARALLEL - PAIR_LIMIT,
        f"{PARALLEL} at once from one client: {checked} password checks (200), "
        f"{statuses.count(429)} refused (429), limit {PAIR_LIMIT}",
    )


def idempotent_payments(bases: list[str], values: dict, results: list) -> None:
    headers = {"Authorization": f"Bearer {values['api_key']}", "Content-Type": "application/json"}
    payment = {
        "customer": int(values["customer_id"]),
        "date": "2026-12-03",
        "amount": "10.00",
        "method": "bank_transfer",
        "allocations": [{"invoice": int(values["invoice_id"]), "amount": "10.00"}],
    }
    body = json.dumps(payment).encode()

    def post(base: str, key: str):
        return request(
            base,
            "POST",
            "/finance/api/v1/payments/",
            headers={**headers, "Idempotency-Key": key},
            body=body,
        )

    def count() -> int:
        status, _, answer = request(bases[0], "GET", "/finance/api/v1/payments/", headers=headers)
        assert status == 200, status
        return json.loads(answer)["count"]

    before = count()
    key = f"bench-{uuid.uuid4()}"
    first, second = post(bases[0], key), post(bases[1], key)
    sequential = count() - before
    check(
        results,
        "Idempotency-Key retried on the other server",
        first[0] == 201 and second[0] == 201 and first[2] == second[2] and sequential == 1,
        f"A -> {first[0]}, B -> {second[0]} (replayed: "
        f"{second[1].get('Idempotent-Replayed', 'no')}), same body: {first[2] == second[2]}, "
        f"payments recorded: {sequential}",
    )
    key = f"bench-{uuid.uuid4()}"
    start = threading.Barrier(8)
    answers: list = []
    lock = threading.Lock()

    def racer(n: int) -> None:
        start.wait()
        answer = post(bases[n % 2], key)
        with lock:
            answers.append(answer[0])

    before = count()
    threads = [threading.Thread(target=racer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    recorded = count() - before
    check(
        results,
        "Idempotency-Key sent 8 times at once to both servers",
        recorded == 1 and set(answers) <= {201, 409} and 201 in answers,
        f"answers {sorted(answers)}, payments recorded: {recorded}",
    )


def main() -> None:
    env = {"TRUSTED_PROXIES": "127.0.0.1/32", "TASK_BACKEND": "database"}
    results: list[bool] = []
    with deployment(
        "Two app servers sharing Redis and the database",
        seed,
        servers=2,
        workers=2,
        database_url=os.environ.get("DATABASE_URL") or None,
        env=env,
    ) as running:
        bases = [server.base for server in running.servers]
        print(f"servers: {', '.join(bases)}; Redis prefix {running.env['CACHE_KEY_PREFIX']}")
        throttle_across_servers(bases, results)
        parallel_guesses(bases, results)
        idempotent_payments(bases, running.values, results)
    print("all held" if all(results) else "SOME FAILED", flush=True)
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
