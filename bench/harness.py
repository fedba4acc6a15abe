"""Benchmark harness: seed a throw-away database, serve it with gunicorn as production does,
load each endpoint with wrk, and compare it with the bare /finance/health/ endpoint measured
in the same run (the ratio is what to compare between machines and runs).

A bench script is a seed function and a list of endpoints:

    from bench.harness import Endpoint, main, staff_session_cookie

    def seed() -> dict[str, str]:
        ...                                   # Django is set up; make data with the services
        return {"staff": staff_session_cookie(user, organization)}

    main("Staff pages", seed, [Endpoint("dashboard", "/finance/", cookie="staff")])

Everything stays on 127.0.0.1 and every step has a time limit. The database is a new SQLite
file, or with DATABASE_URL a new database on that PostgreSQL server, dropped afterwards.

The seed returns named values the endpoints refer to: `cookie=` names a Cookie header value,
`headers=` names whole header lines ("Authorization: Bearer ..."), and `{name}` in a path is
filled in from them (tables print the path as written, so a token in a path is never shown).
`method=` / `body=` make a POST (wrk runs it through a generated Lua script).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
HEALTH_PATH = "/finance/health/"
STATUS_SCRIPT = Path(__file__).resolve().parent / "status.lua"  # counts non-200 answers
START_TIMEOUT = 60  # seconds for gunicorn to answer /finance/health/


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str  # may hold {name} placeholders, filled from the seed's values
    cookie: str | None = None  # key into the values the seed function returned
    headers: tuple[str, ...] = ()  # keys of seed values that are whole "Name: value" lines
    method: str = "GET"
    body: str | None = None  # sent with Content-Type: application/json
    status: int = 200  # what the check before the run expects


@dataclass
class Result:
    name: str
    path: str
    requests_per_second: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    requests: int = 0
    errors: int = 0  # responses other than 200, plus socket errors
    ratio_to_health: float | None = None  # the median of the rounds' ratios
    round_ratios: list | None = None  # each round's ratio to that round's health figure
    problem: str = ""


# --- set-up ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_database(url: str, name: str, *, create: bool) -> str:
    """Create (or drop) a database beside the one in `url`; return the URL that names it."""
    import dj_database_url
    import psycopg

    db = dj_database_url.parse(url)
    with psycopg.connect(
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
        connect_timeout=5,
    ) as conn:
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')
        else:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def production_environment(
    workdir: Path, database_url: str, port: int, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """Settings as a production server has them: DEBUG off, a real key, manifest static.

    `extra` is the script's own environment on top (e.g. a higher API_RATE_LIMIT, an
    EMAIL_URL of a local sink); it applies to the seed and to gunicorn alike."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SOLABOOKS_", "DJANGO_")) and k not in ("DEBUG", "DATABASE_URL")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=database_url,
        SOLABOOKS_VAR_DIR=str(workdir),
        MEDIA_ROOT=str(workdir / "media"),
        BENCH_STATIC_ROOT=str(workdir / "static"),
        BASE_URL=f"http://127.0.0.1:{port}",
        ALLOWED_HOSTS="127.0.0.1",
        EMAIL_URL="locmem://",
        # Production runs with Redis for the cache (rate limits, session reads); each run
        # keeps its keys apart from other runs' with its own prefix.
        REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"),
        CACHE_KEY_PREFIX=f"bench-{secrets.token_hex(6)}",
        LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    )
    env.update(extra or {})
    return env


def prepare_database(seed: Callable[[], dict[str, str]]) -> dict[str, str]:
    """Migrate, collect static files and seed, in this process (Django set up from env)."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    started = time.monotonic()
    cookies = seed() or {}
    print(f"seeded in {time.monotonic() - started:.1f}s", flush=True)
    connections.close_all()
    return cookies


# What prepare_in_subprocess() runs: the seed named "module:function", its values to a file.
_PREPARE_SCRIPT = """
import json, sys
from importlib import import_module
from bench.harness import prepare_database
module, _, name = sys.argv[1].partition(":")
values = prepare_database(getattr(import_module(module), name))
with open(sys.argv[2], "w") as out:
    json.dump(values, out)
"""


def prepare_in_subprocess(env: dict[str, str], seed: str, *, timeout: int = 300) -> dict[str, str]:
    """prepare_database() in a new process with `env`, for a caller whose own Django is set
    up otherwise (a test run). `seed` names the seed function as "module:function"."""
    values_file = Path(env["SOLABOOKS_VAR_DIR"]) / "seed-values.json"
    finished = subprocess.run(
        [sys.executable, "-c", _PREPARE_SCRIPT, seed, str(values_file)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if finished.returncode != 0:
        raise RuntimeError(f"seeding failed:\n{(finished.stdout + finished.stderr)[-4000:]}")
    return json.loads(values_file.read_text())


@contextlib.contextmanager
def scratch_database(workdir: Path, database_url: str | None, name: str):
    """A new empty database, yielded as its URL: a SQLite file in `workdir`, or with
    `database_url` a database called `name` on that PostgreSQL server, dropped on exit."""
    if not database_url:
        yield f"sqlite:///{workdir / f'{name}.sqlite3'}"
        return
    url = postgres_database(database_url, name, create=True)
    try:
        yield url
    finally:
        postgres_database(database_url, name, create=False)


def delete_cache_keys(env: dict[str, str]) -> int:
    """Delete the keys a run left in Redis (those of its CACHE_KEY_PREFIX); how many."""
    import redis

    prefix = env.get("CACHE_KEY_PREFIX")
    if not prefix or not env.get("REDIS_URL"):
        return 0
    client = redis.Redis.from_url(env["REDIS_URL"], socket_timeout=10)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=500))
        return client.delete(*keys) if keys else 0
    finally:
        client.close()


def create_bench_business(*, customers: int):
    """The business the staff and API benches seed: "Bench Co", its owner and `customers`
    customers made through the real service. Call inside a seed (Django is set up)."""
    from solabooks.activity.models import ActorType
    from solabooks.activity.services import Actor
    from solabooks.customers.services import create_customer
    from solabooks.tenancy.models import Membership, Organization, Role, User

    owner = User.objects.create_user("owner@bench.test", "bench-password-long-enough")
    org = Organization.objects.create(name="Bench Co", reply_to_email="billing@bench.test")
    Membership.objects.create(user=owner, organization=org, role=Role.OWNER)
    actor = Actor(type=ActorType.STAFF, user=owner, label=owner.email)
    customer_list = [
        create_customer(
            organization=org,
            actor=actor,
            name=f"Customer {n:03d}",
            email=f"customer{n}@example.test",
            currency="USD",
        )
        for n in range(customers)
    ]
    return owner, org, actor, customer_list


def staff_session_cookie(user, organization=None) -> str:
    """A signed-in staff session (stored like any login), as a Cookie header value."""
    from django.conf import settings
    from django.test import Client

    from solabooks.tenancy.middleware import SESSION_KEY

    client = Client()
    client.force_login(user)
    if organization is not None:
        session = client.session
        session[SESSION_KEY] = organization.pk
        session.save()
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


# --- the server -----------------------------------------------------------------------


class Server:
    def __init__(self, env: dict[str, str], port: int, workers: int, log: Path):
        self.base = f"http://127.0.0.1:{port}"
        self.log = log
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "solabooks.wsgi",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--no-control-socket",
            "--log-level",
            "warning",
        ]
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=self._log_file, stderr=subprocess.STDOUT
        )

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log.read_text()[-3000:]}")
            try:
                if fetch(self.base + HEALTH_PATH)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer {HEALTH_PATH} in {START_TIMEOUT}s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._log_file.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def header_lines(endpoint: Endpoint, values: dict[str, str]) -> list[str] | None:
    """The endpoint's extra header lines ("Name: value"), or None if the seed lacks one."""
    lines = []
    if endpoint.cookie:
        if endpoint.cookie not in values:
            return None
        lines.append(f"Cookie: {values[endpoint.cookie]}")
    for key in endpoint.headers:
        if key not in values:
            return None
        lines.append(values[key])
    if endpoint.body is not None:
        lines.append("Content-Type: application/json")
    return lines


def fetch(
    url: str,
    cookie: str | None = None,
    *,
    method: str = "GET",
    body: str | None = None,
    headers: list[str] | None = None,
) -> tuple[int, bytes]:
    fields = dict(line.split(": ", 1) for line in headers or [])
    if cookie:
        fields["Cookie"] = cookie
    data = body.encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=fields, method=method)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


# --- wrk ------------------------------------------------------------------------------

UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _latency_ms(output: str, percentile: str) -> float | None:
    match = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
    return float(match.group(1)) * UNITS_MS[match.group(2)] if match else None


def parse_wrk(output: str) -> dict:
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    total = re.search(r"^\s*(\d+) requests in", output, re.MULTILINE)
    not_ok = re.search(r"^Unexpected statuses:\s+(\d+)", output, re.MULTILINE)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return {
        "requests_per_second": float(rps.group(1)) if rps else None,
        "requests": int(total.group(1)) if total else 0,
        "p50_ms": _latency_ms(output, "50"),
        "p99_ms": _latency_ms(output, "99"),
        "errors": (int(not_ok.group(1)) if not_ok else 0)
        + (sum(int(n) for n in socket_errors.groups()) if socket_errors else 0),
    }


def _lua_string(text: str) -> str:
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def run_wrk(
    url: str,
    *,
    cookie: str | None = None,
    duration: int,
    threads: int,
    connections: int,
    headers: list[str] | None = None,
    method: str = "GET",
    body: str | None = None,
    status: int = 200,
) -> dict:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    # wrk takes one script: the request set-up, then status.lua's non-200 counting.
    # Headers go in the script too, so a key never shows in the process list.
    lines = [f"wrk.method = {_lua_string(method)}", f"expected_status = {int(status)}"]
    if body is not None:
        lines.append(f"wrk.body = {_lua_string(body)}")
    for line in headers or []:
        name, value = line.split(": ", 1)
        lines.append(f"wrk.headers[ {_lua_string(name)} ] = {_lua_string(value)}")
    handle, script = tempfile.mkstemp(prefix="wrk-", suffix=".lua")
    with os.fdopen(handle, "w") as out:
        out.write("\n".join(lines) + "\n" + STATUS_SCRIPT.read_text())
    try:
        finished = subprocess.run(
            [*command, "--script", script, url],
            capture_output=True,
            text=True,
            timeout=duration + 60,
            check=True,
        )
    finally:
        os.unlink(script)
    if "Unexpected statuses:" not in finished.stdout:
        # wrk carries on without a script it cannot load: the figures would be meaningless.
        raise RuntimeError(f"wrk did not run its Lua script:\n{finished.stderr[-2000:]}")
    return parse_wrk(finished.stdout)


# --- the run --------------------------------------------------------------------------


def _prepare(endpoint: Endpoint, server: Server, values: dict[str, str]) -> tuple[str, dict]:
    """The endpoint's URL and wrk request, checked once; raises _Skip with the problem."""
    headers = header_lines(endpoint, values)
    if headers is None:
        missing = [k for k in (endpoint.cookie, *endpoint.headers) if k and k not in values]
        raise _Skip(f"the seed returned no {missing[0]!r}")
    try:
        url = server.base + endpoint.path.format(**values)
    except KeyError as error:
        raise _Skip(f"the seed returned no {error.args[0]!r}") from None
    request = {
        "headers": headers,
        "method": endpoint.method,
        "body": endpoint.body,
        "status": endpoint.status,
    }
    status, _ = fetch(url, headers=headers, method=endpoint.method, body=endpoint.body)
    if status != endpoint.status:  # a redirect to the login page would measure the wrong thing
        raise _Skip(f"HTTP {status} before the run")
    return url, request


class _Skip(Exception):
    pass


def _median(values: list[float]) -> float | None:
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def measure(
    server: Server,
    endpoints: list[Endpoint],
    cookies: dict[str, str],
    *,
    duration: int,
    warmup: int,
    threads: int,
    connections: int,
    rounds: int = 3,
    settle: Callable[[], None] | None = None,
) -> list[Result]:
    """Load the health endpoint and then each endpoint, `rounds` times over. Each round's
    ratio compares an endpoint with the health figure of the same round (minutes apart,
    a shared machine's speed drifts); the result is the median round (req/s, latencies and
    ratio each the median of the rounds), and errors are summed over all of them.
    `settle()` runs after each endpoint's load, e.g. to let background work that load
    queued finish before the next endpoint is measured."""
    health = Endpoint("health (baseline)", HEALTH_PATH)
    results = [Result(e.name, e.path) for e in [health, *endpoints]]
    prepared: dict[int, tuple[str, dict]] = {}
    for index, endpoint in enumerate([health, *endpoints]):
        try:
            prepared[index] = _prepare(endpoint, server, cookies)
        except _Skip as skip:
            results[index].problem = str(skip)
    per_round: dict[int, list[dict]] = {index: [] for index in prepared}
    for round_number in range(1, rounds + 1):
        for index, (url, request) in prepared.items():
            if round_number == 1:
                # The path as written: a secret filled into it (a link token) is not printed.
                print(
                    f"  {results[index].name}: {server.base}{results[index].path} "
                    f"for {duration}s x {rounds} rounds",
                    flush=True,
                )
                if warmup:
                    run_wrk(
                        url, duration=warmup, threads=threads, connections=connections, **request
                    )
            figures = run_wrk(
                url, duration=duration, threads=threads, connections=connections, **request
            )
            per_round[index].append(figures)
            if settle is not None:
                settle()
        baseline = per_round[0][-1]["requests_per_second"] if 0 in per_round else None
        line = []
        for index in prepared:
            figures = per_round[index][-1]
            rps = figures["requests_per_second"]
            figures["ratio"] = rps / baseline if baseline and rps else None
            line.append(
                f"{results[index].name} {rps or 0:.0f}/s"
                + (f" {figures['ratio']:.3f}x" if index and figures["ratio"] else "")
            )
        print(f"  round {round_number}: " + ", ".join(line), flush=True)
    for index, rounds_figures in per_round.items():
        result = results[index]
        result.requests_per_second = _median([f["requests_per_second"] for f in rounds_figures])
        result.p50_ms = _median([f["p50_ms"] for f in rounds_figures])
        result.p99_ms = _median([f["p99_ms"] for f in rounds_figures])
        result.requests = sum(f["requests"] for f in rounds_figures)
        result.errors = sum(f["errors"] for f in rounds_figures)
        result.ratio_to_health = _median([f["ratio"] for f in rounds_figures])
        result.round_ratios = [f["ratio"] for f in rounds_figures]
    return results


def table(results: list[Result]) -> str:
    def num(value, fmt):
        return format(value, fmt) if value is not None else "-"

    rows = [
        ("endpoint", "path", "req/s", "p50 ms", "p99 ms", "vs health", "errors"),
        *(
            (
                r.name,
                r.path,
                num(r.requests_per_second, ".1f"),
                num(r.p50_ms, ".2f"),
                num(r.p99_ms, ".2f"),
                num(r.ratio_to_health, ".3f") + ("x" if r.ratio_to_health else ""),
                str(r.errors) if not r.problem else r.problem,
            )
            for r in results
        ),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        cells = [
            cell.ljust(width) if i < 2 or i == 6 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def run(
    title: str,
    seed: Callable[[], dict[str, str]],
    endpoints: list[Endpoint],
    *,
    duration: int = 10,
    warmup: int = 2,
    rounds: int = 3,
    threads: int = 2,
    connections: int = 16,
    workers: int = 2,
    database_url: str | None = None,
    keep: bool = False,
    env: dict[str, str] | None = None,
    settle: Callable[[], None] | None = None,
    after_measure: Callable[[list[Result]], None] | None = None,
) -> list[Result]:
    """Seed, serve, measure. `settle()` runs after each endpoint's load (see measure());
    `after_measure(results)` runs while the server and the run's database still exist
    (e.g. to account for background work the load queued)."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: sudo apt-get install wrk")
    workdir = Path(tempfile.mkdtemp(prefix="solabooks-bench-"))
    port = free_port()
    pg_name = None
    if database_url:
        pg_name = f"solabooks_bench_{os.getpid()}"
        url = postgres_database(database_url, pg_name, create=True)
    else:
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    env = production_environment(workdir, url, port, env)
    server = None
    try:
        print(f"{title}: database {url.split('@')[-1]}, work dir {workdir}", flush=True)
        os.environ.clear()
        os.environ.update(env)
        cookies = prepare_database(seed)
        server = Server(env, port, workers, workdir / "gunicorn.log")
        server.wait_until_up()
        print(
            f"gunicorn -w {workers} on {server.base}; wrk -t{threads} -c{connections}", flush=True
        )
        results = measure(
            server,
            endpoints,
            cookies,
            duration=duration,
            warmup=warmup,
            threads=threads,
            connections=connections,
            rounds=rounds,
            settle=settle,
        )
        if after_measure is not None:
            after_measure(results)
    finally:
        if server is not None:
            server.stop()
        if pg_name:
            postgres_database(database_url, pg_name, create=False)
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"\n{title}\n{table(results)}\n", flush=True)
    return results


@dataclass
class Deployment:
    """What `deployment()` started: `servers` (gunicorn processes sharing the database
    and Redis), the seed's values, the environment and the work directory."""

    servers: list
    values: dict
    env: dict
    workdir: Path


@contextlib.contextmanager
def app_servers(env: dict[str, str], ports: list[int], *, workers: int, workdir: Path):
    """One gunicorn process per port on `env` (each with its own process-local caches,
    sharing the database and Redis, as app servers behind a load balancer are), yielded
    once all answer; all stopped on exit."""
    started: list[Server] = []
    try:
        for index, port in enumerate(ports):
            started.append(Server(env, port, workers, workdir / f"gunicorn-{index}.log"))
        for server in started:
            server.wait_until_up()
        yield started
    finally:
        for server in started:
            server.stop()


@contextlib.contextmanager
def deployment(
    title: str,
    seed: Callable[[], dict[str, str]],
    *,
    servers: int = 1,
    workers: int = 2,
    database_url: str | None = None,
    env: dict[str, str] | None = None,
    keep: bool = False,
):
    """Seed a throw-away database and start `servers` separate gunicorn processes on it
    (app_servers()); everything is stopped and dropped on exit, the run's Redis keys too."""
    workdir = Path(tempfile.mkdtemp(prefix="solabooks-bench-"))
    ports = [free_port() for _ in range(servers)]
    try:
        with scratch_database(workdir, database_url, f"solabooks_bench_{os.getpid()}") as url:
            env = production_environment(workdir, url, ports[0], env)
            try:
                print(f"{title}: database {url.split('@')[-1]}, work dir {workdir}", flush=True)
                os.environ.clear()
                os.environ.update(env)
                values = prepare_database(seed)
                with app_servers(env, ports, workers=workers, workdir=workdir) as started:
                    yield Deployment(servers=started, values=values, env=env, workdir=workdir)
            finally:
                delete_cache_keys(env)
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


def argument_parser(title: str, *, duration: int = 10) -> argparse.ArgumentParser:
    """The options every bench script takes; a script may add its own."""
    parser = argparse.ArgumentParser(description=title)
    parser.add_argument("--duration", type=int, default=duration, help="seconds per endpoint")
    parser.add_argument("--warmup", type=int, default=2, help="unrecorded seconds first")
    parser.add_argument(
        "--rounds", type=int, default=3, help="health and every endpoint, this many times over"
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (logs, db)")
    return parser


def run_options(args: argparse.Namespace) -> dict:
    """run()'s keyword arguments from argument_parser()'s options and DATABASE_URL."""
    return {
        "duration": args.duration,
        "rounds": args.rounds,
        "warmup": args.warmup,
        "threads": args.threads,
        "connections": args.connections,
        "workers": args.workers,
        "database_url": os.environ.get("DATABASE_URL") or None,
        "keep": args.keep,
    }


def main(title: str, seed: Callable[[], dict[str, str]], endpoints: list[Endpoint]) -> None:
    args = argument_parser(title).parse_args()
    results = run(title, seed, endpoints, **run_options(args))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    if any(r.problem or r.errors for r in results):
        sys.exit(1)


# --- targets --------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A figure and the bound it must meet: `figure >= bound` (at_least) or `<= bound`."""

    what: str
    figure: float | None
    bound: float
    at_least: bool = True
    unit: str = "x"

    @property
    def met(self) -> bool:
        if self.figure is None:
            return False
        return self.figure >= self.bound if self.at_least else self.figure <= self.bound


def ratio_target(results: list[Result], name: str, bound: float) -> Target:
    """`name`'s req/s as a fraction of the bare health endpoint's, at least `bound`."""
    result = next(r for r in results if r.name == name)
    figure = None if result.problem or result.errors else result.ratio_to_health
    return Target(f"{name}: req/s vs health", figure, bound)


def targets_table(targets: list[Target]) -> str:
    rows = [("target", "figure", "bound", "met")]
    for t in targets:
        figure = "-" if t.figure is None else f"{t.figure:.3f}{t.unit}"
        bound = f"{'>=' if t.at_least else '<='} {t.bound:g}{t.unit}"
        rows.append((t.what, figure, bound, "yes" if t.met else "NO"))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for index, row in enumerate(rows):
        cells = [
            c.ljust(w) if i in (0, 3) else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


# --- in-process cost ------------------------------------------------------------------


def finish(
    *, results: list[Result], targets: list[Target], json_path: Path | None = None, **extra
) -> None:
    """Print the targets, write the JSON report if asked, and exit: 1 when a run had errors,
    2 when only a target was missed."""
    print(targets_table(targets) + "\n", flush=True)
    if json_path:
        report = {
            "results": [asdict(r) for r in results],
            **extra,
            "targets": [{**asdict(t), "met": t.met} for t in targets],
        }
        json_path.write_text(json.dumps(report, indent=2) + "\n")
    if any(r.problem or r.errors for r in results):
        sys.exit(1)
    if not all(t.met for t in targets):
        sys.exit(2)


def cpu_per_request(endpoints: list[Endpoint], values: dict[str, str], *, count: int = 30) -> str:
    """CPU milliseconds this process spends per request of each endpoint (and of the bare
    health endpoint), through Django's test Client: middleware, view, ORM and templates,
    without HTTP, gunicorn, wrk or the PostgreSQL server's own work. Other load on the
    machine hardly changes it, so it shows what the req/s ratios would be on an idle one.
    Call it from a seed function (Django set up, data in place); it returns one line."""
    from django.test import Client

    def cost(endpoint: Endpoint) -> float:
        headers = header_lines(endpoint, values) or []
        extra = {
            "HTTP_" + name.upper().replace("-", "_"): value
            for name, value in (line.split(": ", 1) for line in headers)
            if name.lower() not in ("content-type", "cookie")
        }
        client = Client(HTTP_HOST="127.0.0.1", **extra)
        for line in headers:
            if line.lower().startswith("cookie: "):
                client.cookies.load(line.split(": ", 1)[1])
        path = endpoint.path.format(**values)

        def call():
            if endpoint.method == "GET":
                return client.get(path)
            return client.generic(
                endpoint.method, path, endpoint.body or "", content_type="application/json"
            )

        if call().status_code != endpoint.status:  # also warms caches and imports
            raise RuntimeError(f"{endpoint.name} did not answer {endpoint.status} in-process")
        started = time.process_time()
        for _ in range(count):
            call()
        return (time.process_time() - started) / count * 1000

    health = cost(Endpoint("health", HEALTH_PATH))
    parts = [f"health {health:.2f} ms"]
    for endpoint in endpoints:
        ms = cost(endpoint)
        parts.append(f"{endpoint.name} {ms:.2f} ms ({health / ms:.3f}x)")
    return "in-process CPU per request: " + ", ".join(parts)
