"""Rate limits shared by every app server, counted atomically.

A hit is one atomic increment that returns the new count, and the caller decides on that
count: "check, then act, then count" lets parallel requests all pass the check before any
of them counts (30 parallel sign-ins once got 6 password checks against a limit of 5).

Where the counters live:
- Redis, when configured (`REDIS_URL`): one round trip per hit, a small script that
  increments and sets the expiry. API calls count on every request, so this is on the
  hot path.
- Otherwise, and always for a `durable` limit, the `core.RateCounter` table: an UPDATE of
  the row (its lock serializes concurrent hits) and a read of the new count in the same
  transaction. Durable limits (an account's consecutive failed sign-ins) must outlive a
  cache flush.

Two kinds of window:
- fixed (default): the count restarts every `window_seconds`;
- rolling (`rolling=True`): one counter whose expiry restarts with every hit, so it ends
  `window_seconds` after the last one. Consecutive failures are counted this way and
  cleared by `reset()` on a success.
"""

import datetime
import hashlib
import time
import weakref
from dataclasses import dataclass

from django.core.cache import caches
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from .cache import ReusedClientRedisCache
from .models import RateCounter


@dataclass(frozen=True)
class Limit:
    name: str
    max_hits: int
    window_seconds: int
    rolling: bool = False
    durable: bool = False


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int
    count: int = 0


EXPIRY_MARGIN = 5  # seconds a window's counter outlives the window


def _key(limit: Limit, subject: str, now: int) -> str:
    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
    if limit.rolling:
        return f"rl:{limit.name}:{digest}"
    return f"rl:{limit.name}:{digest}:{now // limit.window_seconds}"


def _retry_after(limit: Limit, now: int) -> int:
    if limit.rolling:
        return limit.window_seconds
    window = now // limit.window_seconds
    return max((window + 1) * limit.window_seconds - now, 1)


def _expiry_seconds(limit: Limit) -> int:
    return limit.window_seconds + (0 if limit.rolling else EXPIRY_MARGIN)


# --- Redis --------------------------------------------------------------------------------

_INCREMENT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 or ARGV[2] == '1' then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""
# Takes one hit back, never below zero and never creating a key.
_DECREMENT = """
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then return redis.call('DECR', KEYS[1]) end
return 0
"""
# The registered scripts, per redis-py client of the cache (one per connection pool).
_scripts: "weakref.WeakKeyDictionary[object, dict]" = weakref.WeakKeyDictionary()


def _redis() -> ReusedClientRedisCache | None:
    # settings.py configures Redis through core.cache's backend, which hands out its client.
    backend = caches["default"]
    return backend if isinstance(backend, ReusedClientRedisCache) else None


def _redis_script(backend: ReusedClientRedisCache, source: str):
    # The script is registered once per client (the registration only computes a digest).
    client = backend.redis_client(write=True)
    registered = _scripts.setdefault(client, {})
    script = registered.get(source)
    if script is None:
        script = registered[source] = client.register_script(source)
    return script


def _redis_key(backend: ReusedClientRedisCache, key: str) -> str:
    return backend.make_and_validate_key(key)


# --- The database table -------------------------------------------------------------------


def _db_increment(key: str, limit: Limit) -> int:
    now = timezone.now()
    expires_at = now + datetime.timedelta(seconds=_expiry_seconds(limit))
    rows = RateCounter.objects.filter(key=key)
    with transaction.atomic():
        # An expired row (a rolling counter that ran out) starts again at 1.
        updated = rows.update(
            count=Case(When(expires_at__gt=now, then=F("count") + 1), default=Value(1)),
            expires_at=expires_at if limit.rolling else F("expires_at"),
        )
        if not updated:
            try:
                with transaction.atomic():
                    RateCounter.objects.create(key=key, count=1, expires_at=expires_at)
            except IntegrityError:  # another request created it first: count on it
                rows.update(count=F("count") + 1)
            else:
                # A new row is made once per subject and window: the moment to sweep
                # counters that have run out.
                RateCounter.objects.filter(expires_at__lt=now).delete()
                return 1
        # The row is locked by our UPDATE until the commit: nobody moved it since.
        return rows.values_list("count", flat=True).get()


def _db_count(key: str) -> int:
    count = (
        RateCounter.objects.filter(key=key, expires_at__gt=timezone.now())
        .values_list("count", flat=True)
        .first()
    )
    return count or 0


# --- The API --------------------------------------------------------------------------------


def hit(limit: Limit, subject: str) -> Verdict:
    """Count one attempt for `subject` (an IP, an account, a link id) against `limit`, and
    say whether it is within the limit. The count is atomic: of N parallel hits on a fresh
    counter, exactly `max_hits` are allowed."""
    now = int(time.time())
    key = _key(limit, subject, now)
    backend = None if limit.durable else _redis()
    if backend is not None:
        count = int(
            _redis_script(backend, _INCREMENT)(
                keys=[_redis_key(backend, key)],
                args=[_expiry_seconds(limit), "1" if limit.rolling else "0"],
            )
        )
    else:
        count = _db_increment(key, limit)
    return Verdict(
        allowed=count <= limit.max_hits, retry_after=_retry_after(limit, now), count=count
    )


def count(limit: Limit, subject: str) -> int:
    """The current count, without counting."""
    now = int(time.time())
    key = _key(limit, subject, now)
    backend = None if limit.durable else _redis()
    if backend is not None:
        return int(backend.get(key, 0) or 0)
    return _db_count(key)


def is_blocked(limit: Limit, subject: str) -> Verdict:
    """Whether the next hit would be over the limit, without counting."""
    now = int(time.time())
    current = count(limit, subject)
    return Verdict(
        allowed=current < limit.max_hits, retry_after=_retry_after(limit, now), count=current
    )


def undo_hit(limit: Limit, subject: str) -> None:
    """Take back one hit of the current window (an attempt that turned out to be fine)."""
    now = int(time.time())
    key = _key(limit, subject, now)
    backend = None if limit.durable else _redis()
    if backend is not None:
        _redis_script(backend, _DECREMENT)(keys=[_redis_key(backend, key)], args=[])
        return
    RateCounter.objects.filter(key=key, count__gt=0).update(count=F("count") - 1)


def reset(limit: Limit, subject: str) -> None:
    now = int(time.time())
    key = _key(limit, subject, now)
    backend = None if limit.durable else _redis()
    if backend is not None:
        backend.delete(key)
        return
    RateCounter.objects.filter(key=key).delete()
