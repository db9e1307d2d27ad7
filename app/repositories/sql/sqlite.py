"""The embedded database: a SQLite file, its schema made at start-up."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from app.repositories.seed import load_seed_data, seed_plans
from app.repositories.sql.credits import SqliteCreditRepository
from app.repositories.sql.dialect import SqliteSession, SqlSession, dict_row_factory
from app.repositories.sql.unit import SqlUnitOfWork

SQLITE_SCHEMA = Path(__file__).with_name("sqlite_schema.sql")
# Columns added after a table's first release (the Postgres migration that adds
# each is named): CREATE TABLE IF NOT EXISTS leaves an older file's table as it
# was, so start-up adds what is missing.
SQLITE_ADDED_COLUMNS = (
    ("predefined_answers", "area", "TEXT"),  # 005_answer_topics
    ("predefined_answers", "topic", "TEXT"),  # 005_answer_topics
    ("predefined_answers", "embedding", "BLOB"),  # 006_semantic_cache
    ("predefined_answers", "embedding_model", "TEXT"),  # 006_semantic_cache
    ("interaction_history", "matched_question", "TEXT"),  # 006_semantic_cache
    ("interaction_history", "similarity", "REAL"),  # 006_semantic_cache
)


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
