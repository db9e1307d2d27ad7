"""Units of work and the two databases: a Postgres pool or a SQLite file.

The shared unit of work is `unit.py`, the SQLite side `sqlite.py`; this module
holds the Postgres pool and chooses the backend a URL names."""

from __future__ import annotations

import functools
import math
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from app.config import Settings, default_settings
from app.repositories.sql.credits import PostgresCreditRepository
from app.repositories.sql.dialect import MAX_REPLACEMENTS, PostgresSession, SqlSession
from app.repositories.sql.recovery import install as install_capped_backoff
from app.repositories.sql.sqlite import (  # re-exported: callers import them from here
    SQLITE_ADDED_COLUMNS,
    SQLITE_SCHEMA,
    SqliteDatabase,
    SqliteUnitOfWork,
    sqlite_connect,
    sqlite_ping,
)
from app.repositories.sql.unit import SqlUnitOfWork
from app.repositories.sql.warmup import warm_up
from app.repositories.sql.watchdog import Watch, Watchdog

__all__ = [
    "SQLITE_ADDED_COLUMNS",
    "SQLITE_SCHEMA",
    "IdleCheck",
    "PoolTimeouts",
    "PostgresDatabase",
    "PostgresUnitOfWork",
    "SqlUnitOfWork",
    "SqliteDatabase",
    "SqliteUnitOfWork",
    "open_database",
    "postgres_ping",
    "readiness_ping",
    "sqlite_connect",
    "sqlite_path_from_url",
    "sqlite_ping",
]

# A connection back from a unit of work moments ago is alive; one that sat idle may have
# been closed by the server or a pooler (Supabase's closes idle ones), so only that one
# is checked when it is taken again: no extra round trip on a busy server.
CHECK_IDLE_AFTER_S = 5.0


class IdleCheck:
    """The check of a pooled connection when it is taken: ping only connections idle
    for more than CHECK_IDLE_AFTER_S (under the statement deadline, if any)."""

    def __init__(
        self, idle_after_s: float = CHECK_IDLE_AFTER_S, watchdog: Watchdog | None = None
    ) -> None:
        self.idle_after_s = idle_after_s
        self.watchdog = watchdog
        self._returned: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()

    def returned(self, conn: psycopg.Connection[Any]) -> None:
        self._returned[conn] = time.monotonic()

    def __call__(self, conn: psycopg.Connection[Any], watch: Watch | None = None) -> None:
        returned = self._returned.get(conn)
        if returned is None or time.monotonic() - returned > self.idle_after_s:
            if self.watchdog is None:
                ConnectionPool.check_connection(conn)
                return
            with self.watchdog.guard(conn, watch):
                ConnectionPool.check_connection(conn)


class PostgresUnitOfWork(SqlUnitOfWork):
    _credit_class = PostgresCreditRepository

    def __init__(self, pool: ConnectionPool[Any], idle_check: IdleCheck | None = None) -> None:
        self._pool = pool
        self._idle_check = idle_check
        self._watchdog = idle_check.watchdog if idle_check else None
        self._watch = Watch()
        self.connection: psycopg.Connection[Any] | None = None

    def _open(self) -> SqlSession:
        self.connection = self._getconn()
        return PostgresSession(self.connection, self._replace, self._watchdog, self._watch)

    def _getconn(self) -> psycopg.Connection[Any]:
        """A pooled connection that passed the idle check. Checked here, not by the
        pool: the pool sleeps a backoff (1 s, 2 s, ...) after each connection that
        fails its check, and after a database restart every idle one does."""
        for _attempt in range(MAX_REPLACEMENTS):
            conn = self._pool.getconn()
            if self._idle_check is None:
                return conn
            try:
                self._idle_check(conn, self._watch)
                return conn
            except psycopg.Error:
                self._pool.putconn(conn)  # broken: the pool discards it and makes another
                if self._watch.tripped:  # hung, not dead: another one would hang too
                    raise
        raise psycopg.OperationalError("no pooled connection answered")

    def _replace(self) -> psycopg.Connection[Any]:
        """The connection died while it sat unchecked: hand it back, take a checked one."""
        if self.connection is not None:
            self._pool.putconn(self.connection)  # closed: the pool discards it
        self.connection = self._getconn()
        return self.connection

    def _release(self) -> None:
        conn, self.connection = self.connection, None
        if conn is None:
            return
        try:
            if not conn.closed and not self._watch.tripped:
                conn.rollback()
        except psycopg.Error:
            pass  # a dead connection: the pool discards it
        finally:
            if self._idle_check is not None and not conn.closed:
                self._idle_check.returned(conn)
            self._pool.putconn(conn)

    def commit(self) -> None:
        assert self.connection is not None, "use the unit of work in a with block"
        if self._watchdog is None:
            self.connection.commit()
            return
        with self._watchdog.guard(self.connection, self._watch):
            self.connection.commit()

    def rollback(self) -> None:
        assert self.connection is not None, "use the unit of work in a with block"
        self.connection.rollback()


# --------------------------------------------------------------------------- databases


@dataclass(frozen=True)
class PoolTimeouts:
    """How long a Postgres call may wait (settings `DATABASE_*_TIMEOUT_S`).

    `connect_s` bounds opening a connection (libpq's `connect_timeout`, at least 2);
    `wait_s` bounds waiting for a pooled connection, which is also how long a
    request waits while the database is down before it fails.
    """

    connect_s: int
    wait_s: float
    statement_s: float | None = None  # client-side deadline of one statement (watchdog.py)

    @classmethod
    def from_settings(cls, settings: Settings) -> PoolTimeouts:
        return cls(
            settings.DATABASE_CONNECT_TIMEOUT_S,
            settings.DATABASE_POOL_TIMEOUT_S,
            settings.DATABASE_STATEMENT_TIMEOUT_S or None,
        )


class PostgresDatabase:
    """A psycopg connection pool; one pooled connection per unit of work."""

    dialect = "postgres"

    def __init__(
        self,
        conninfo: str,
        min_size: int = 1,
        max_size: int = 10,
        timeouts: PoolTimeouts | None = None,
    ) -> None:
        self.timeouts = timeouts or PoolTimeouts.from_settings(default_settings())
        self._conninfo = conninfo
        install_capped_backoff()  # reconnect within ~2 s of the database's return
        statement_s = self.timeouts.statement_s
        watchdog = Watchdog(statement_s) if statement_s else None
        self._idle_check = IdleCheck(watchdog=watchdog)
        self._pool: ConnectionPool[Any] = ConnectionPool(
            conninfo,
            min_size=min_size,
            max_size=max_size,
            timeout=self.timeouts.wait_s,
            # prepare_threshold=None: no server-side prepared statements, which
            # transaction-mode poolers (Supabase's Supavisor, PgBouncer) break.
            kwargs={
                "autocommit": False,
                "row_factory": dict_row,
                "prepare_threshold": None,
                "connect_timeout": self.timeouts.connect_s,
            },
            name="guia-db",
            configure=functools.partial(warm_up, watchdog=watchdog),
            open=True,
        )

    def unit_of_work(self) -> PostgresUnitOfWork:
        return PostgresUnitOfWork(self._pool, self._idle_check)

    def ping(self) -> None:
        """A fresh connection's `SELECT 1`: never waits on an exhausted or dead pool."""
        postgres_ping(self._conninfo, self.timeouts.connect_s)

    def close(self) -> None:
        self._pool.close()


def postgres_ping(conninfo: str, connect_timeout_s: int) -> None:
    """Connect (bounded by `connect_timeout_s`, libpq's minimum is 2) and run `SELECT 1`."""
    with psycopg.connect(
        conninfo, autocommit=True, connect_timeout=max(2, connect_timeout_s)
    ) as conn:
        conn.execute("SELECT 1")


def readiness_ping(database_url: str, timeout_s: float) -> Callable[[], None]:
    """A check that the database named by the URL answers, on a connection of its own."""
    scheme = database_url.split("://", 1)[0].lower()
    if scheme in ("postgresql", "postgres"):
        return functools.partial(postgres_ping, database_url, math.ceil(timeout_s))
    return functools.partial(sqlite_ping, sqlite_path_from_url(database_url))


def sqlite_path_from_url(database_url: str) -> str:
    """`sqlite:///relative/path` or `sqlite:////absolute/path` → the file path."""
    prefix = "sqlite:///"
    if not database_url.startswith(prefix) or len(database_url) == len(prefix):
        raise ValueError("a SQLite DATABASE_URL looks like sqlite:///path/to/file.db")
    return database_url[len(prefix) :].split("?", 1)[0]


def open_database(
    database_url: str, timeouts: PoolTimeouts | None = None, pool_size: int = 10
) -> PostgresDatabase | SqliteDatabase:
    """The backend the URL names: postgresql:// or postgres:// → Postgres, sqlite:/// → SQLite."""
    scheme = database_url.split("://", 1)[0].lower()
    if scheme in ("postgresql", "postgres"):
        return PostgresDatabase(
            database_url, min_size=pool_size, max_size=pool_size, timeouts=timeouts
        )
    if scheme == "sqlite":
        return SqliteDatabase(sqlite_path_from_url(database_url))
    raise ValueError(f"unsupported DATABASE_URL scheme {scheme!r}")
