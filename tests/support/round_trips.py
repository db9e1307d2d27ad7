"""Count store round trips: every Redis command or pipeline sent (and what a pipeline
sends at once on its own, such as its SCRIPT EXISTS check), every SQL statement
executed, every transaction begun, committed and rolled back, on the real client libraries (so any code path is seen).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
import redis
import redis.client


class RoundTrips:
    """Tallies by store; `snapshot()` copies the counts so far."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.log: list[str] = []

    def add(self, store: str, what: str) -> None:
        with self._lock:
            self.counts[store] += 1
            self.log.append(f"{store}: {what}")

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {"redis": self.counts["redis"], "sql": self.counts["sql"]}

    def reset(self) -> None:
        with self._lock:
            self.counts.clear()
            self.log.clear()


@contextmanager
def counting(monkeypatch: pytest.MonkeyPatch) -> Iterator[RoundTrips]:
    """Patch redis-py and psycopg so each round trip they make is counted."""
    trips = RoundTrips()
    pipeline_execute = redis.client.Pipeline.execute
    conn_execute = psycopg.Connection.execute
    cursor_execute = psycopg.Cursor.execute
    commit = psycopg.Connection.commit
    rollback = psycopg.Connection.rollback

    def counting_command(send: Any) -> Any:
        def count_command(self: Any, *args: Any, **kwargs: Any) -> Any:
            trips.add("redis", str(args[0]) if args else "?")
            return send(self, *args, **kwargs)

        return count_command

    def count_pipeline(self: Any, *args: Any, **kwargs: Any) -> Any:
        if self.command_stack:
            trips.add("redis", "pipeline:" + ",".join(str(c[0][0]) for c in self.command_stack))
        return pipeline_execute(self, *args, **kwargs)

    def count_statement(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        if _idle(self.connection) and not self.connection.autocommit:
            trips.add("sql", "BEGIN")  # psycopg sends it first, a round trip of its own
        trips.add("sql", " ".join(str(query).split())[:60])
        return cursor_execute(self, query, *args, **kwargs)

    def count_commit(self: Any) -> Any:
        if not _idle(self):  # psycopg sends nothing when no transaction is open
            trips.add("sql", "COMMIT")
        return commit(self)

    def count_rollback(self: Any) -> Any:
        if not _idle(self) and not self.closed:
            trips.add("sql", "ROLLBACK")
        return rollback(self)

    for owner, name in [(redis.Redis, "execute_command"),
                        (redis.client.Pipeline, "immediate_execute_command")]:  # fmt: skip
        # a command, or one a pipeline sends at once on its own (its SCRIPT EXISTS)
        monkeypatch.setattr(owner, name, counting_command(getattr(owner, name)))
    monkeypatch.setattr(redis.client.Pipeline, "execute", count_pipeline)
    # Connection.execute makes a cursor and calls Cursor.execute: counted there once.
    monkeypatch.setattr(psycopg.Connection, "execute", conn_execute)
    monkeypatch.setattr(psycopg.Cursor, "execute", count_statement)
    monkeypatch.setattr(psycopg.Connection, "commit", count_commit)
    monkeypatch.setattr(psycopg.Connection, "rollback", count_rollback)
    yield trips


def _idle(conn: psycopg.Connection[Any]) -> bool:
    return bool(conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE)
