"""Does "Forgot password?" answer as fast for an unknown email as for a real account?

The request only validates the form, counts the client and enqueues one task; whether the
email has an account is decided by the worker (core.background). This script serves the
production settings (TASK_BACKEND=database, Redis) with gunicorn, then sends interleaved
POSTs for a real account and for an unknown email (each from its own client address, through
a trusted proxy's X-Forwarded-For, so the per-client limit never answers instead) and
compares the median response times. The bound: within 2 ms of each other.

    .venv/bin/python -m bench.bench_forgot_password [--requests 300]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/solabooks .venv/bin/python -m bench.bench_forgot_password
"""

import argparse
import http.client
import json
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from bench.harness import deployment

SURFACES = {
    "portal": ("/finance/customer-portal/forgot-password/", "jane@bakery.test"),
    "staff": ("/finance/password/forgot/", "owner@bench.test"),
}
UNKNOWN = "nobody-{n}@example.test"
BOUND_MS = 2.0


def seed() -> dict[str, str]:
    from django.contrib.auth.hashers import make_password

    from solabooks.activity.services import Actor
    from solabooks.customers.services import create_customer
    from solabooks.portal.models import AccessState, PortalAccess, PortalUser
    from solabooks.portal.services import enable_portal_access
    from solabooks.tenancy.models import Membership, Organization, Role, User

    owner = User.objects.create_user("owner@bench.test", "bench-password-long-enough")
    org = Organization.objects.create(name="Bench Co", reply_to_email="billing@bench.test")
    Membership.objects.create(user=owner, organization=org, role=Role.OWNER)
    actor = Actor.system()
    customer = create_customer(
        organization=org, actor=actor, name="Jane's Bakery", email="jane@bakery.test"
    )
    enable_portal_access(customer=customer, confirmed_email=customer.email, actor=actor)
    # As if Jane had followed her setup link and chosen a password.
    PortalUser.objects.filter(email="jane@bakery.test").update(
        password=make_password("a-portal-password-long-enough")
    )
    PortalAccess.objects.filter(customer=customer).update(state=AccessState.ACTIVE)
    return {}


class Browser:
    """One page's CSRF cookie and token, then timed POSTs of the form (a new connection
    each, as gunicorn's sync workers close it after every answer)."""

    def __init__(self, base: str, path: str) -> None:
        self.host, self.port = urlsplit(base).hostname, urlsplit(base).port
        self.path = path
        status, headers, body = self._request("GET", {})
        assert status == 200, status
        self.cookie = re.search(r"csrftoken=([^;]+)", headers.get("Set-Cookie", "")).group(1)
        self.token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)

    def _request(self, method: str, headers: dict, body: bytes | None = None):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request(method, self.path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def post(self, email: str, client_ip: str) -> tuple[int, float]:
        body = f"csrfmiddlewaretoken={self.token.decode()}&email={email}".encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={self.cookie}",
            "X-Forwarded-For": client_ip,
        }
        started = time.perf_counter()
        status, _, _ = self._request("POST", headers, body)
        return status, (time.perf_counter() - started) * 1000


def measure(base: str, requests: int) -> dict:
    report = {}
    counter = 0
    for surface, (path, existing) in SURFACES.items():
        browser = Browser(base, path)
        times: dict[str, list[float]] = {"existing": [], "unknown": []}
        for n in range(requests):
            pair = [("existing", existing), ("unknown", UNKNOWN.format(n=n))]
            random.shuffle(pair)  # neither case always goes first
            for case, email in pair:
                counter += 1
                ip = f"10.{counter // 65536 % 256}.{counter // 256 % 256}.{counter % 256}"
                status, ms = browser.post(email, ip)
                if status != 200:
                    raise SystemExit(f"{surface} {case}: answered {status}")
                if n >= 10:  # the first rounds warm the workers up
                    times[case].append(ms)
        medians = {case: statistics.median(values) for case, values in times.items()}
        report[surface] = {
            "existing_median_ms": round(medians["existing"], 3),
            "unknown_median_ms": round(medians["unknown"], 3),
            "difference_ms": round(abs(medians["existing"] - medians["unknown"]), 3),
            "existing_p90_ms": round(statistics.quantiles(times["existing"], n=10)[-1], 3),
            "unknown_p90_ms": round(statistics.quantiles(times["unknown"], n=10)[-1], 3),
            "samples_each": len(times["existing"]),
        }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="pairs per surface")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    env = {"TASK_BACKEND": "database", "TRUSTED_PROXIES": "127.0.0.1/32"}
    with deployment(
        "Forgot password: existing vs unknown email",
        seed,
        workers=args.workers,
        database_url=os.environ.get("DATABASE_URL") or None,
        env=env,
    ) as running:
        report = measure(running.servers[0].base, args.requests)
    print()
    print(f"{'surface':8} {'existing p50':>13} {'unknown p50':>12} {'diff':>7}  bound")
    for surface, row in report.items():
        met = "yes" if row["difference_ms"] <= BOUND_MS else "NO"
        print(
            f"{surface:8} {row['existing_median_ms']:>10.2f} ms {row['unknown_median_ms']:>9.2f} ms"
            f" {row['difference_ms']:>4.2f} ms  <= {BOUND_MS} ms: {met}"
        )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    if any(row["difference_ms"] > BOUND_MS for row in report.values()):
        sys.exit(2)


if __name__ == "__main__":
    main()
