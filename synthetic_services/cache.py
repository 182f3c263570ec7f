"""The backend's sessions and cache: Redis (REDIS_URL) or, without one, a dict in the process. Every operation
either succeeds or raises CacheUnavailable, so the caller counts it in redis_operations_total."""

from __future__ import annotations

import threading
import time

SOCKET_TIMEOUT_S = 0.5


class CacheUnavailable(Exception):
    pass


class DictCache:
    def __init__(self) -> None:
        self._values: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            value, expires = self._values.get(key, ("", 0.0))
        return value if expires > time.monotonic() else None

    def set(self, key: str, value: str, ttl_s: float) -> None:
        with self._lock:
            self._values[key] = (value, time.monotonic() + ttl_s)


class RedisCache:
    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis
        self._client = redis.Redis.from_url(url, socket_timeout=SOCKET_TIMEOUT_S,
                                            socket_connect_timeout=SOCKET_TIMEOUT_S, decode_responses=True)

    def get(self, key: str) -> str | None:
        try:
            value = self._client.get(key)
        except self._redis.RedisError as exc:
            raise CacheUnavailable(f"redis GET {key}: {exc}") from None
        return None if value is None else str(value)

    def set(self, key: str, value: str, ttl_s: float) -> None:
        try:
            self._client.set(key, value, px=max(1, int(ttl_s * 1000)))
        except self._redis.RedisError as exc:
            raise CacheUnavailable(f"redis SET {key}: {exc}") from None


def cache(url: str | None) -> DictCache | RedisCache:
    return RedisCache(url) if url else DictCache()
