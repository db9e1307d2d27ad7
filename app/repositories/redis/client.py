"""Redis connections: a real server for `redis://`, an in-process fake for `memory://`."""

from __future__ import annotations

import threading

import fakeredis
import redis

_memory_servers: dict[str, fakeredis.FakeServer] = {}
_lock = threading.Lock()
# redis-py 8 caps a pool at 100 connections and raises MaxConnectionsError past it,
# which failed asks and streams at 300 concurrent streams. Every stream, handler and
# limiter check may hold one briefly: allow many and wait (bounded) instead of failing.
MAX_CONNECTIONS = 2000
POOL_WAIT_S = 5.0


def blocking_pool(url: str, **options: object) -> redis.BlockingConnectionPool:
    """A connection pool that waits up to POOL_WAIT_S for a free connection."""
    return redis.BlockingConnectionPool.from_url(
        url, max_connections=MAX_CONNECTIONS, timeout=POOL_WAIT_S, **options
    )


def make_redis(url: str) -> redis.Redis:
    """Return a client with decoded responses; `memory://name` shares one fake per name."""
    if url.startswith("memory://"):
        with _lock:
            server = _memory_servers.setdefault(url, fakeredis.FakeServer())
        return fakeredis.FakeRedis(server=server, decode_responses=True)
    pool = blocking_pool(url, decode_responses=True, health_check_interval=30, socket_timeout=5)
    return redis.Redis(connection_pool=pool)
