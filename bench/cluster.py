"""Production as several machines, on one: HAProxy, two app servers, two task workers, the
outbox retry loop, an S3-compatible object store and an SMTP sink, on 127.0.0.1.

    scripts/cluster            start (foreground; Ctrl-C stops everything it started)
    scripts/cluster stop       stop a cluster started from another terminal
    scripts/cluster status     what runs, with its ports and process ids
    scripts/cluster soak ...   start, run bench/soak.py with those arguments, stop

PostgreSQL and Redis are the machine's own (CLUSTER_DATABASE_URL, default a database
`solabooks_cluster` on 127.0.0.1:5432; CLUSTER_REDIS_URL, default database 9 on
127.0.0.1:6379), both emptied at every start: the object store (moto's S3-compatible server)
keeps its files in memory, so the cluster's data lasts until it stops.
Everything else is started here, each as its own process with its own log under
var/cluster/logs/, and kept running the way systemd's Restart= does: a process that dies is
started again after a pause (20 s for an app server, a few seconds for the rest). The soak
(bench/soak.py) kills processes on purpose and watches them come back; it reads what it
needs from var/cluster/state.json, which this file rewrites whenever a process (re)starts.

A process can be held down until a given time by writing that time (Unix seconds) to
var/cluster/control/<name>.down before stopping it (the soak stops the SMTP sink this way).

The settings are production's (DEBUG off, a generated SECRET_KEY kept in
var/cluster/secret_key so a restart keeps sessions valid, TASK_BACKEND=database, Redis,
PostgreSQL, object storage); deploy/ holds the same configuration as files to copy.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.cluster_setup import (
    S3_BUCKET,
    production_env,
    recreate_postgres_database,
    wait_for_http,
    write_env_file,
)
from bench.harness import free_port

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HEALTH = "/finance/health/"


@dataclass
class Service:
    """One supervised process: how to start it and how long to wait before a restart."""

    name: str
    argv: list[str]
    restart_delay: float
    port: int | None = None
    process: subprocess.Popen | None = None
    restarts: int = 0
    started_at: float = 0.0
    due_at: float | None = None  # when a dead process is started again
    extra_env: dict[str, str] = field(default_factory=dict)


class Cluster:
    def __init__(self, var_dir: Path) -> None:
        self.var_dir = var_dir
        self.logs = var_dir / "logs"
        self.control = var_dir / "control"
        self.state_file = var_dir / "state.json"
        self.services: list[Service] = []
        self.env: dict[str, str] = {}
        self.lb_port = 0
        self.stopping = False

    # --- configuration ------------------------------------------------------------------

    def configure(self) -> None:
        # A new cluster each time: the last run's logs and mail would confuse the accounting.
        for old in (self.logs, self.control, self.var_dir / "smtp-sink"):
            shutil.rmtree(old, ignore_errors=True)
        for directory in (self.logs, self.control, self.var_dir / "smtp-sink"):
            directory.mkdir(parents=True, exist_ok=True)
        for stale in self.control.glob("*.down"):
            stale.unlink()
        self.lb_port = int(os.environ.get("CLUSTER_PORT") or free_port())
        app_ports = [free_port(), free_port()]
        sink_port, store_port = free_port(), free_port()
        self.env = production_env(
            self.var_dir, lb_port=self.lb_port, sink_port=sink_port, store_port=store_port
        )
        manage = [PYTHON, str(REPO / "manage.py")]
        gunicorn = [str(Path(PYTHON).with_name("gunicorn")), "solabooks.wsgi"]
        self.services = [
            Service(
                "object-store",
                [
                    PYTHON,
                    "-m",
                    "bench.object_store",
                    "--port",
                    str(store_port),
                    "--bucket",
                    S3_BUCKET,
                ],
                restart_delay=2,
                port=store_port,
            ),
            Service(
                "smtp-sink",
                [
                    PYTHON,
                    "-m",
                    "bench.smtp_sink",
                    "--port",
                    str(sink_port),
                    "--dir",
                    str(self.var_dir / "smtp-sink"),
                ],
                restart_delay=2,
                port=sink_port,
            ),
            *(
                Service(
                    f"app{n}",
                    [
                        *gunicorn,
                        "--bind",
                        f"127.0.0.1:{port}",
                        "--workers",
                        os.environ.get("CLUSTER_APP_WORKERS", "2"),
                        "--timeout",
                        "30",
                        "--graceful-timeout",
                        "10",
                        "--no-control-socket",
                    ],
                    restart_delay=20,
                    port=port,
                )
                for n, port in enumerate(app_ports, 1)
            ),
            *(
                Service(f"worker{n}", [*manage, "db_worker", "--interval", "0.5"], 3)
                for n in (1, 2)
            ),
            Service("outbox-loop", [*manage, "deliver_outbox", "--loop", "--interval", "5"], 3),
            Service(
                "haproxy",
                ["haproxy", "-db", "-f", str(REPO / "deploy" / "haproxy.cfg")],
                restart_delay=2,
                port=self.lb_port,
                extra_env={
                    "SOLABOOKS_LB_BIND": f"127.0.0.1:{self.lb_port}",
                    "SOLABOOKS_APP1": f"127.0.0.1:{app_ports[0]}",
                    "SOLABOOKS_APP2": f"127.0.0.1:{app_ports[1]}",
                    "SOLABOOKS_FORWARDED_PROTO": "http",
                },
            ),
        ]
        write_env_file(self.var_dir / "cluster.env", self.env)

    def prepare_database(self) -> None:
        """Create the database if needed, migrate, collect static files, seed the demo."""
        recreate_postgres_database(self.env["DATABASE_URL"])
        import redis

        redis.Redis.from_url(self.env["REDIS_URL"]).flushdb()
        manage = [PYTHON, str(REPO / "manage.py")]
        for step in (
            ["migrate", "--noinput", "-v", "0"],
            ["collectstatic", "--noinput", "-v", "0"],
            # The demo business (published passwords: --force says we mean it); it stays
            # if it is there already.
            ["seed_demo", "--force"],
        ):
            say(f"manage.py {' '.join(step)}")
            subprocess.run([*manage, *step], env=self.env, check=True, cwd=REPO, timeout=600)

    # --- processes ------------------------------------------------------------------------

    def start(self, service: Service) -> None:
        log = open(self.logs / f"{service.name}.log", "ab")  # noqa: SIM115 (the child keeps it)
        log.write(f"\n--- started {time.strftime('%Y-%m-%dT%H:%M:%S%z')} ---\n".encode())
        log.flush()
        service.process = subprocess.Popen(
            service.argv,
            cwd=REPO,
            env={**self.env, **service.extra_env},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches the supervisor only; it stops them
        )
        log.close()
        service.started_at = time.time()
        service.due_at = None

    def start_all(self, names: set[str] | None = None) -> None:
        """Start the named services (all that are not running yet without a name)."""
        for service in self.services:
            if service.process is not None or (names is not None and service.name not in names):
                continue
            self.start(service)
            if service.port is not None and service.name != "haproxy":
                wait_for_port(service, timeout=90)
            if service.name.startswith("app"):
                wait_for_http(f"http://127.0.0.1:{service.port}{HEALTH}", timeout=90)
        self.write_state()

    def supervise(self) -> None:
        """Restart what died, after its pause (or when its hold-down file says)."""
        while not self.stopping:
            now = time.time()
            changed = False
            for service in self.services:
                if service.process is None or service.process.poll() is None:
                    continue
                if service.due_at is None:
                    service.due_at = now + service.restart_delay
                    say(
                        f"{service.name} exited ({service.process.returncode}); "
                        f"restarting in {service.restart_delay:.0f} s"
                    )
                held_until = self.held_until(service.name)
                if now >= max(service.due_at, held_until):
                    service.restarts += 1
                    self.start(service)
                    say(f"{service.name} restarted (pid {service.process.pid})")
                    changed = True
            if changed:
                self.write_state()
            time.sleep(0.2)

    def held_until(self, name: str) -> float:
        try:
            return float((self.control / f"{name}.down").read_text().strip() or 0)
        except (FileNotFoundError, ValueError):
            return 0.0

    def stop_all(self) -> None:
        self.stopping = True
        running = [s for s in self.services if s.process and s.process.poll() is None]
        for service in running:
            service.process.send_signal(signal.SIGTERM)
        deadline = time.time() + 15
        for service in running:
            try:
                service.process.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                service.process.kill()
                service.process.wait(timeout=5)
        self.state_file.unlink(missing_ok=True)

    def write_state(self) -> None:
        state = {
            "supervisor_pid": os.getpid(),
            "url": f"http://127.0.0.1:{self.lb_port}",
            "var_dir": str(self.var_dir),
            "logs": str(self.logs),
            "control": str(self.control),
            "smtp_sink_dir": str(self.var_dir / "smtp-sink"),
            "env": self.env,
            "services": {
                s.name: {
                    "pid": s.process.pid if s.process else None,
                    "port": s.port,
                    "restarts": s.restarts,
                    "started_at": s.started_at,
                    "restart_delay": s.restart_delay,
                }
                for s in self.services
            },
        }
        temporary = self.state_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(state, indent=2))
        temporary.replace(self.state_file)


# --- helpers ------------------------------------------------------------------------------


def wait_for_port(service: Service, *, timeout: float) -> None:
    import socket

    deadline = time.time() + timeout
    while time.time() < deadline:
        if service.process.poll() is not None:
            raise SystemExit(f"{service.name} exited at start; see its log.")
        with socket.socket() as sock:
            sock.settimeout(1)
            if sock.connect_ex(("127.0.0.1", service.port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"{service.name} did not listen on {service.port} within {timeout} s")


def say(text: str) -> None:
    print(f"[cluster {time.strftime('%H:%M:%S')}] {text}", flush=True)


def read_state(var_dir: Path) -> dict:
    return json.loads((var_dir / "state.json").read_text())


def stop_running(var_dir: Path) -> int:
    try:
        pid = read_state(var_dir)["supervisor_pid"]
    except FileNotFoundError:
        print("No cluster is running (no var/cluster/state.json).")
        return 0
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        (var_dir / "state.json").unlink(missing_ok=True)
        print("The cluster's supervisor was gone; removed its state file.")
        return 0
    for _ in range(300):
        if not (var_dir / "state.json").exists():
            print("Cluster stopped.")
            return 0
        time.sleep(0.1)
    print("The cluster did not stop within 30 s.", file=sys.stderr)
    return 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "command", nargs="?", default="start", choices=["start", "stop", "status", "soak"]
    )
    parser.add_argument("--var-dir", type=Path, default=REPO / "var" / "cluster")
    args, soak_args = parser.parse_known_args()
    if soak_args and args.command != "soak":
        parser.error(f"unknown arguments: {' '.join(soak_args)}")
    var_dir = args.var_dir.resolve()
    if args.command == "stop":
        return stop_running(var_dir)
    if args.command == "status":
        try:
            print(json.dumps(read_state(var_dir)["services"], indent=2))
        except FileNotFoundError:
            print("No cluster is running.")
        return 0
    if (var_dir / "state.json").exists():
        pid = read_state(var_dir)["supervisor_pid"]
        if pid_alive(pid):
            print(f"A cluster is already running (supervisor pid {pid}).", file=sys.stderr)
            return 1
    cluster = Cluster(var_dir)
    cluster.configure()
    signal.signal(signal.SIGTERM, interrupt)  # `scripts/cluster stop`: same as Ctrl-C
    try:
        # Files and mail first: migrations and the seed store files and send email.
        cluster.start_all({"object-store", "smtp-sink"})
        cluster.prepare_database()
        cluster.start_all()
        wait_for_http(f"http://127.0.0.1:{cluster.lb_port}{HEALTH}", timeout=30)
        print_ready(cluster)
        if args.command == "soak":
            return soak(cluster, soak_args)
        cluster.supervise()
    except KeyboardInterrupt:
        say("stopping")
    finally:
        cluster.stop_all()
        say("stopped")
    return 0


def soak(cluster: Cluster, soak_args: list[str]) -> int:
    """Run bench/soak.py against this cluster while it is supervised; its exit status."""
    import threading

    supervisor = threading.Thread(target=cluster.supervise, daemon=True)
    supervisor.start()
    finished = subprocess.run(
        [PYTHON, "-m", "bench.soak", "--state-dir", str(cluster.var_dir), *soak_args],
        cwd=REPO,
        env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        check=False,
    )
    cluster.stopping = True
    supervisor.join(timeout=5)
    return finished.returncode


def interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def print_ready(cluster: Cluster) -> None:
    url = f"http://127.0.0.1:{cluster.lb_port}"
    apps = ", ".join(f"{s.name} :{s.port}" for s in cluster.services if s.name.startswith("app"))
    print(
        f"""
  Solabooks cluster on {url}/finance/   (HAProxy; app servers {apps})
  Sign in: {url}/finance/login/   owner@demo.test / demo-password
  Emails land in the SMTP sink: {cluster.var_dir / "smtp-sink"}
  Logs: {cluster.logs}/   Environment: {cluster.var_dir / "cluster.env"}
  Soak it from another terminal: .venv/bin/python -m bench.soak
  Stop with Ctrl-C, or scripts/cluster stop.
""",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
