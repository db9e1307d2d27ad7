"""Postgres and SQLite implementations of the repository interface.

The repositories below are written once, as SQL both databases understand.
What differs is isolated in two places:

- `_Dialect`: placeholders and how uuid, timestamp, JSON and numeric values
  go in and come out (records always carry str ids and aware UTC datetimes);
- the credit change: Postgres calls `public.apply_credit_change` /
  `public.ensure_profile` (migrations/004), SQLite runs the same steps in
  Python inside one `BEGIN IMMEDIATE` transaction.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import fields
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from app.models.records import (
    CreditChange,
    CreditMovement,
    Interaction,
    PredefinedAnswer,
    Profile,
    Subscription,
    VoiceInteraction,
)
from app.repositories.seed import load_seed_data, seed_plans

SQLITE_SCHEMA = Path(__file__).with_name("sqlite_schema.sql")

ACTION_TYPES = frozenset(
    {"question_cached", "question_generated", "voice", "refund", "grant", "subscription_renewal"}
)
SIGNUP_KEY = "signup"

# Column kinds that need converting between Python and the database.
_UUID, _TS, _JSON, _FLOAT = "uuid", "ts", "json", "float"
_KINDS: dict[str, dict[str, str]] = {
    "subscriptions": {"price_mxn": _FLOAT, "created_at": _TS},
    "profiles": {
        "id": _UUID,
        "subscription_renews_at": _TS,
        "created_at": _TS,
        "updated_at": _TS,
    },
    "predefined_answers": {"id": _UUID, "answer": _JSON, "created_at": _TS},
    "interaction_history": {
        "id": _UUID,
        "user_id": _UUID,
        "answer_id": _UUID,
        "first_event_at": _TS,
        "created_at": _TS,
        "completed_at": _TS,
    },
    "voice_interactions": {
        "id": _UUID,
        "user_id": _UUID,
        "interaction_id": _UUID,
        "duration_s": _FLOAT,
        "created_at": _TS,
    },
    "credit_usage": {"user_id": _UUID, "interaction_id": _UUID, "created_at": _TS},
}

# Columns `update(**fields)` may set; anything else raises (names go into SQL).
INTERACTION_UPDATABLE = frozenset(
    {
        "session_id",
        "question",
        "question_hash",
        "answer_id",
        "source",
        "status",
        "input_type",
        "credits_charged",
        "request_id",
        "engine",
        "prompt_tokens",
        "completion_tokens",
        "error_code",
        "first_event_at",
        "completed_at",
    }
)
VOICE_UPDATABLE = frozenset(
    {"interaction_id", "format", "bytes", "duration_s", "transcript", "status", "error_code"}
)

R = TypeVar("R")


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


class _Dialect:
    """Value conversion and placeholder style of one database."""

    name = ""

    def sql(self, query: str) -> str:
        return query

    def to_db(self, kind: str, value: Any) -> Any:
        if value is None:
            return None
        if kind == _UUID:
            return self._uuid_in(canonical_uuid(value))
        if kind == _TS:
            if not isinstance(value, datetime):
                raise ValueError(f"not a datetime: {value!r}")
            return self._ts_in(utc(value))
        if kind == _JSON:
            return self._json_in(value)
        return value

    def from_db(self, kind: str, value: Any) -> Any:
        if value is None:
            return None
        if kind == _UUID:
            return str(value)
        if kind == _TS:
            return self._ts_out(value)
        if kind == _JSON:
            return self._json_out(value)
        if kind == _FLOAT:
            return float(value)
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


class _PostgresDialect(_Dialect):
    name = "postgres"

    def _uuid_in(self, value: str) -> Any:
        return uuid.UUID(value)

    def _json_in(self, value: Any) -> Any:
        return Jsonb(value)

    def _json_out(self, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value


class _SqliteDialect(_Dialect):
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


POSTGRES = _PostgresDialect()
SQLITE = _SqliteDialect()


# --------------------------------------------------------------------------- sessions


class _Session:
    """One open connection inside a unit of work."""

    dialect: _Dialect

    def run(self, query: str, params: Sequence[Any] = (), *, write: bool = False) -> Any:
        raise NotImplementedError

    def begin_write(self) -> None:
        """Make sure a write transaction is open (SQLite takes its write lock here)."""


class _PostgresSession(_Session):
    dialect = POSTGRES

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def run(self, query: str, params: Sequence[Any] = (), *, write: bool = False) -> Any:
        return self.conn.execute(query, tuple(params))  # type: ignore[arg-type]


class _SqliteSession(_Session):
    dialect = SQLITE

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def begin_write(self) -> None:
        # Reads before the first write run in autocommit; the first write takes
        # the write lock up front (no deferred-upgrade SQLITE_BUSY surprises).
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN IMMEDIATE")

    def run(self, query: str, params: Sequence[Any] = (), *, write: bool = False) -> Any:
        if write:
            self.begin_write()
        return self.conn.execute(self.dialect.sql(query), tuple(params))


def _dict_row(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> dict[str, Any]:
    return {desc[0]: value for desc, value in zip(cursor.description, row, strict=True)}


# --------------------------------------------------------------------------- repositories


class _Repository:
    table = ""

    def __init__(self, session: _Session) -> None:
        self.s = session
        self.d = session.dialect
        self.kinds = _KINDS[self.table]

    def _in(self, column: str, value: Any) -> Any:
        return self.d.to_db(self.kinds.get(column, ""), value)

    def _record(self, cls: type[R], row: Mapping[str, Any] | None) -> R | None:
        if row is None:
            return None
        values = {
            f.name: self.d.from_db(self.kinds.get(f.name, ""), row[f.name]) for f in fields(cls)  # type: ignore[arg-type]
        }
        return cls(**values)

    def _records(self, cls: type[R], rows: list[Mapping[str, Any]]) -> list[R]:
        return [r for r in (self._record(cls, row) for row in rows) if r is not None]

    def _one(self, query: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        row: dict[str, Any] | None = self.s.run(query, params).fetchone()
        return row

    def _all(self, query: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.s.run(query, params).fetchall()
        return rows

    def _insert(self, values: Mapping[str, Any]) -> None:
        columns = list(values)
        self.s.run(
            f"INSERT INTO {self.table} ({', '.join(columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))})",
            [self._in(c, values[c]) for c in columns],
            write=True,
        )

    def _update(self, row_id: str, values: Mapping[str, Any], allowed: frozenset[str]) -> int:
        unknown = sorted(set(values) - allowed)
        if unknown:
            raise ValueError(f"{self.table}: cannot update {', '.join(unknown)}")
        if not values:
            return 0
        columns = sorted(values)
        assignments = ", ".join(f"{c} = %s" for c in columns)
        params = [self._in(c, values[c]) for c in columns] + [self._in("id", row_id)]
        cur = self.s.run(f"UPDATE {self.table} SET {assignments} WHERE id = %s", params, write=True)
        return int(cur.rowcount)

    def _id_or_none(self, row_id: Any) -> Any:
        """The id as the database wants it, or None when it is not a valid id."""
        try:
            return self._in("id", row_id)
        except ValueError:
            return None


class SqlSubscriptionRepository(_Repository):
    table = "subscriptions"
    _COLUMNS = "id, name, monthly_credits, price_mxn"

    def upsert(self, plan: Subscription) -> None:
        self.s.run(
            "INSERT INTO subscriptions (id, name, monthly_credits, price_mxn) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET name = excluded.name, "
            "monthly_credits = excluded.monthly_credits, price_mxn = excluded.price_mxn",
            (plan.id, plan.name, plan.monthly_credits, self._in("price_mxn", plan.price_mxn)),
            write=True,
        )

    def get(self, plan_id: str) -> Subscription | None:
        row = self._one(f"SELECT {self._COLUMNS} FROM subscriptions WHERE id = %s", (plan_id,))
        return self._record(Subscription, row)

    def list(self) -> list[Subscription]:
        rows = self._all(f"SELECT {self._COLUMNS} FROM subscriptions ORDER BY monthly_credits, id")
        return self._records(Subscription, rows)


class SqlProfileRepository(_Repository):
    table = "profiles"

    def get(self, user_id: str) -> Profile | None:
        key = self._id_or_none(user_id)
        if key is None:
            return None
        row = self._one(
            "SELECT id, email, credits, subscription_id, subscription_renews_at, created_at "
            "FROM profiles WHERE id = %s",
            (key,),
        )
        return self._record(Profile, row)

    def set_subscription(
        self, user_id: str, plan_id: str | None, renews_at: datetime | None
    ) -> None:
        """Raises LookupError when the user has no profile."""
        cur = self.s.run(
            "UPDATE profiles SET subscription_id = %s, subscription_renews_at = %s, "
            "updated_at = %s WHERE id = %s",
            (
                plan_id,
                self._in("subscription_renews_at", renews_at),
                self._in("updated_at", utc_now()),
                self._in("id", user_id),
            ),
            write=True,
        )
        if cur.rowcount == 0:
            raise LookupError(f"no profile for user {user_id}")

    def list_ids(self) -> list[str]:
        rows = self._all("SELECT id FROM profiles ORDER BY id")
        return [self.d.from_db(_UUID, row["id"]) for row in rows]


class SqlAnswerRepository(_Repository):
    table = "predefined_answers"
    _COLUMNS = "id, question_hash, normalized_question, question, answer, source, created_at"

    def get(self, answer_id: str) -> PredefinedAnswer | None:
        key = self._id_or_none(answer_id)
        if key is None:
            return None
        row = self._one(f"SELECT {self._COLUMNS} FROM predefined_answers WHERE id = %s", (key,))
        return self._record(PredefinedAnswer, row)

    def get_by_hash(self, question_hash: str) -> PredefinedAnswer | None:
        row = self._one(
            f"SELECT {self._COLUMNS} FROM predefined_answers WHERE question_hash = %s",
            (question_hash,),
        )
        return self._record(PredefinedAnswer, row)

    def add_if_absent(
        self,
        question_hash: str,
        normalized_question: str,
        question: str,
        answer: dict[str, Any],
        source: str,
    ) -> PredefinedAnswer:
        self.s.run(
            "INSERT INTO predefined_answers "
            "(id, question_hash, normalized_question, question, answer, source, created_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (question_hash) DO NOTHING",
            (
                self._in("id", str(uuid.uuid4())),
                question_hash,
                normalized_question,
                question,
                self._in("answer", answer),
                source,
                self._in("created_at", utc_now()),
            ),
            write=True,
        )
        stored = self.get_by_hash(question_hash)
        assert stored is not None, "the row was just inserted or already there"
        return stored

    def count(self) -> int:
        row = self._one("SELECT count(*) AS n FROM predefined_answers")
        return int(row["n"]) if row else 0


class SqlInteractionRepository(_Repository):
    table = "interaction_history"
    _COLUMNS = ", ".join(f.name for f in fields(Interaction))

    def add(self, interaction: Interaction) -> None:
        values = {f.name: getattr(interaction, f.name) for f in fields(Interaction)}
        values["created_at"] = values["created_at"] or utc_now()
        self._insert(values)

    def get(self, interaction_id: str) -> Interaction | None:
        key = self._id_or_none(interaction_id)
        if key is None:
            return None
        row = self._one(f"SELECT {self._COLUMNS} FROM interaction_history WHERE id = %s", (key,))
        return self._record(Interaction, row)

    def update(self, interaction_id: str, **fields_: Any) -> None:
        self._update(interaction_id, fields_, INTERACTION_UPDATABLE)

    def list_for_user(
        self, user_id: str, limit: int, before: tuple[datetime, str] | None
    ) -> list[Interaction]:
        query = f"SELECT {self._COLUMNS} FROM interaction_history WHERE user_id = %s"
        params: list[Any] = [self._in("user_id", user_id)]
        if before is not None:
            query += " AND (created_at, id) < (%s, %s)"
            params += [self._in("created_at", before[0]), self._in("id", before[1])]
        query += " ORDER BY created_at DESC, id DESC LIMIT %s"
        params.append(int(limit))
        return self._records(Interaction, self._all(query, params))

    def list_unsettled(self, older_than: datetime) -> list[Interaction]:
        rows = self._all(
            f"SELECT {self._COLUMNS} FROM interaction_history "
            "WHERE status = 'streaming' AND created_at < %s ORDER BY created_at, id",
            (self._in("created_at", older_than),),
        )
        return self._records(Interaction, rows)


class SqlVoiceRepository(_Repository):
    table = "voice_interactions"
    _COLUMNS = ", ".join(f.name for f in fields(VoiceInteraction))

    def add(self, voice: VoiceInteraction) -> None:
        values = {f.name: getattr(voice, f.name) for f in fields(VoiceInteraction)}
        values["created_at"] = values["created_at"] or utc_now()
        self._insert(values)

    def get(self, voice_id: str) -> VoiceInteraction | None:
        key = self._id_or_none(voice_id)
        if key is None:
            return None
        row = self._one(f"SELECT {self._COLUMNS} FROM voice_interactions WHERE id = %s", (key,))
        return self._record(VoiceInteraction, row)

    def update(self, voice_id: str, **fields_: Any) -> None:
        self._update(voice_id, fields_, VOICE_UPDATABLE)


class _SqlCreditRepository(_Repository):
    """The ledger. Validation and reads are shared; the change itself is per dialect."""

    table = "credit_usage"
    _COLUMNS = ", ".join(f.name for f in fields(CreditMovement))

    def ensure_profile(self, user_id: str, email: str | None, opening_credits: int) -> bool:
        if opening_credits < 0:
            raise ValueError("opening_credits must be >= 0")
        return self._ensure(self._in("user_id", user_id), email, int(opening_credits))

    def apply_change(
        self,
        user_id: str,
        credits: int,
        action_type: str,
        idempotency_key: str,
        interaction_id: str | None = None,
    ) -> CreditChange:
        if isinstance(credits, bool) or not isinstance(credits, int) or credits == 0:
            raise ValueError("credits must be a non-zero integer")
        if action_type not in ACTION_TYPES:
            raise ValueError(f"unknown action_type {action_type!r}")
        if not idempotency_key:
            raise ValueError("idempotency_key is required")
        return self._apply(
            self._in("user_id", user_id),
            credits,
            action_type,
            idempotency_key,
            self._in("interaction_id", interaction_id),
        )

    def find(self, user_id: str, idempotency_key: str) -> CreditMovement | None:
        key = self._id_or_none(user_id)
        if key is None:
            return None
        row = self._one(
            f"SELECT {self._COLUMNS} FROM credit_usage WHERE user_id = %s AND idempotency_key = %s",
            (key, idempotency_key),
        )
        return self._record(CreditMovement, row)

    def list_for_user(
        self, user_id: str, limit: int, before_id: int | None
    ) -> list[CreditMovement]:
        query = f"SELECT {self._COLUMNS} FROM credit_usage WHERE user_id = %s"
        params: list[Any] = [self._in("user_id", user_id)]
        if before_id is not None:
            query += " AND id < %s"
            params.append(int(before_id))
        query += " ORDER BY id DESC LIMIT %s"
        params.append(int(limit))
        return self._records(CreditMovement, self._all(query, params))

    def ledger_mismatches(self) -> list[tuple[str, int, int]]:
        rows = self._all(
            "SELECT p.id AS user_id, p.credits AS credits, "
            "COALESCE(-SUM(c.credits), 0) AS ledger "
            "FROM profiles p LEFT JOIN credit_usage c ON c.user_id = p.id "
            "GROUP BY p.id, p.credits HAVING p.credits <> COALESCE(-SUM(c.credits), 0) "
            "UNION ALL "
            "SELECT c.user_id AS user_id, 0 AS credits, -SUM(c.credits) AS ledger "
            "FROM credit_usage c WHERE NOT EXISTS (SELECT 1 FROM profiles p WHERE p.id = c.user_id) "
            "GROUP BY c.user_id HAVING SUM(c.credits) <> 0 "
            "ORDER BY user_id"
        )
        return [
            (self.d.from_db(_UUID, r["user_id"]), int(r["credits"]), int(r["ledger"])) for r in rows
        ]

    def _ensure(self, user_id: Any, email: str | None, opening_credits: int) -> bool:
        raise NotImplementedError

    def _apply(
        self, user_id: Any, credits: int, action_type: str, key: str, interaction_id: Any
    ) -> CreditChange:
        raise NotImplementedError


class PostgresCreditRepository(_SqlCreditRepository):
    """Delegates to the SQL functions of migrations/004, in the unit of work's transaction."""

    def _ensure(self, user_id: Any, email: str | None, opening_credits: int) -> bool:
        row = self._one(
            "SELECT public.ensure_profile(%s::uuid, %s::text, %s::integer, %s::text) AS made",
            (user_id, email, opening_credits, SIGNUP_KEY),
        )
        return bool(row and row["made"])

    def _apply(
        self, user_id: Any, credits: int, action_type: str, key: str, interaction_id: Any
    ) -> CreditChange:
        row = self._one(
            "SELECT status, balance, ledger_id FROM public.apply_credit_change("
            "%s::uuid, %s::integer, %s::text, %s::text, %s::uuid)",
            (user_id, credits, action_type, key, interaction_id),
        )
        assert row is not None
        return CreditChange(
            status=row["status"], balance=row["balance"], ledger_id=row["ledger_id"]
        )


class SqliteCreditRepository(_SqlCreditRepository):
    """The steps of public.apply_credit_change, under SQLite's single write lock."""

    def _ensure(self, user_id: Any, email: str | None, opening_credits: int) -> bool:
        now = self._in("created_at", utc_now())
        cur = self.s.run(
            "INSERT INTO profiles (id, email, credits, created_at, updated_at) "
            "VALUES (%s, %s, 0, %s, %s) ON CONFLICT (id) DO NOTHING",
            (user_id, email, now, now),
            write=True,
        )
        made = cur.rowcount == 1
        if made and opening_credits > 0:
            self._apply(user_id, -opening_credits, "grant", SIGNUP_KEY, None)
        return made

    def _apply(
        self, user_id: Any, credits: int, action_type: str, key: str, interaction_id: Any
    ) -> CreditChange:
        self.s.begin_write()  # BEGIN IMMEDIATE: nobody else writes until we commit
        existing = self._one(
            "SELECT id FROM credit_usage WHERE user_id = %s AND idempotency_key = %s",
            (user_id, key),
        )
        profile = self._one("SELECT credits FROM profiles WHERE id = %s", (user_id,))
        if existing is not None:
            balance = profile["credits"] if profile else None
            return CreditChange(status="duplicate", balance=balance, ledger_id=existing["id"])
        if profile is None:
            return CreditChange(status="no_profile", balance=None, ledger_id=None)
        balance = int(profile["credits"]) - credits
        if balance < 0:
            return CreditChange(status="insufficient", balance=profile["credits"], ledger_id=None)
        now = self._in("created_at", utc_now())
        self.s.run(
            "UPDATE profiles SET credits = %s, updated_at = %s WHERE id = %s",
            (balance, now, user_id),
            write=True,
        )
        cur = self.s.run(
            "INSERT INTO credit_usage (user_id, credits, action_type, interaction_id, "
            "idempotency_key, balance_after, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (user_id, credits, action_type, interaction_id, key, balance, now),
            write=True,
        )
        return CreditChange(status="applied", balance=balance, ledger_id=int(cur.lastrowid))


# --------------------------------------------------------------------------- units of work


class _SqlUnitOfWork:
    """One transaction over all repositories; `with uow:` rolls back unless committed."""

    subscriptions: SqlSubscriptionRepository
    profiles: SqlProfileRepository
    answers: SqlAnswerRepository
    interactions: SqlInteractionRepository
    voices: SqlVoiceRepository
    credits: _SqlCreditRepository
    _credit_class: type[_SqlCreditRepository]

    def __enter__(self) -> _SqlUnitOfWork:
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

    def _open(self) -> _Session:
        raise NotImplementedError

    def _release(self) -> None:
        raise NotImplementedError

    def commit(self) -> None:
        raise NotImplementedError

    def rollback(self) -> None:
        raise NotImplementedError


class PostgresUnitOfWork(_SqlUnitOfWork):
    _credit_class = PostgresCreditRepository

    def __init__(self, pool: ConnectionPool[Any]) -> None:
        self._pool = pool
        self.connection: psycopg.Connection[Any] | None = None

    def _open(self) -> _Session:
        self.connection = self._pool.getconn()
        return _PostgresSession(self.connection)

    def _release(self) -> None:
        conn, self.connection = self.connection, None
        if conn is None:
            return
        try:
            if not conn.closed:
                conn.rollback()
        except psycopg.Error:
            pass  # a dead connection: the pool discards it
        finally:
            self._pool.putconn(conn)

    def commit(self) -> None:
        assert self.connection is not None, "use the unit of work in a with block"
        self.connection.commit()

    def rollback(self) -> None:
        assert self.connection is not None, "use the unit of work in a with block"
        self.connection.rollback()


class SqliteUnitOfWork(_SqlUnitOfWork):
    _credit_class = SqliteCreditRepository

    def __init__(self, path: str) -> None:
        self._path = path
        self.connection: sqlite3.Connection | None = None

    def _open(self) -> _Session:
        self.connection = _sqlite_connect(self._path)
        return _SqliteSession(self.connection)

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


class PostgresDatabase:
    """A psycopg connection pool; one pooled connection per unit of work."""

    dialect = "postgres"

    def __init__(
        self, conninfo: str, min_size: int = 1, max_size: int = 10, timeout: float = 30.0
    ) -> None:
        self._pool: ConnectionPool[Any] = ConnectionPool(
            conninfo,
            min_size=min_size,
            max_size=max_size,
            timeout=timeout,
            # prepare_threshold=None: no server-side prepared statements, which
            # transaction-mode poolers (Supabase's Supavisor, PgBouncer) break.
            kwargs={"autocommit": False, "row_factory": dict_row, "prepare_threshold": None},
            check=ConnectionPool.check_connection,
            name="guia-db",
            open=True,
        )

    def unit_of_work(self) -> PostgresUnitOfWork:
        return PostgresUnitOfWork(self._pool)

    def ping(self) -> None:
        with self._pool.connection() as conn:
            conn.execute("SELECT 1")

    def close(self) -> None:
        self._pool.close()


def _sqlite_connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=5.0, isolation_level=None, check_same_thread=False)
    conn.row_factory = _dict_row
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
        conn = _sqlite_connect(self.path)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.executescript(SQLITE_SCHEMA.read_text(encoding="utf-8"))
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
        conn = _sqlite_connect(self.path)
        try:
            conn.execute("SELECT 1 FROM subscriptions LIMIT 1").fetchall()
        finally:
            conn.close()

    def close(self) -> None:
        """Nothing stays open between units of work."""


def sqlite_path_from_url(database_url: str) -> str:
    """`sqlite:///relative/path` or `sqlite:////absolute/path` → the file path."""
    prefix = "sqlite:///"
    if not database_url.startswith(prefix) or len(database_url) == len(prefix):
        raise ValueError("a SQLite DATABASE_URL looks like sqlite:///path/to/file.db")
    return database_url[len(prefix) :].split("?", 1)[0]


def open_database(database_url: str) -> PostgresDatabase | SqliteDatabase:
    """The backend the URL names: postgresql:// or postgres:// → Postgres, sqlite:/// → SQLite."""
    scheme = database_url.split("://", 1)[0].lower()
    if scheme in ("postgresql", "postgres"):
        return PostgresDatabase(database_url)
    if scheme == "sqlite":
        return SqliteDatabase(sqlite_path_from_url(database_url))
    raise ValueError(f"unsupported DATABASE_URL scheme {scheme!r}")
