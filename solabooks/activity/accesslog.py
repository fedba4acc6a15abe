"""Access records, written in batches off the request path.

Every secure-link view and PDF download, every portal document view and every API call
appends an Activity row (and may touch a bookkeeping column: a link's last_used_at, a
document's first viewed_at). Written in the request, that is one write transaction per
page view: on PostgreSQL a commit the request waits for, on SQLite a write lock that
concurrent app processes queue for (SQLite's busy handler polls with sleeps of a
millisecond and more). So each app process collects its access records and a background
thread writes them every `interval` seconds (or as soon as `max_batch` are waiting), all in
one transaction. Staff see a view in the Activity list a fraction of a second later.

What is at stake is bounded: a process killed outright (SIGKILL, power loss) loses the
records of its last `interval`; a normal stop (gunicorn's graceful restart, SIGTERM)
writes them first (atexit). Nothing a customer does that changes state (accept, decline,
request access, payments) goes through here: those are written in their own transaction
before the answer.

`SOLABOOKS_ACCESS_LOG = "immediate"` (the test suite's setting) writes each record in the
request instead, through the same code.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, close_old_connections, connections, transaction
from django.db.models import Model

from solabooks.tenancy.versions import bump_data_version_on_commit

from .models import Activity

logger = logging.getLogger(__name__)
MAX_HELD = 100_000  # records kept in memory while the database refuses them


@dataclass(frozen=True)
class RowUpdate:
    """A bookkeeping column to set with the record. `only_if_null` keeps the first value
    ever written (a first view); otherwise the latest wins (last used)."""

    model: type[Model]
    pk: Any
    field: str
    value: Any
    only_if_null: bool = False
    # Set when the column shows in the business's data (a document's first view): writing
    # it moves that business's data version (tenancy/versions.py) like any other change.
    organization_id: int | None = None
    # Called in the writing transaction when an only_if_null update did set the column:
    # what the first write means happens once, whatever races (the business is notified of
    # a document's first view).
    on_first_write: Callable[[], None] | None = field(default=None, compare=False)

    @property
    def key(self) -> tuple:
        return (self.model, self.pk, self.field, self.only_if_null)


def _write(activities: list[Activity], updates: dict[tuple, RowUpdate]) -> None:
    changed = {u.organization_id for u in updates.values() if u.organization_id is not None}
    with transaction.atomic():
        # Each keeps its created_at, the time it happened (Activity.created_at's default).
        Activity.objects.bulk_create(activities)
        for update in updates.values():
            rows = update.model.objects.filter(pk=update.pk)
            if update.only_if_null:
                rows = rows.filter(**{f"{update.field}__isnull": True})
            # A QuerySet update: no save(), so no auto_now column moves; and Activity's
            # queryset refuses it (append-only).
            written = rows.update(**{update.field: update.value})
            if written and update.only_if_null and update.on_first_write is not None:
                _run_hook(update.on_first_write)
        for organization_id in changed:
            bump_data_version_on_commit(organization_id=organization_id)


def _run_hook(hook: Callable[[], None]) -> None:
    # In a savepoint: a failing hook must not cost the batch its access records.
    try:
        with transaction.atomic():
            hook()
    except Exception:
        logger.exception("A first-write hook of the access log failed.")


def _merge(updates: dict[tuple, RowUpdate], new: RowUpdate) -> None:
    current = updates.get(new.key)
    if current is None or (
        (new.value < current.value) if new.only_if_null else (new.value > current.value)
    ):
        updates[new.key] = new


class AccessLog:
    def __init__(self, *, interval: float = 0.25, max_batch: int = 500) -> None:
        self.interval = interval
        self.max_batch = max_batch
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._activities: list[Activity] = []
        self._updates: dict[tuple, RowUpdate] = {}
        self._thread: threading.Thread | None = None
        self._threads: list[threading.Thread] = []  # every one started, for stop()
        self._stopping = threading.Event()
        self._pid: int | None = None

    @staticmethod
    def immediate() -> bool:
        return getattr(settings, "SOLABOOKS_ACCESS_LOG", "background") == "immediate"

    def record(self, activity: Activity, updates: tuple[RowUpdate, ...] = ()) -> None:
        if self.immediate():
            merged: dict[tuple, RowUpdate] = {}
            for update in updates:
                _merge(merged, update)
            _write([activity], merged)
            return
        with self._lock:
            self._ensure_thread()
            self._activities.append(activity)
            for update in updates:
                _merge(self._updates, update)
            full = len(self._activities) >= self.max_batch
        if full:
            self._wake.set()

    def flush(self) -> int:
        """Write everything waiting now (in the caller's thread); returns how many rows."""
        with self._lock:
            activities, updates = self._activities, self._updates
            self._activities, self._updates = [], {}
        if not activities and not updates:
            return 0
        try:
            _write(activities, updates)
        except IntegrityError:
            # A document deleted since its view was recorded takes its Activity with it
            # anyway; write the rest one by one so one such row costs no other.
            self._write_each(activities, updates)
        except DatabaseError:
            logger.exception("Access records not written; retrying with the next batch.")
            with self._lock:
                # Kept for the next batch, up to a bound: a database down for long must
                # not exhaust the app server's memory.
                self._activities[:0] = activities[-MAX_HELD:]
                for update in updates.values():
                    _merge(self._updates, update)
            close_old_connections()
            return 0
        return len(activities)

    def _write_each(self, activities: list[Activity], updates: dict[tuple, RowUpdate]) -> None:
        for activity in activities:
            try:
                _write([activity], {})
            except IntegrityError:
                logger.warning("Dropped an access record of a deleted row: %s", activity.verb)
        for key, update in updates.items():
            try:
                _write([], {key: update})
            except IntegrityError:
                logger.warning("Dropped a bookkeeping update of a deleted row.")

    def pending(self) -> int:
        with self._lock:
            return len(self._activities)

    def _ensure_thread(self) -> None:
        # Called with the lock held. A forked child (a gunicorn worker of a preloaded app)
        # has the parent's list but not its thread: it starts its own.
        pid = os.getpid()
        if self._thread is not None and self._pid == pid and self._thread.is_alive():
            return
        if self._pid != pid:
            self._activities, self._updates = [], {}
        self._pid = pid
        self._thread = threading.Thread(target=self._run, name="access-log", daemon=True)
        self._threads.append(self._thread)
        self._thread.start()

    def _run(self) -> None:
        stopping = self._stopping
        while not stopping.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # the thread must outlive any one bad batch
                logger.exception("Access log flush failed.")
        connections.close_all()  # this thread's own connection

    def stop(self) -> None:
        """Write what waits and end the thread (process exit, tests)."""
        with self._lock:
            threads, self._threads, self._thread = self._threads, [], None
        self._stopping.set()
        self._wake.set()
        for thread in threads:
            thread.join(timeout=10)
        self._stopping = threading.Event()
        self.flush()


access_log = AccessLog()
atexit.register(access_log.stop)
