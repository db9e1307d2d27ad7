"""The embedded SQLite backend: URL handling, start-up schema and seeding."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.repositories.answer_bank import load_answer_bank
from app.repositories.seed import ANSWER_BANK_DIR, load_seed_data, seed_database
from app.repositories.sql import (
    SqliteDatabase,
    open_database,
    sqlite_path_from_url,
)


def test_sqlite_url_paths() -> None:
    assert sqlite_path_from_url("sqlite:///instance/guia.db") == "instance/guia.db"
    assert sqlite_path_from_url("sqlite:////var/lib/guia.db") == "/var/lib/guia.db"
    for bad in ("sqlite://", "sqlite:///", "sqlite:/x.db"):
        with pytest.raises(ValueError):
            sqlite_path_from_url(bad)


def test_open_database_makes_folder_schema_and_wal(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "guia.db"
    db = open_database(f"sqlite:///{target}")
    assert isinstance(db, SqliteDatabase)
    db.ping()
    with sqlite3.connect(target) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables >= {
        "subscriptions",
        "profiles",
        "predefined_answers",
        "interaction_history",
        "voice_interactions",
        "credit_usage",
    }
    db.close()
    # Constructing again on the same file is harmless (start-up runs every time).
    SqliteDatabase(target).ping()


def test_units_of_work_use_busy_timeout_and_foreign_keys(sqlite_database: SqliteDatabase) -> None:
    with sqlite_database.unit_of_work() as uow:
        conn = uow.connection
        assert conn is not None
        assert conn.execute("PRAGMA busy_timeout").fetchone() == {"timeout": 5000}
        assert conn.execute("PRAGMA foreign_keys").fetchone() == {"foreign_keys": 1}


def test_unknown_scheme_and_memory_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        open_database("mysql://localhost/db")
    with pytest.raises(ValueError):
        SqliteDatabase(":memory:")


def test_seed_database_is_idempotent(sqlite_database: SqliteDatabase) -> None:
    answers = len(load_seed_data()["answers"]) + len(load_answer_bank(ANSWER_BANK_DIR))
    # Plans are made at start-up (the profiles' default plan must exist).
    first = seed_database(sqlite_database)
    assert first == {"subscriptions": 0, "answers": answers, "answers_updated": 0}
    again = seed_database(sqlite_database)
    assert again == {"subscriptions": 0, "answers": 0, "answers_updated": 0}
    with sqlite_database.unit_of_work() as uow:
        assert uow.answers.count() == answers
        assert [p.id for p in uow.subscriptions.list()] == ["free", "basic", "premium"]


def test_an_older_file_gains_the_answer_topic_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        # predefined_answers as it was before 005_answer_topics.
        conn.execute(
            "CREATE TABLE predefined_answers (id TEXT PRIMARY KEY, question_hash TEXT NOT NULL "
            "UNIQUE, normalized_question TEXT NOT NULL, question TEXT NOT NULL, answer TEXT NOT "
            "NULL, source TEXT NOT NULL DEFAULT 'seed', created_at TEXT NOT NULL)"
        )
        conn.execute(
            "INSERT INTO predefined_answers VALUES ('00000000-0000-4000-8000-000000000001', "
            "'h', 'q', 'q', '{}', 'openai', '2025-01-01T00:00:00.000000+00:00')"
        )
    database = SqliteDatabase(path)
    SqliteDatabase(path)  # a second start-up finds the columns there
    with sqlite3.connect(path) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(predefined_answers)")]
    # The columns of 005_answer_topics, then those of 006_semantic_cache, in order.
    assert columns[7:] == ["area", "topic", "embedding", "embedding_model"]
    with database.unit_of_work() as uow:
        old = uow.answers.get_by_hash("h")
    assert old is not None and (old.source, old.area, old.topic) == ("openai", None, None)


def test_write_lock_taken_at_first_write_only(sqlite_database: SqliteDatabase) -> None:
    with sqlite_database.unit_of_work() as uow:
        assert uow.connection is not None
        uow.profiles.get("00000000-0000-4000-8000-000000000000")
        assert not uow.connection.in_transaction  # reads alone hold no lock
        uow.credits.ensure_profile("00000000-0000-4000-8000-000000000000", None, 3)
        assert uow.connection.in_transaction
        # Another writer must wait for this one (BEGIN IMMEDIATE holds the lock).
        other = sqlite3.connect(sqlite_database.path, timeout=0.05, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
        uow.commit()
        assert not uow.connection.in_transaction
