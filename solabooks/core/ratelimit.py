"""Fixed-window rate limits kept in the cache, so every app server shares the count."""

import hashlib
import time
from dataclasses import dataclass

from django.core.cache import cache


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


def hit(limit: Limit, subject: str) -> Verdict:
    """Count one attempt for `subject` (an IP, an email, a link id) against `limit`."""
    now = int(time.time())
    window = now // limit.window_seconds
    key = _key(limit, subject, window)
    cache.add(key, 0, limit.window_seconds + 5)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, limit.window_seconds + 5)
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
