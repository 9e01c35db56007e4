"""Django's Redis cache, failing open: with Redis down a read is a miss and a write is
dropped, so the API's rate limits (DRF's throttles count in the cache) let requests through
instead of answering 500, and cached pages (a booking link's options) are computed afresh.
Logged by ``config.outage`` once a minute, not per request."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from config.outage import CACHE

T = TypeVar("T")
DOWN = (RedisConnectionError, RedisTimeoutError, OSError)
CONSEQUENCE = "API rate limits are not enforced and nothing is cached until it returns"


class FailOpenRedisCache(RedisCache):
    def _try(self, call: Callable[[], T], fallback: T) -> T:
        if not CACHE.available():
            return fallback
        try:
            result = call()
        except DOWN as exc:
            CACHE.failed(exc, CONSEQUENCE)
            return fallback
        CACHE.succeeded()
        return result

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        return self._try(partial(super().add, key, value, timeout, version), False)

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return self._try(partial(super().get, key, default, version), default)

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        self._try(partial(super().set, key, value, timeout, version), None)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        return self._try(partial(super().touch, key, timeout, version), False)

    def delete(self, key: Any, version: Any = None) -> bool:
        return self._try(partial(super().delete, key, version), False)

    def get_many(self, keys: Any, version: Any = None) -> dict[Any, Any]:
        return self._try(partial(super().get_many, keys, version), {})

    def has_key(self, key: Any, version: Any = None) -> bool:
        return self._try(partial(super().has_key, key, version), False)

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        return self._try(partial(super().incr, key, delta, version), delta)

    def set_many(self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> list[Any]:
        return self._try(partial(super().set_many, data, timeout, version), [])

    def delete_many(self, keys: Any, version: Any = None) -> None:
        self._try(partial(super().delete_many, keys, version), None)
