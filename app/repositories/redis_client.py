"""Redis connections: a real server for `redis://`, an in-process fake for `memory://`."""

from __future__ import annotations

import threading

import fakeredis
import redis

_memory_servers: dict[str, fakeredis.FakeServer] = {}
_lock = threading.Lock()


def make_redis(url: str) -> redis.Redis:
    """Return a client with decoded responses; `memory://name` shares one fake per name."""
    if url.startswith("memory://"):
        with _lock:
            server = _memory_servers.setdefault(url, fakeredis.FakeServer())
        return fakeredis.FakeRedis(server=server, decode_responses=True)
    return redis.Redis.from_url(
        url, decode_responses=True, health_check_interval=30, socket_timeout=5
    )
