"""Real processes for outbox tests: the SMTP sink (bench/smtp_sink.py), `manage.py`
commands (db_worker), and a database they share with the test.

Every process is started with its output in a file (no pipe to fill up) and stopped in a
`finally`; every wait polls against a deadline, generous for a loaded CI machine.
"""

import copy
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connections

from bench.smtp_sink import read_dropped, read_received

REPO = Path(__file__).resolve().parents[2]


def wait_for(condition: Callable[[], object], *, timeout: float, what: str, step: float = 0.05):
    """Poll until `condition()` is truthy; return its value, or fail saying what was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout} s waiting for {what}.")
        time.sleep(step)


def stop(process: subprocess.Popen, *, grace: float = 5) -> None:
    """End a process this test started: SIGTERM, then SIGKILL if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(grace)


class Sink:
    """A running `python -m bench.smtp_sink` and its directory."""

    def __init__(self, directory: Path, process: subprocess.Popen, port: int):
        self.directory, self.process, self.port = directory, process, port

    def hold(self, seconds: float) -> None:
        (self.directory / "hold").write_text(str(seconds))

    def release(self) -> None:
        (self.directory / "hold").unlink(missing_ok=True)

    def holding(self) -> dict | None:
        try:
            return json.loads((self.directory / "holding.json").read_text())
        except (FileNotFoundError, ValueError):
            return None

    def received(self) -> list[dict]:
        return read_received(self.directory)

    def dropped(self) -> list[dict]:
        return read_dropped(self.directory)

    def copies_of(self, message_id: str) -> list[dict]:
        return [line for line in self.received() if line["message_id"] == message_id]

    def email_url(self, *, timeout: float) -> str:
        return f"smtp://127.0.0.1:{self.port}?timeout={timeout:g}"


@contextmanager
def running_sink(directory: Path) -> Iterator[Sink]:
    directory.mkdir(parents=True, exist_ok=True)
    log = directory / "sink.log"
    with log.open("w") as output:
        process = subprocess.Popen(  # noqa: S603 (our own module)
            [sys.executable, "-m", "bench.smtp_sink", "--port", "0", "--dir", str(directory)],
            cwd=REPO,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:

        def ready_port() -> int | None:
            assert process.poll() is None, f"The sink exited: {log.read_text()}"
            for line in log.read_text().splitlines():
                if line.startswith("smtp sink ready on "):
                    return int(line.rsplit(":", 1)[1])
            return None

        yield Sink(directory, process, wait_for(ready_port, timeout=20, what="the SMTP sink"))
    finally:
        stop(process)


def manage_py(args: list[str], *, env: dict, log: Path) -> subprocess.Popen:
    """Start `python manage.py ARGS` with `env` added to this process's environment."""
    with log.open("w") as output:
        return subprocess.Popen(  # noqa: S603 (our own manage.py)
            [sys.executable, str(REPO / "manage.py"), *args],
            cwd=REPO,
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def worker_environment(*, database_url: str, email_url: str, lease: float, var_dir: Path) -> dict:
    """What a production worker is configured with, pointed at the test's database and sink."""
    return {
        "SOLABOOKS_TESTING": "1",
        "SECRET_KEY": settings.SECRET_KEY,  # the outbox decrypts its links with a key from it
        "DATABASE_URL": database_url,
        "CONN_MAX_AGE": "0",
        "TASK_BACKEND": "database",
        "EMAIL_URL": email_url,
        "OUTBOX_LEASE_SECONDS": f"{lease:g}",
        "SOLABOOKS_VAR_DIR": str(var_dir),
        "LOG_LEVEL": "WARNING",
        "DEBUG": "0",
    }


@contextmanager
def database_for_other_processes(tmp_path: Path) -> Iterator[str]:
    """A DATABASE_URL naming the test's database, for processes the test starts.

    Needs the `transactional_db` fixture: other processes see only committed rows.
    PostgreSQL: the test database itself. SQLite: pytest-django's test database is in this
    process's memory, so it is copied (schema and rows) into a file, and the default
    connection is pointed at that file until the end; the in-memory one is put back, open,
    for the next tests.
    """
    in_memory = connections["default"]
    if in_memory.vendor != "sqlite":
        db = in_memory.settings_dict
        credentials = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            credentials += ":" + quote(db["PASSWORD"], safe="")
        host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        yield f"postgres://{credentials}@{host}/{quote(db['NAME'], safe='')}"
        return
    path = tmp_path / "shared.sqlite3"
    in_memory.ensure_connection()
    target = sqlite3.connect(path)
    try:
        in_memory.connection.backup(target)
    finally:
        target.close()
    file_settings = copy.deepcopy(in_memory.settings_dict)
    file_settings["NAME"] = str(path)
    on_file = type(in_memory)(file_settings, alias="default")
    connections["default"] = on_file
    try:
        yield f"sqlite:///{path}"
    finally:
        on_file.close()
        connections["default"] = in_memory
