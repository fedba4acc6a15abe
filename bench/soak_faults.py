"""The soak's faults, injected into a running `scripts/cluster`, each logged with its window.

A window runs from the moment the fault is injected until the cluster is whole again plus
a short grace (HAProxy's health checks need two passes to take a server back). Answers of
5xx, or no answer at all, are accepted only inside a window.

After every window the sentinels (a staff session, a portal session and two secure links,
all opened before the first fault) must still work.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.soak_client import Browser, Recorder
from bench.soak_journeys import World, sign_in_portal, sign_in_staff

GRACE = 8.0  # seconds after a fault's repair during which errors still count as its own


@dataclass
class Window:
    name: str
    started: float
    ended: float = 0.0
    notes: list[str] = field(default_factory=list)
    injected: bool = False  # the fault really happened (a worker was caught mid-delivery...)
    sentinels_after: dict = field(default_factory=dict)

    def covers(self, start: float, end: float) -> bool:
        """Whether a request that ran from `start` to `end` overlaps the window."""
        return self.started <= end and start <= (self.ended or time.time()) + GRACE


class Faults:
    def __init__(self, state_dir: Path, world: World, recorder: Recorder) -> None:
        self.state_dir = state_dir
        self.world = world
        self.recorder = recorder
        self.windows: list[Window] = []
        self.sentinels: dict[str, Browser | str] = {}
        self.held_message_ids: list[str] = []

    # --- the cluster's state ----------------------------------------------------------

    def state(self) -> dict:
        return json.loads((self.state_dir / "state.json").read_text())

    def service(self, name: str) -> dict:
        return self.state()["services"][name]

    def wait_restarted(self, name: str, old_pid: int, timeout: float) -> float:
        deadline = time.time() + timeout
        while time.time() < deadline:
            pid = self.service(name)["pid"]
            if pid and pid != old_pid:
                return time.time()
            time.sleep(0.2)
        raise RuntimeError(f"{name} was not restarted within {timeout:.0f} s")

    def log(self, window: Window, text: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {window.name}: {text}"
        window.notes.append(line)
        print(f"[soak] {line}", flush=True)

    # --- sentinels ----------------------------------------------------------------------

    def open_sentinels(self) -> None:
        staff = Browser(self.world.url, self.recorder, "sentinel")
        ok, _ = sign_in_staff(staff)
        portal = Browser(self.world.url, self.recorder, "sentinel")
        if not ok or not sign_in_portal(portal):
            raise SystemExit("The soak could not open its sentinel sessions.")
        self.sentinels = {"staff session": staff, "portal session": portal}
        for n, link in enumerate(self.world.invoice_links[:2], 1):
            self.sentinels[f"secure link {n}"] = link
        result = self.check_sentinels()
        if not all(result.values()):
            raise SystemExit(f"The sentinels did not work before any fault: {result}")

    def check_sentinels(self) -> dict[str, bool]:
        result = {}
        for name, sentinel in self.sentinels.items():
            if isinstance(sentinel, Browser):
                path = "/finance/" if name.startswith("staff") else "/finance/customer-portal/"
                # Up to three tries: a fault's last in-flight request may still fail.
                for _ in range(3):
                    page = sentinel.get(path, step=f"sentinel {name}")
                    if page.status in (200, 302):
                        break
                    time.sleep(1)
                result[name] = page.status == 200
            else:
                browser = Browser(self.world.url, self.recorder, "sentinel")
                result[name] = browser.get(sentinel, step=f"sentinel {name}").status == 200
        return result

    def close_window(self, window: Window) -> None:
        window.ended = time.time()
        time.sleep(GRACE)
        window.sentinels_after = self.check_sentinels()
        self.log(window, f"over; sentinels {window.sentinels_after}")

    # --- the faults -------------------------------------------------------------------

    def kill_app_server(self) -> None:
        window = Window("kill -9 app server app1, restarted 20 s later", time.time())
        self.windows.append(window)
        old = self.service("app1")["pid"]
        os.killpg(old, signal.SIGKILL)  # the master and its workers, as if the machine died
        window.injected = True
        self.log(window, f"killed app1 (process group {old})")
        restarted = self.wait_restarted("app1", old, timeout=60)
        self.log(window, f"app1 restarted after {restarted - window.started:.1f} s")
        time.sleep(3)  # HAProxy takes it back after two passing health checks (1 s apart)
        self.close_window(window)

    def kill_worker_mid_delivery(self) -> None:
        window = Window("kill -9 a task worker in the middle of a delivery", time.time())
        self.windows.append(window)
        sink = Path(self.state()["smtp_sink_dir"])
        workers = {self.service(n)["pid"]: n for n in ("worker1", "worker2")}
        for attempt in range(1, 7):
            holding = sink / "holding.json"
            (sink / "hold").write_text("30")
            deadline = time.time() + 40
            while time.time() < deadline and not holding.exists():
                time.sleep(0.1)
            (sink / "hold").unlink(missing_ok=True)
            if not holding.exists():
                self.log(window, f"try {attempt}: no delivery started within 40 s")
                continue
            held = json.loads(holding.read_text())
            pid = pid_of_client(held["peer"][1], self.service("smtp-sink")["port"])
            if pid not in workers:
                self.log(
                    window,
                    f"try {attempt}: the delivery in progress was not a "
                    f"db_worker's (pid {pid}); letting it finish",
                )
                time.sleep(31)
                continue
            os.kill(pid, signal.SIGKILL)
            window.injected = True
            self.held_message_ids.append(held["message_id"])
            self.log(
                window,
                f"killed {workers[pid]} (pid {pid}) while the sink held "
                f"message {held['message_id']}",
            )
            self.wait_restarted(workers[pid], pid, timeout=60)
            self.log(window, f"{workers[pid]} restarted")
            break
        self.close_window(window)

    def stop_smtp_sink(self, seconds: float = 60) -> None:
        window = Window(f"SMTP sink stopped for {seconds:.0f} s", time.time())
        self.windows.append(window)
        control = Path(self.state()["control"])
        (control / "smtp-sink.down").write_text(str(time.time() + seconds))
        old = self.service("smtp-sink")["pid"]
        os.kill(old, signal.SIGTERM)
        window.injected = True
        self.log(window, "sink stopped")
        self.wait_restarted("smtp-sink", old, timeout=seconds + 30)
        (control / "smtp-sink.down").unlink(missing_ok=True)
        self.log(window, "sink started again")
        self.close_window(window)

    def restart_postgresql(self) -> None:
        window = Window("PostgreSQL restarted", time.time())
        self.windows.append(window)
        command = os.environ.get("SOAK_PG_RESTART") or default_pg_restart()
        finished = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=120)
        window.injected = finished.returncode == 0
        self.log(window, f"`{command}` -> {finished.returncode} {finished.stderr.strip()[:200]}")
        self.close_window(window)

    def flush_redis(self) -> None:
        import redis

        window = Window("Redis flushed (rate-limit counters, cached sessions)", time.time())
        self.windows.append(window)
        url = self.state()["env"]["REDIS_URL"]
        window.injected = bool(redis.Redis.from_url(url).flushdb())
        self.log(window, f"FLUSHDB on {url}")
        self.close_window(window)

    def schedule(self):
        return [
            self.kill_app_server,
            self.kill_worker_mid_delivery,
            self.stop_smtp_sink,
            self.restart_postgresql,
            self.flush_redis,
        ]

    def summary(self) -> list[dict]:
        return [asdict(window) for window in self.windows]


def pid_of_client(local_port: int, server_port: int) -> int | None:
    """The process whose TCP connection to `server_port` uses `local_port` (from `ss`)."""
    output = subprocess.run(
        ["ss", "-Htnp", "state", "established", f"( dport = :{server_port} )"],
        capture_output=True,
        text=True,
        timeout=10,
    ).stdout
    for line in output.splitlines():
        if f":{local_port} " in line and "pid=" in line:
            return int(line.split("pid=", 1)[1].split(",", 1)[0])
    return None


def default_pg_restart() -> str:
    """`pg_ctlcluster <version> main restart` for the machine's one cluster (Debian)."""
    versions = sorted(Path("/etc/postgresql").iterdir()) if Path("/etc/postgresql").exists() else []
    if not versions:
        raise SystemExit("Set SOAK_PG_RESTART to the command that restarts PostgreSQL.")
    return f"pg_ctlcluster --skip-systemctl-redirect {versions[-1].name} main restart"
