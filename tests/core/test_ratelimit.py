"""Rate-limit counters: an atomic increment that returns the new count, on the database
table and on Redis alike, so N parallel hits on a fresh counter allow exactly max_hits."""

import threading
import time
import uuid

import pytest
import time_machine
from django.core.cache import caches
from django.db import connection, connections
from django.test import override_settings
from django.utils import timezone

from solabooks.core import ratelimit
from solabooks.core.models import RateCounter

pytestmark = pytest.mark.django_db

FIXED = ratelimit.Limit("test-fixed", max_hits=3, window_seconds=60)
ROLLING = ratelimit.Limit("test-rolling", max_hits=3, window_seconds=600, rolling=True)
DURABLE = ratelimit.Limit("test-durable", max_hits=3, window_seconds=600, durable=True)


def redis_cache():
    return override_settings(
        CACHES={
            "default": {
                "BACKEND": "solabooks.core.cache.ReusedClientRedisCache",
                "LOCATION": "redis://127.0.0.1:6379/0",
                "KEY_PREFIX": f"test-ratelimit-{uuid.uuid4().hex}",
            }
        }
    )


def forget_keys() -> None:
    """Delete this test's keys, as a Redis flush would, but only this test's: cache.clear()
    is FLUSHDB, and another xdist worker's test may be counting in the same database."""
    cache = caches["default"]
    client = cache.redis_client()
    keys = list(client.scan_iter(match=f"{cache.key_prefix}:*"))
    if keys:
        client.delete(*keys)


@pytest.fixture(params=["database", "redis"])
def store(request):
    if request.param == "redis":
        with redis_cache():
            yield "redis"  # a new key prefix: nothing of another test's is seen
            forget_keys()
    else:
        yield "database"


def test_hits_count_up_and_refuse_past_the_limit(store):
    verdicts = [ratelimit.hit(FIXED, "198.51.100.1") for _ in range(5)]
    assert [v.count for v in verdicts] == [1, 2, 3, 4, 5]
    assert [v.allowed for v in verdicts] == [True, True, True, False, False]
    assert ratelimit.count(FIXED, "198.51.100.1") == 5
    assert not ratelimit.is_blocked(FIXED, "198.51.100.1").allowed
    # Another subject has its own count.
    assert ratelimit.hit(FIXED, "198.51.100.2").count == 1


def test_a_fixed_window_starts_again(store):
    with time_machine.travel("2026-12-03 10:00:05Z", tick=False) as clock:
        for _ in range(3):
            ratelimit.hit(FIXED, "a")
        verdict = ratelimit.hit(FIXED, "a")
        assert not verdict.allowed and verdict.retry_after == 55
        clock.shift(60)
        assert ratelimit.hit(FIXED, "a").count == 1


def test_a_rolling_counter_ends_a_window_after_the_last_hit(db):
    with time_machine.travel("2026-12-03 10:00:00Z", tick=False) as clock:
        ratelimit.hit(ROLLING, "a")
        clock.shift(500)
        assert ratelimit.hit(ROLLING, "a").count == 2  # still counting, expiry restarts
        clock.shift(500)
        assert ratelimit.count(ROLLING, "a") == 2
        clock.shift(101)
        assert ratelimit.count(ROLLING, "a") == 0
        assert ratelimit.hit(ROLLING, "a").count == 1


def test_a_rolling_counter_on_redis_restarts_its_expiry_with_every_hit():
    with redis_cache():
        backend = caches["default"]
        client = backend.redis_client()
        key = backend.make_and_validate_key(ratelimit._key(ROLLING, "a", 0))
        fixed_key = backend.make_and_validate_key(ratelimit._key(FIXED, "a", int(time.time())))
        ratelimit.hit(ROLLING, "a")
        ratelimit.hit(FIXED, "a")
        client.expire(key, 5)
        client.expire(fixed_key, 5)
        ratelimit.hit(ROLLING, "a")
        ratelimit.hit(FIXED, "a")
        assert client.ttl(key) > 590  # restarted
        assert client.ttl(fixed_key) <= 5  # a fixed window keeps its end
        forget_keys()


def test_undo_and_reset(store):
    for _ in range(3):
        ratelimit.hit(FIXED, "a")
    ratelimit.undo_hit(FIXED, "a")
    assert ratelimit.count(FIXED, "a") == 2
    ratelimit.reset(FIXED, "a")
    assert ratelimit.count(FIXED, "a") == 0
    ratelimit.undo_hit(FIXED, "a")  # never below zero, never a new counter
    assert ratelimit.count(FIXED, "a") == 0
    assert ratelimit.hit(FIXED, "a").count == 1


def test_durable_limits_stay_in_the_database_with_redis_configured():
    with redis_cache():
        ratelimit.hit(DURABLE, "jane@bakery.test")
        forget_keys()  # a flushed Redis
        assert ratelimit.hit(DURABLE, "jane@bakery.test").count == 2
    assert RateCounter.objects.count() == 1


def test_counter_rows_hold_no_subject_in_clear():
    ratelimit.hit(FIXED, "jane@bakery.test")
    (key,) = RateCounter.objects.values_list("key", flat=True)
    assert "jane" not in key


def test_counters_that_ran_out_are_swept():
    with time_machine.travel("2026-12-03 10:00:00Z", tick=False) as clock:
        for subject in "abc":
            ratelimit.hit(FIXED, subject)
        assert RateCounter.objects.count() == 3
        clock.shift(3600)
        ratelimit.hit(FIXED, "d")
        assert list(RateCounter.objects.values_list("count", flat=True)) == [1]
        assert RateCounter.objects.get().expires_at > timezone.now()


PARALLEL = 24


def _hit_in_parallel(limit: ratelimit.Limit) -> list[bool]:
    start = threading.Barrier(PARALLEL)
    verdicts: list = []

    def one() -> None:
        try:
            start.wait()
            verdicts.append(ratelimit.hit(limit, "203.0.113.66").allowed)
        except BaseException as error:  # reported by the main thread
            verdicts.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=one) for _ in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return verdicts


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_parallel_hits_on_postgresql_allow_exactly_the_limit():
    if connection.vendor != "postgresql":
        pytest.skip("Needs PostgreSQL and real concurrent connections.")
    limit = ratelimit.Limit("test-parallel", max_hits=5, window_seconds=600)
    verdicts = _hit_in_parallel(limit)
    assert sorted(verdicts, key=str) == [False] * (PARALLEL - 5) + [True] * 5
    assert ratelimit.count(limit, "203.0.113.66") == PARALLEL


@pytest.mark.django_db(transaction=True)
def test_parallel_hits_on_redis_allow_exactly_the_limit():
    with redis_cache():
        limit = ratelimit.Limit("test-parallel-redis", max_hits=5, window_seconds=600)
        verdicts = _hit_in_parallel(limit)
        assert sorted(verdicts, key=str) == [False] * (PARALLEL - 5) + [True] * 5
        forget_keys()
