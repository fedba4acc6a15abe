"""Every transaction that changes business data records an Activity row in it.

The rule matters twice: the Activity is the business's audit trail, and recording it is
what moves the business's data version (activity.services.record_activity → tenancy
versions), which every cached page and API answer is keyed by. A change without its
Activity is a change a cache may never see.

`ActivityWatch` is installed on the default connection for every database test
(tests/conftest.py) with Django's public `connection.execute_wrapper`. It groups the write
statements that product code (a frame in solabooks/) runs inside one outermost atomic
block of the test's own, and at the end of the test fails on any group that wrote a
business table without inserting an Activity row. Writes the test itself makes for its
set-up (factories, `.update(state=…)`) run no solabooks frame and are not judged.

BOOKKEEPING below lists, with a reason each, the tables and columns whose writes are not
business data: counters, credentials, delivery state, caches of who-saw-what.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction

PRODUCT_ROOT = str(Path(__file__).resolve().parents[1] / "solabooks")
TESTS_ROOT = str(Path(__file__).resolve().parent)
ACTIVITY_TABLE = "activity_activity"
ALL = frozenset({"*"})

# table -> the columns an UPDATE may set without an Activity (ALL: any write to the table).
BOOKKEEPING: dict[str, frozenset[str]] = {
    # Throttle counters and idempotency replays: request accounting, not business data.
    "core_ratecounter": ALL,
    "api_idempotencykey": ALL,
    # Delivery of an email already recorded as sent: attempts, state, provider ids.
    "mail_outboxmessage": ALL,
    # A business notification waiting out its burst window, then claimed and queued: the
    # events it collects were recorded with their own Activity (decision, view, set-up).
    "notifications_pendingnotification": ALL,
    # Emailed one-time tokens are credentials; issuing and using them is recorded where it
    # means something (set-up done, password changed), not per token row.
    "portal_portaltoken": ALL,
    "tenancy_stafftoken": ALL,
    # Sign-in bookkeeping on accounts: last sign-in, failure counts, pauses, the password
    # hash rehashed on sign-in (an upgrade of the hasher), session generation.
    "tenancy_user": frozenset({"last_login", "password"}),
    "portal_portaluser": frozenset({"last_login_at", "password", "password_changed_at"}),
    # The business's data version is the cache key the Activity moves (tenancy/versions.py),
    # written after the commit that recorded the Activity.
    "tenancy_organization": frozenset({"data_version"}),
    # The first time the customer saw a document: written by the access log with the
    # "viewed" Activity it belongs to.
    "documents_document": frozenset({"viewed_at"}),
    # Who saw a link, and when: written with the "viewed" Activity by the access log.
    "sharing_securelink": frozenset(
        {"first_viewed_at", "last_viewed_at", "view_count", "last_used_at"}
    ),
    # An API key's last use (written with the access record).
    "tenancy_apikey": frozenset({"last_used_at"}),
    # The number counter moves inside create_document, which records its Activity; on its
    # own (a gap-free sequence's row made on first use) it is not a change anyone sees.
    "documents_numbersequence": ALL,
}

WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
UPDATE_OR_DELETE = re.compile(r"^\s*(?:UPDATE|DELETE)\b", re.IGNORECASE)
ROLLBACK_TO = re.compile(r'^\s*ROLLBACK TO SAVEPOINT\s+"?(\w+)"?', re.IGNORECASE)
SET_COLUMNS = re.compile(r'"(\w+)"\s*=', re.IGNORECASE)


@dataclass
class Group:
    """The writes of one outermost atomic block of product code."""

    entry: str
    savepoint: object = None
    writes: dict[str, set[str]] = field(default_factory=dict)
    activity: bool = False
    committed: bool = True

    def mark_committed(self) -> None:
        self.committed = True

    def business_writes(self) -> dict[str, set[str]]:
        found = {}
        for table, columns in self.writes.items():
            allowed = BOOKKEEPING.get(table)
            if allowed is ALL:
                continue
            rest = columns - allowed if allowed else columns
            if rest:
                found[table] = rest
        return found


# Building blocks that always run inside a caller's recorded transaction (send, share,
# request approval, renew): a test that calls one directly is setting up, and a product
# caller that forgot its Activity is still caught, as the outermost frame is then its own.
BUILDING_BLOCKS = frozenset(
    {
        "sharing/services.py:mint_link",
        "sharing/services.py:issue_link",
        "sharing/services.py:invalidate_document_links",
        "core/prepared.py:insert_new",
        "core/prepared.py:update_row",
        "core/prepared.py:insert_rows",
    }
)

# Product frames that only pass a call through (middleware, model methods a test calls
# for its set-up): they neither make a write product code nor name it well.
PASS_THROUGH = ("core/middleware.py", "core/csp.py")


def _product_entry() -> str | None:
    """The product functions on the stack, outermost first ("views.py:send > services.py:
    send_document"), or None when no product code is running or only a model method a
    test called for its set-up (Organization.save from a factory)."""
    frame = inspect.currentframe()
    names = []
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith(TESTS_ROOT) and filename != __file__ and not names:
            return None  # the test's own code made this write (a stand-in, a set-up)
        if filename.startswith(PRODUCT_ROOT):
            relative = filename[len(PRODUCT_ROOT) + 1 :]
            if not relative.startswith(PASS_THROUGH):
                names.append(f"{relative}:{frame.f_code.co_name}")
        frame = frame.f_back
    outermost = names[-1].split(":")[0] if names else ""
    # A data migration upgrades stored rows to a new schema: no one did anything to record.
    if not names or outermost.endswith("models.py") or "/migrations/" in outermost:
        return None
    if names[-1] in BUILDING_BLOCKS:
        return None
    names.reverse()
    return " > ".join(dict.fromkeys(names[:5]))


def _columns_set(sql: str) -> set[str]:
    upper = sql.upper()
    start = upper.find(" SET ")
    end = upper.find(" WHERE ", start)
    assignments = sql[start + 5 : end if end != -1 else len(sql)]
    return set(SET_COLUMNS.findall(assignments))


class ActivityWatch:
    def __init__(self, base_depth: int):
        self.base_depth = base_depth
        self.groups: dict[tuple, Group] = {}
        self.statement_groups = 0

    def __call__(self, execute, sql, params, many, context):
        rolled_back = ROLLBACK_TO.match(sql)
        if rolled_back:
            # The block's writes were undone: nothing changed, nothing to record.
            undone = rolled_back.group(1)
            self.groups = {k: g for k, g in self.groups.items() if g.savepoint != undone}
        result = execute(sql, params, many, context)
        # An UPDATE or DELETE that matched no row changed nothing. (Not INSERT: with
        # RETURNING, SQLite counts its rows only once they are fetched.)
        if context["cursor"].rowcount != 0 or not UPDATE_OR_DELETE.match(sql):
            self.observe(sql)
        return result

    def observe(self, sql: str) -> None:
        match = WRITE.match(sql)
        if not match:
            return
        table = match.group(1).lower()
        if table.split("_", 1)[0] not in PRODUCT_APPS:
            return
        entry = _product_entry()
        if entry is None:
            return
        blocks = connection.atomic_blocks
        if len(blocks) > self.base_depth:
            # The block the product code opened, told apart from an earlier run of the same
            # decorated function by its savepoint (savepoint_ids[i - 1] belongs to
            # atomic_blocks[i]; the outermost block of all has none).
            outermost = blocks[self.base_depth]
            savepoint = connection.savepoint_ids[self.base_depth - 1] if self.base_depth else None
            key = (id(outermost), savepoint)
        else:
            # A write outside any transaction of its own: a group by itself.
            self.statement_groups += 1
            key = ("statement", self.statement_groups)
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = Group(entry=entry, savepoint=key[1])
            if not self.base_depth and key[0] != "statement":
                # Outside a test transaction the block commits or rolls back for real; only
                # what committed is judged.
                group.committed = False
                transaction.on_commit(group.mark_committed)
        if table == ACTIVITY_TABLE:
            group.activity = True
            return
        columns = _columns_set(sql) if sql.lstrip().upper().startswith("UPDATE") else {"*"}
        group.writes.setdefault(table, set()).update(columns)

    def violations(self) -> list[str]:
        found = []
        for group in self.groups.values():
            business = group.business_writes()
            if business and group.committed and not group.activity:
                tables = ", ".join(
                    f"{table}({', '.join(sorted(columns))})" for table, columns in business.items()
                )
                found.append(f"{group.entry} wrote {tables} without an Activity row")
        return found


PRODUCT_APPS = frozenset(
    {
        "core",
        "tenancy",
        "customers",
        "documents",
        "activity",
        "projects",
        "sharing",
        "portal",
        "mail",
        "api",
    }
)


@contextmanager
def watching() -> Iterator[ActivityWatch]:
    watch = ActivityWatch(base_depth=len(connection.atomic_blocks))
    with connection.execute_wrapper(watch):
        yield watch
