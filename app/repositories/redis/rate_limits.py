"""Per-user and per-IP moving-window limits (the `limits` library).

On Redis, a hit on every window of a limit string is one script (`_HIT_ALL`): the
steps of `limits`' own moving-window acquire, over all the windows at once, on the
keys `limits` keeps, so its `test`, `get_window_stats` and `clear` see the same
counts. The library's calls would take one round trip per window plus one test per
window after the first (3 for "10/minute;200/day", on every question).
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

from limits import parse_many
from limits.storage import MemoryStorage, RedisStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

if TYPE_CHECKING:
    from app.repositories.redis.client import RedisTimeouts

# KEYS: one list per window; ARGV: now, then limit and expiry per window. Refused:
# the seconds until the window that refuses frees a slot, and nothing counted.
# Allowed: nil, and the hit counted in every window. (limits' acquire_moving_window,
# for a cost of 1, over several windows.)
_HIT_ALL = """
local now = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local limit, expiry = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local entry = redis.call('lindex', key, limit - 1)
  if entry and tonumber(entry) >= now - expiry then
    return tostring(tonumber(entry) + expiry - now)
  end
end
for i, key in ipairs(KEYS) do
  local limit, expiry = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  redis.call('lpush', key, now)
  redis.call('ltrim', key, 0, limit - 1)
  redis.call('expire', key, expiry)
end
return false
"""


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
        self._redis = storage if isinstance(storage, RedisStorage) else None
        self._hit_all = (
            self._redis.get_connection().register_script(_HIT_ALL) if self._redis else None
        )

    def peek(self, key: str) -> int | None:
        """Would a hit be allowed? None if so, else whole seconds to wait; counts nothing."""
        for item in self.limits:
            if not self.strategy.test(item, self.namespace, key):
                return self._retry_after(item, key)
        return None

    def hit(self, key: str) -> int | None:
        """Count one hit; return None if allowed, else whole seconds to wait (>= 1).

        A refused hit counts against no limit. On Redis: one round trip, whatever the
        number of windows. In process: a moving-window hit is itself an atomic
        test-and-add, so only the limits after the first need a test beforehand.
        """
        if not self.limits:
            return None
        if self._hit_all is not None:
            return self._hit_redis(key)
        first, *rest = self.limits
        for item in rest:
            if not self.strategy.test(item, self.namespace, key):
                return self._retry_after(item, key)
        for item in (first, *rest):
            if not self.strategy.hit(item, self.namespace, key):
                return self._retry_after(item, key)
        return None

    def _hit_redis(self, key: str) -> int | None:
        assert self._redis is not None and self._hit_all is not None
        keys = [self._redis.prefixed_key(item.key_for(self.namespace, key)) for item in self.limits]
        args: list[float | int] = [time.time()]
        for item in self.limits:
            args += [item.amount, item.get_expiry()]
        wait = self._hit_all(keys=keys, args=args)
        return None if wait is None else max(1, math.ceil(float(wait)))

    def _retry_after(self, item: object, key: str) -> int:
        reset_at, _remaining = self.strategy.get_window_stats(item, self.namespace, key)
        return max(1, math.ceil(reset_at - time.time()))

    def clear(self, key: str) -> None:
        for item in self.limits:
            self.strategy.clear(item, self.namespace, key)
