"""Units of work and the two databases: a Postgres pool or a SQLite file."""

from __future__ import annotations

import functools
import math
import sqlite3
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from app.config import Settings, default_settings
from app.repositories.seed import load_seed_data, seed_plans
from app.repositories.sql.accounts import SqlProfileRepository, SqlSubscriptionRepository
from app.repositories.sql.answers import SqlAnswerRepository
from app.repositories.sql.credits import (
    PostgresCreditRepository,
    SqlCreditRepository,
    SqliteCreditRepository,
)
from app.repositories.sql.dialect import (
    MAX_REPLACEMENTS,
    PostgresSession,
    SqliteSession,
    SqlSession,
    dict_row_factory,
)
from app.repositories.sql.interactions import SqlInteractionRepository
from app.repositories.sql.recovery import install as install_capped_backoff
from app.repositories.sql.voices import SqlVoiceRepository
from app.repositories.sql.watchdog import Watch, Watchdog

SQLITE_SCHEMA = Path(__file__).with_name("sqlite_schema.sql")
# Columns added after a table's first release (the Postgres migration that adds
# each is named): CREATE TABLE IF NOT EXISTS leaves an older file's table as it
# was, so start-up adds what is missing.
SQLITE_ADDED_COLUMNS = (
    ("predefined_answers", "area", "TEXT"),  # 005_answer_topics
    ("predefined_answers", "topic", "TEXT"),  # 005_answer_topics
)


# --------------------------------------------------------------------------- units of work


class SqlUnitOfWork:
    """One transaction over all repositories; `with uow:` rolls back unless committed."""

    subscriptions: SqlSubscriptionRepository
    profiles: SqlProfileRepository
    answers: SqlAnswerRepository
    interactions: SqlInteractionRepository
    voices: SqlVoiceRepository
    credits: SqlCreditRepository
    _credit_class: type[SqlCreditRepository]

    def __enter__(self) -> SqlUnitOfWork:
        session = self._open()
        self.subscriptions = SqlSubscriptionRepository(session)
        self.profiles = SqlProfileRepository(session)
        self.answers = SqlAnswerRepository(session)
        self.interactions = SqlInteractionRepository(session)
        self.voices = SqlVoiceRepository(session)
        self.credits = self._credit_class(session)
        return self

    def __exit__(self, *exc: object) -> None:
        self._release()

    def _open(self) -> SqlSession:
        raise NotImplementedError

    def _release(self) -> None:
        raise NotImplementedError

    def commit(self) -> None:
        raise NotImplementedError

    def rollback(self) -> None:
        raise NotImplementedError


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
        guard = None
        if self._watchdog is not None:
            watchdog, watch = self._watchdog, self._watch
            guard = lambda conn: watchdog.guard(conn, watch)  # noqa: E731
        return PostgresSession(self.connection, self._replace, guard, self._watch)

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


class SqliteUnitOfWork(SqlUnitOfWork):
    _credit_class = SqliteCreditRepository

    def __init__(self, path: str) -> None:
        self._path = path
        self.connection: sqlite3.Connection | None = None

    def _open(self) -> SqlSession:
        self.connection = sqlite_connect(self._path)
        return SqliteSession(self.connection)

    def _release(self) -> None:
        conn, self.connection = self.connection, None
        if conn is None:
            return
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        finally:
            conn.close()

    def commit(self) -> None:
        assert self.connection is not None, "use the unit of work in a with block"
        if self.connection.in_transaction:
            self.connection.execute("COMMIT")

    def rollback(self) -> None:
        assert self.connection is not None, "use the unit of work in a with block"
        if self.connection.in_transaction:
            self.connection.execute("ROLLBACK")


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
        self._idle_check = IdleCheck(watchdog=Watchdog(statement_s) if statement_s else None)
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


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    for table, column, kind in SQLITE_ADDED_COLUMNS:
        present = {row["name"] for row in conn.execute(f"PRAGMA table_info({table})")}
        if column not in present:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")


def sqlite_connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=5.0, isolation_level=None, check_same_thread=False)
    conn.row_factory = dict_row_factory
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


class SqliteDatabase:
    """A SQLite file in WAL mode; one short-lived connection per unit of work.

    The schema is made at construction, with the plans of the seed file (the
    profiles' default plan 'free' must exist for the foreign key).
    """

    dialect = "sqlite"

    def __init__(self, path: str | Path, *, seed_plans_on_start: bool = True) -> None:
        if str(path) in ("", ":memory:"):
            raise ValueError("SqliteDatabase needs a file path (each unit of work reconnects)")
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite_connect(self.path)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.executescript(SQLITE_SCHEMA.read_text(encoding="utf-8"))
            _add_missing_columns(conn)
            if seed_plans_on_start:
                conn.execute("BEGIN IMMEDIATE")
                for plan in seed_plans(load_seed_data()):
                    conn.execute(
                        "INSERT INTO subscriptions (id, name, monthly_credits, price_mxn) "
                        "VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                        (plan.id, plan.name, plan.monthly_credits, plan.price_mxn),
                    )
                conn.execute("COMMIT")
        finally:
            conn.close()

    def unit_of_work(self) -> SqliteUnitOfWork:
        return SqliteUnitOfWork(self.path)

    def ping(self) -> None:
        sqlite_ping(self.path)

    def close(self) -> None:
        """Nothing stays open between units of work."""


def sqlite_ping(path: str) -> None:
    conn = sqlite_connect(path)
    try:
        conn.execute("SELECT 1 FROM subscriptions LIMIT 1").fetchall()
    finally:
        conn.close()


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
    database_url: str, timeouts: PoolTimeouts | None = None
) -> PostgresDatabase | SqliteDatabase:
    """The backend the URL names: postgresql:// or postgres:// → Postgres, sqlite:/// → SQLite."""
    scheme = database_url.split("://", 1)[0].lower()
    if scheme in ("postgresql", "postgres"):
        return PostgresDatabase(database_url, timeouts=timeouts)
    if scheme == "sqlite":
        return SqliteDatabase(sqlite_path_from_url(database_url))
    raise ValueError(f"unsupported DATABASE_URL scheme {scheme!r}")
