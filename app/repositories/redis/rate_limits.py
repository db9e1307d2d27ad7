"""Per-user and per-IP moving-window limits (the `limits` library)."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

from limits import parse_many
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

if TYPE_CHECKING:
    from app.repositories.redis.client import RedisTimeouts


def make_storage(redis_url: str, timeouts: RedisTimeouts | None = None) -> Storage:
    """Redis storage for real deployments (bounded waits); in-process for `memory://`."""
    if redis_url.startswith("memory://"):
        return MemoryStorage()
    if redis_url.startswith(("redis://", "rediss://")):
        from app.repositories.redis.client import blocking_pool

        pool = blocking_pool(redis_url, timeouts)
        return storage_from_string(redis_url, connection_pool=pool)
    return storage_from_string(redis_url)


class RateLimiter:
    """Checks every limit of a `limits` string (e.g. "10/minute;200/day") together.

    An empty string is no limit at all (every hit allowed, nothing stored)."""

    def __init__(self, storage: Storage, spec: str, namespace: str) -> None:
        self.limits = parse_many(spec) if spec.strip() else []
        self.strategy = MovingWindowRateLimiter(storage)
        self.namespace = namespace

    def peek(self, key: str) -> int | None:
        """Would a hit be allowed? None if so, else whole seconds to wait; counts nothing."""
        for item in self.limits:
            if not self.strategy.test(item, self.namespace, key):
                return self._retry_after(item, key)
        return None

    def hit(self, key: str) -> int | None:
        """Count one hit; return None if allowed, else whole seconds to wait (>= 1).

        A refused hit counts against no limit. A moving-window hit is itself an atomic
        test-and-add, so only the limits after the first need a test beforehand: one
        Redis round trip per limit (plus one per extra limit), not two per limit.
        """
        if not self.limits:
            return None
        first, *rest = self.limits
        for item in rest:
            if not self.strategy.test(item, self.namespace, key):
                return self._retry_after(item, key)
        for item in (first, *rest):
            if not self.strategy.hit(item, self.namespace, key):
                return self._retry_after(item, key)
        return None

    def _retry_after(self, item: object, key: str) -> int:
        reset_at, _remaining = self.strategy.get_window_stats(item, self.namespace, key)
        return max(1, math.ceil(reset_at - time.time()))

    def clear(self, key: str) -> None:
        for item in self.limits:
            self.strategy.clear(item, self.namespace, key)
