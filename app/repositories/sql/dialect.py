"""What differs between Postgres and SQLite: placeholders, value conversion, sessions.

Records always carry str ids and aware UTC datetimes; each dialect converts them on the
way in and out. A session is one open connection inside a unit of work.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
import psycopg
from psycopg.pq import TransactionStatus
from psycopg.types.json import Jsonb

if TYPE_CHECKING:
    from app.repositories.sql.watchdog import Watch, Watchdog

# Column kinds that need converting between Python and the database.
KIND_UUID, KIND_TS, KIND_JSON, KIND_FLOAT = "uuid", "ts", "json", "float"
KIND_VECTOR = "vector"  # float32 values: real[] in Postgres, a little-endian BLOB in SQLite
COLUMN_KINDS: dict[str, dict[str, str]] = {
    "subscriptions": {"price_mxn": KIND_FLOAT, "created_at": KIND_TS},
    "profiles": {
        "id": KIND_UUID,
        "subscription_renews_at": KIND_TS,
        "created_at": KIND_TS,
        "updated_at": KIND_TS,
    },
    "predefined_answers": {
        "id": KIND_UUID,
        "answer": KIND_JSON,
        "created_at": KIND_TS,
        "embedding": KIND_VECTOR,
    },
    "interaction_history": {
        "id": KIND_UUID,
        "user_id": KIND_UUID,
        "answer_id": KIND_UUID,
        "first_event_at": KIND_TS,
        "created_at": KIND_TS,
        "completed_at": KIND_TS,
        "similarity": KIND_FLOAT,
    },
    "voice_interactions": {
        "id": KIND_UUID,
        "user_id": KIND_UUID,
        "interaction_id": KIND_UUID,
        "duration_s": KIND_FLOAT,
        "created_at": KIND_TS,
    },
    "credit_usage": {"user_id": KIND_UUID, "interaction_id": KIND_UUID, "created_at": KIND_TS},
}

# Columns `update(**fields)` may set; anything else raises (names go into SQL).


def canonical_uuid(value: Any) -> str:
    """The lower-case hyphenated form; raises ValueError for anything else."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if not isinstance(value, str):
        raise ValueError(f"not a uuid: {value!r}")
    return str(uuid.UUID(value))


def utc(value: datetime) -> datetime:
    """Aware UTC; a naive datetime is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------- dialects


class Dialect:
    """Value conversion and placeholder style of one database."""

    name = ""

    def sql(self, query: str) -> str:
        return query

    def to_db(self, kind: str, value: Any) -> Any:
        if value is None:
            return None
        if kind == KIND_UUID:
            return self._uuid_in(canonical_uuid(value))
        if kind == KIND_TS:
            if not isinstance(value, datetime):
                raise ValueError(f"not a datetime: {value!r}")
            return self._ts_in(utc(value))
        if kind == KIND_JSON:
            return self._json_in(value)
        if kind == KIND_VECTOR:
            return self._vector_in(np.asarray(value, dtype="<f4").ravel())
        return value

    def from_db(self, kind: str, value: Any) -> Any:
        if value is None:
            return None
        if kind == KIND_UUID:
            return str(value)
        if kind == KIND_TS:
            return self._ts_out(value)
        if kind == KIND_JSON:
            return self._json_out(value)
        if kind == KIND_FLOAT:
            return float(value)
        if kind == KIND_VECTOR:
            return self._vector_out(value)
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
        return value

    def _uuid_in(self, value: str) -> Any:
        return value

    def _ts_in(self, value: datetime) -> Any:
        return value

    def _ts_out(self, value: Any) -> datetime:
        return utc(value)

    def _json_in(self, value: Any) -> Any:
        return value

    def _json_out(self, value: Any) -> Any:
        return value

    def _vector_in(self, value: np.ndarray) -> Any:
        return [float(v) for v in value]

    def _vector_out(self, value: Any) -> np.ndarray:
        return np.asarray(value, dtype=np.float32)


class PostgresDialect(Dialect):
    name = "postgres"

    def _uuid_in(self, value: str) -> Any:
        return uuid.UUID(value)

    def _json_in(self, value: Any) -> Any:
        return Jsonb(value)

    def _json_out(self, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value


class SqliteDialect(Dialect):
    name = "sqlite"

    def sql(self, query: str) -> str:
        return query.replace("%s", "?")

    def _ts_in(self, value: datetime) -> Any:
        # Fixed width, so comparing the text compares the times.
        return value.isoformat(timespec="microseconds")

    def _ts_out(self, value: Any) -> datetime:
        return utc(datetime.fromisoformat(value))

    def _json_in(self, value: Any) -> Any:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def _json_out(self, value: Any) -> Any:
        return json.loads(value)

    def _vector_in(self, value: np.ndarray) -> Any:
        return value.tobytes()

    def _vector_out(self, value: Any) -> np.ndarray:
        return np.frombuffer(value, dtype="<f4").astype(np.float32)


POSTGRES = PostgresDialect()
SQLITE = SqliteDialect()


# --------------------------------------------------------------------------- sessions


class SqlSession:
    """One open connection inside a unit of work."""

    dialect: Dialect

    def run(
        self, query: str, params: Sequence[Any] = (), *, write: bool = False, alone: bool = False
    ) -> Any:
        """Execute one statement. `alone`: the statement is a whole transaction by itself
        (a SQL function doing all of a unit's writes). Postgres then runs it in autocommit
        when the unit has no transaction open yet: one round trip instead of BEGIN,
        statement and COMMIT, and it is committed when it returns. Otherwise, and on
        SQLite, it joins the unit's transaction like any write. Only for writes that
        may be committed late or twice, or that carry `not_after`: a statement cut at
        the deadline while the database is frozen still runs once it thaws, and alone
        it commits then (test_frozen_hold)."""
        raise NotImplementedError

    def begin_write(self) -> None:
        """Make sure a write transaction is open (SQLite takes its write lock here)."""

    def not_after(self) -> datetime | None:
        """For a statement run alone that must never commit late: the time it must
        have finished by, on the database's clock, or None (no statement deadline).

        Half the statement deadline: a statement done by then answers before it is
        cut, and the database's clock may lag the server's by up to that much."""
        return None


MAX_REPLACEMENTS = 12  # more than a pool holds (max_size 10)


class PostgresSession(SqlSession):
    """`replace`, when given, swaps a connection that turns out dead on the first
    statement (nothing of the transaction is lost then) for another, until one
    answers (a database restart kills every pooled connection at once), at most
    MAX_REPLACEMENTS times; never after the statement watchdog cut one (a hung
    database would hang the next one too)."""

    dialect = POSTGRES

    def __init__(
        self,
        conn: psycopg.Connection[Any],
        replace: Callable[[], psycopg.Connection[Any]] | None = None,
        watchdog: Watchdog | None = None,
        watch: Watch | None = None,
    ) -> None:
        self.conn = conn
        self._replace = replace
        self._watchdog = watchdog  # the statement deadline (sql/watchdog.py), if any
        self._watch = watch  # the unit of work's, tripped once a statement was cut

    def not_after(self) -> datetime | None:
        if self._watchdog is None:
            return None
        return utc_now() + timedelta(seconds=self._watchdog.limit_s / 2)

    def run(
        self, query: str, params: Sequence[Any] = (), *, write: bool = False, alone: bool = False
    ) -> Any:
        replace, self._replace = self._replace, None
        for _attempt in range(MAX_REPLACEMENTS):
            try:
                return self._execute(query, params, alone)
            except psycopg.OperationalError:
                tripped = self._watch is not None and self._watch.tripped
                if replace is None or not self.conn.closed or tripped:
                    raise
                self.conn = replace()
        return self._execute(query, params, alone)

    def _execute(self, query: str, params: Sequence[Any], alone: bool = False) -> Any:
        conn = self.conn
        autocommit = alone and conn.info.transaction_status == TransactionStatus.IDLE
        if autocommit:
            conn.autocommit = True  # a local switch: no round trip
        try:
            if self._watchdog is None:
                return conn.execute(query, tuple(params))  # type: ignore[arg-type]
            with self._watchdog.guard(conn, self._watch):
                return conn.execute(query, tuple(params))  # type: ignore[arg-type]
        finally:
            if autocommit and not conn.closed:
                conn.autocommit = False


class SqliteSession(SqlSession):
    dialect = SQLITE

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def begin_write(self) -> None:
        # Reads before the first write run in autocommit; the first write takes
        # the write lock up front (no deferred-upgrade SQLITE_BUSY surprises).
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN IMMEDIATE")

    def run(
        self, query: str, params: Sequence[Any] = (), *, write: bool = False, alone: bool = False
    ) -> Any:
        if write or alone:
            self.begin_write()
        return self.conn.execute(self.dialect.sql(query), tuple(params))


def dict_row_factory(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> dict[str, Any]:
    return {desc[0]: value for desc, value in zip(cursor.description, row, strict=True)}
