"""A client-side deadline on Postgres statements: the connection of a statement that
gets no answer in time is cut.

psycopg's synchronous API has no query timeout, and a frozen server's kernel still
acknowledges TCP (keepalives never fire), so a statement on a hung database would
wait until it thaws. `Watchdog` arms a deadline around each statement (and around
the pool's idle check) and, past it, shuts the connection's socket down from its
own thread: the waiting statement fails at once with `OperationalError`, which
the socket edge answers `service_unavailable`, and the pool discards the dead
connection. After a cut, the unit of work's `Watch` is tripped: its later
statements fail at once instead of each waiting its own deadline.
"""

from __future__ import annotations

import heapq
import itertools
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import structlog

log = structlog.get_logger(__name__)

TICK_S = 0.1  # how late past its deadline a statement may be cut


class Watch:
    """One unit of work's state: tripped once one of its statements was cut."""

    def __init__(self) -> None:
        self.tripped = False


class Watchdog:
    def __init__(self, limit_s: float) -> None:
        self.limit_s = limit_s
        self._armed: dict[int, tuple[Any, Watch]] = {}
        self._heap: list[tuple[float, int]] = []
        self._ids = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    @contextmanager
    def guard(self, conn: psycopg.Connection[Any], watch: Watch | None = None) -> Iterator[None]:
        """Run a statement on `conn` under the deadline."""
        watch = watch or Watch()
        if watch.tripped:
            raise psycopg.OperationalError("the database did not answer: statement not sent")
        token = next(self._ids)
        with self._cond:
            self._armed[token] = (conn, watch)
            was_empty = not self._heap
            # Deadlines only grow (now + one limit), so only the first one needs a wake-up.
            heapq.heappush(self._heap, (time.monotonic() + self.limit_s, token))
            self._ensure_thread()
            if was_empty:
                self._cond.notify()
        try:
            yield
        finally:
            with self._cond:
                self._armed.pop(token, None)

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="pg-watchdog", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            due: list[tuple[Any, Watch]] = []
            with self._cond:
                while not self._heap:
                    self._cond.wait()
                deadline, token = self._heap[0]
                now = time.monotonic()
                if deadline > now:  # at most one wake-up per tick, however many statements
                    self._cond.wait(max(deadline - now, TICK_S))
                    continue
                heapq.heappop(self._heap)
                entry = self._armed.pop(token, None)
                if entry is not None:
                    due.append(entry)
            for conn, watch in due:
                watch.tripped = True
                _cut(conn)


def _cut(conn: psycopg.Connection[Any]) -> None:
    """Shut the connection's socket down: a read waiting on it returns at once."""
    try:
        fd = conn.pgconn.socket
        sock = socket.socket(fileno=os.dup(fd))
    except (OSError, psycopg.Error):
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
        log.warning("database_statement_cut", after="deadline")
    except OSError:
        pass
    finally:
        sock.close()
