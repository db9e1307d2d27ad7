"""Redis connections: a real server for `redis://`, an in-process fake for `memory://`.

Every real connection has bounded waits, so a Redis that is down or hung fails a
call within seconds instead of holding the request: connect and socket timeouts,
few retries with a short backoff, and a bounded wait for a free pooled connection.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import fakeredis
import redis
from redis.backoff import ExponentialBackoff
from redis.driver_info import DriverInfo
from redis.retry import Retry

from app.config import Settings, default_settings

_memory_servers: dict[str, fakeredis.FakeServer] = {}
_lock = threading.Lock()
# redis-py 8 caps a pool at 100 connections and raises MaxConnectionsError past it,
# which failed asks and streams at 300 concurrent streams. Every stream, handler and
# limiter check may hold one briefly: allow many and wait (bounded) instead of failing.
MAX_CONNECTIONS = 2000
RETRY_BACKOFF_BASE_S = 0.05
RETRY_BACKOFF_CAP_S = 0.5
HEALTH_CHECK_INTERVAL_S = 30  # a connection idle this long is PINGed before reuse
# Without it, redis-py reads its own version from the package metadata (an email-format
# parse, about 1 ms) for every new connection: a third of an ask's CPU in a burst.
DRIVER_INFO = DriverInfo(lib_version=redis.__version__)


@dataclass(frozen=True)
class RedisTimeouts:
    """How long one Redis call may wait (settings `REDIS_*`)."""

    connect_s: float
    socket_s: float
    retries: int
    pool_wait_s: float

    @classmethod
    def from_settings(cls, settings: Settings) -> RedisTimeouts:
        return cls(
            connect_s=settings.REDIS_CONNECT_TIMEOUT_S,
            socket_s=settings.REDIS_SOCKET_TIMEOUT_S,
            retries=settings.REDIS_RETRIES,
            pool_wait_s=settings.REDIS_POOL_TIMEOUT_S,
        )

    def connection_options(self) -> dict[str, object]:
        return {
            "socket_connect_timeout": self.connect_s,
            "socket_timeout": self.socket_s,
            # Retried: a refused or cut connection (a restart, a stale pooled socket).
            # Not retried: a reply that did not come within socket_s; a hung Redis would
            # only double the wait (a request must fail within ~2 s, not ~4.5 s).
            "retry": Retry(
                ExponentialBackoff(RETRY_BACKOFF_CAP_S, RETRY_BACKOFF_BASE_S),
                self.retries,
                supported_errors=(redis.exceptions.ConnectionError,),
            ),
            "health_check_interval": HEALTH_CHECK_INTERVAL_S,
        }


def blocking_pool(
    url: str, timeouts: RedisTimeouts | None = None, **options: object
) -> redis.BlockingConnectionPool:
    """A connection pool that waits (bounded) for a free connection, with bounded calls."""
    timeouts = timeouts or RedisTimeouts.from_settings(default_settings())
    return redis.BlockingConnectionPool.from_url(
        url,
        max_connections=MAX_CONNECTIONS,
        timeout=timeouts.pool_wait_s,
        driver_info=DRIVER_INFO,
        **timeouts.connection_options(),
        **options,
    )


def make_redis(url: str, timeouts: RedisTimeouts | None = None) -> redis.Redis:
    """Return a client with decoded responses; `memory://name` shares one fake per name."""
    if url.startswith("memory://"):
        with _lock:
            server = _memory_servers.setdefault(url, fakeredis.FakeServer())
        return fakeredis.FakeRedis(server=server, decode_responses=True)
    return redis.Redis(connection_pool=blocking_pool(url, timeouts, decode_responses=True))


def readiness_client(url: str, timeout_s: float) -> redis.Redis:
    """A client of its own for `/readyz`: no retry, every wait within `timeout_s`.

    It never queues behind the request path's pool, so an exhausted pool or a
    hung server is reported, not waited on.
    """
    if url.startswith("memory://"):
        return make_redis(url)
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=timeout_s,
        socket_timeout=timeout_s,
        retry=None,
        max_connections=4,
    )
