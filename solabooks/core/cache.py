"""Django's Redis cache, keeping its client.

django.core.cache.backends.redis builds a new `redis.Redis` object around the connection
pool on every cache operation; a signed-in request makes several (its session, rate
limits), and building them cost more than the round trips. A Redis client is safe to share
between threads, so one per pool is kept instead.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class ReusedRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ReusedClientRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = ReusedRedisCacheClient

    def redis_client(self, *, write: bool = True):
        """The redis-py client this cache sends its own commands through (for a Lua
        script, core.ratelimit): the same connection pool, the same server."""
        return self._cache.get_client(write=write)
