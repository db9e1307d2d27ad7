"""Which failures mean "a store is unreachable right now": the one home of that rule.

Redis that refuses or does not answer (redis-py `ConnectionError` / `TimeoutError`,
also through the `limits` storage), Postgres that cannot be reached or gave up on
a statement (psycopg `OperationalError`, which includes the pool's `PoolTimeout`,
a cut connection and a cancelled statement), and SQLite that stays locked or
cannot open its file. The socket edge turns such a failure into the protocol's
`service_unavailable` with `retry_after`; anything else stays `internal_error`.
"""

from __future__ import annotations

import sqlite3

import psycopg
import redis
from limits.errors import StorageError

_OUTAGES: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    psycopg.OperationalError,
    StorageError,
    TimeoutError,  # a socket timeout surfacing unwrapped
    ConnectionError,  # the OS's refused / reset connections
)
_SQLITE_OUTAGE_WORDS = ("locked", "busy", "unable to open")
_MAX_CHAIN = 8


def is_store_outage(exc: BaseException) -> bool:
    """True if `exc`, or an exception it was raised from, is an unreachable store."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < _MAX_CHAIN:
        if isinstance(current, _OUTAGES):
            return True
        if isinstance(current, sqlite3.OperationalError) and any(
            word in str(current).lower() for word in _SQLITE_OUTAGE_WORDS
        ):
            return True
        current = current.__cause__ or current.__context__
        seen += 1
    return False
