"""The Redis cache backend that keeps its client (solabooks/core/cache.py)."""

import pytest
from django.core.cache import caches

from solabooks.core import ratelimit

REDIS_URL = "redis://127.0.0.1:6379/12"


@pytest.fixture
def redis_cache(settings):
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    settings.CACHES = {
        "default": {
            "BACKEND": "solabooks.core.cache.ReusedClientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "test-core-cache",
        }
    }
    cache = caches["default"]
    # Only this test's keys, not cache.clear() (FLUSHDB): test_two_app_servers.py's servers
    # may be using the same Redis database at the same time.
    _delete_prefixed(redis, "test-core-cache")
    yield cache
    _delete_prefixed(redis, "test-core-cache")


def _delete_prefixed(redis, prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def test_operations_share_one_client(redis_cache):
    client = redis_cache._cache.get_client(write=True)
    redis_cache.set("a", {"n": 1}, 30)
    assert redis_cache.get("a") == {"n": 1}
    assert redis_cache.add("counter", 0, 30)
    assert redis_cache.incr("counter") == 1
    assert redis_cache._cache.get_client(write=True) is client
    assert redis_cache._cache.get_client() is client  # one server: reads use the same pool


def test_rate_limits_count_through_it(redis_cache):
    limit = ratelimit.Limit("test-cache", max_hits=2, window_seconds=60)
    verdicts = [ratelimit.hit(limit, "client-1").allowed for _ in range(3)]
    assert verdicts == [True, True, False]
    assert ratelimit.hit(limit, "client-2").allowed
