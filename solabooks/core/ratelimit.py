"""Fixed-window rate limits kept in the cache, so every app server shares the count.

On Redis a hit is one round trip: a small script increments the window's counter and sets
its expiry on the first hit (through Django's cache API it took three: SET NX, EXISTS,
INCR). API calls count on every request, so this is on the hot path.
"""

import hashlib
import time
import weakref
from dataclasses import dataclass

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache


@dataclass(frozen=True)
class Limit:
    name: str
    max_hits: int
    window_seconds: int


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int


def _key(limit: Limit, subject: str, window: int) -> str:
    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
    return f"rl:{limit.name}:{digest}:{window}"


EXPIRY_MARGIN = 5  # seconds a window's counter outlives the window
_INCREMENT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""
# The registered script, per Django Redis cache client (one per thread and process).
_scripts: "weakref.WeakKeyDictionary[object, object]" = weakref.WeakKeyDictionary()


def _redis_increment(backend: RedisCache, key: str, expiry: int) -> int:
    client = backend._cache
    script = _scripts.get(client)
    if script is None:
        script = _scripts[client] = client.get_client(write=True).register_script(_INCREMENT)
    return int(script(keys=[backend.make_and_validate_key(key)], args=[expiry]))


def hit(limit: Limit, subject: str) -> Verdict:
    """Count one attempt for `subject` (an IP, an email, a link id) against `limit`."""
    now = int(time.time())
    window = now // limit.window_seconds
    key = _key(limit, subject, window)
    expiry = limit.window_seconds + EXPIRY_MARGIN
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        count = _redis_increment(backend, key, expiry)
    else:
        cache.add(key, 0, expiry)
        try:
            count = cache.incr(key)
        except ValueError:
            cache.set(key, 1, expiry)
            count = 1
    retry_after = (window + 1) * limit.window_seconds - now
    return Verdict(allowed=count <= limit.max_hits, retry_after=max(retry_after, 1))


def is_blocked(limit: Limit, subject: str) -> Verdict:
    """Check without counting (e.g. to refuse a login before checking its password)."""
    now = int(time.time())
    window = now // limit.window_seconds
    count = cache.get(_key(limit, subject, window), 0)
    retry_after = (window + 1) * limit.window_seconds - now
    return Verdict(allowed=count < limit.max_hits, retry_after=max(retry_after, 1))


def reset(limit: Limit, subject: str) -> None:
    window = int(time.time()) // limit.window_seconds
    cache.delete(_key(limit, subject, window))
