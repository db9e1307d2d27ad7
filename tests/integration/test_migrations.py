"""The SQL migrations on a new, empty Postgres database."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest

from app.repositories.seed import load_seed_data
from app.repositories.sql.migrations import applied_versions, migration_files, seed_sql, upgrade

pytestmark = pytest.mark.integration

TABLES = (
    "subscriptions",
    "profiles",
    "predefined_answers",
    "interaction_history",
    "voice_interactions",
    "credit_usage",
)
ALL_VERSIONS = [p.stem for p in migration_files()]


def test_upgrade_twice_then_seed_twice(pg_empty_url: str) -> None:
    assert ALL_VERSIONS[:6] == [
        "000_supabase_compat",
        "001_create_tables",
        "002_add_indexes",
        "003_seed_data",
        "004_credit_functions",
        "005_answer_topics",
    ]
    assert upgrade(pg_empty_url) == ALL_VERSIONS
    assert upgrade(pg_empty_url) == []
    assert applied_versions(pg_empty_url) == ALL_VERSIONS
    assert seed_sql(pg_empty_url) == {"subscriptions": 0, "answers": 0}
    assert seed_sql(pg_empty_url) == {"subscriptions": 0, "answers": 0}
    data = load_seed_data()
    with psycopg.connect(pg_empty_url) as conn:
        plans = dict(conn.execute("SELECT id, monthly_credits FROM subscriptions").fetchall())
        assert plans == {"free": 20, "basic": 200, "premium": 1000}
        (answers,) = conn.execute("SELECT count(*) FROM predefined_answers").fetchone()  # type: ignore[misc]
        assert answers == len(data["answers"]) >= 12
        # Seeding an emptied table puts the rows back, still once each.
        conn.execute("DELETE FROM predefined_answers")
        conn.commit()
    assert seed_sql(pg_empty_url) == {"subscriptions": 0, "answers": len(data["answers"])}


def test_rls_enabled_on_every_table(pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute(
            "SELECT relname, relrowsecurity FROM pg_class "
            "WHERE relnamespace = 'public'::regnamespace AND relname = ANY(%s)",
            (list(TABLES),),
        ).fetchall()
    assert dict(rows) == {t: True for t in TABLES}


def test_signup_trigger_makes_profile_with_free_credits(pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        (user_id,) = conn.execute(  # type: ignore[misc]
            "INSERT INTO auth.users (email) VALUES ('nuevo@example.com') RETURNING id"
        ).fetchone()
        conn.commit()
        profile = conn.execute(
            "SELECT email, credits, subscription_id FROM profiles WHERE id = %s", (user_id,)
        ).fetchone()
        ledger = conn.execute(
            "SELECT credits, action_type, idempotency_key, balance_after FROM credit_usage "
            "WHERE user_id = %s",
            (user_id,),
        ).fetchall()
    assert profile == ("nuevo@example.com", 20, "free")
    assert ledger == [(-20, "grant", "signup", 20)]


def _catalog_snapshot(conn: psycopg.Connection) -> list[tuple[object, ...]]:
    """Everything 000 could create, with identities that change if it is re-made."""
    rows = conn.execute(
        "SELECT 'role', rolname, oid::bigint FROM pg_roles "
        "  WHERE rolname IN ('anon', 'authenticated', 'service_role') "
        "UNION ALL SELECT 'proc', proname, oid::bigint FROM pg_proc "
        "  WHERE pronamespace = 'auth'::regnamespace "
        "UNION ALL SELECT 'table', relname, oid::bigint FROM pg_class "
        "  WHERE relnamespace = 'auth'::regnamespace "
        "UNION ALL SELECT 'schema', nspname, oid::bigint FROM pg_namespace WHERE nspname = 'auth' "
        "ORDER BY 1, 2"
    ).fetchall()
    return list(rows)


def test_compat_migration_is_a_no_op_when_run_again(pg_url: str) -> None:
    compat = next(p for p in migration_files() if p.stem == "000_supabase_compat")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        before = _catalog_snapshot(conn)
        assert {(kind, name) for kind, name, _ in before} >= {
            ("role", "anon"),
            ("role", "authenticated"),
            ("role", "service_role"),
            ("proc", "uid"),
            ("proc", "jwt"),
            ("proc", "role"),
            ("table", "users"),
            ("schema", "auth"),
        }
        conn.execute(compat.read_text(encoding="utf-8"))
        assert _catalog_snapshot(conn) == before
        # auth.uid() reads the claims like Supabase's does.
        with conn.transaction():
            conn.execute(
                "SELECT set_config('request.jwt.claims', %s, true)",
                ('{"sub": "0b9f2a4e-5d7c-4e43-9a8f-1c2d3e4f5a6b", "role": "authenticated"}',),
            )
            row = conn.execute("SELECT auth.uid()::text, auth.role(), auth.jwt() ->> 'sub'")
            assert row.fetchone() == (
                "0b9f2a4e-5d7c-4e43-9a8f-1c2d3e4f5a6b",
                "authenticated",
                "0b9f2a4e-5d7c-4e43-9a8f-1c2d3e4f5a6b",
            )
        # After the transaction the setting reads back as '': uid() is null, not an error.
        assert conn.execute("SELECT auth.uid()").fetchone() == (None,)


def test_concurrent_runners_apply_each_migration_once(pg_empty_url: str) -> None:
    results: list[list[str]] = []
    barrier = threading.Barrier(3)

    def run() -> None:
        barrier.wait()
        results.append(upgrade(pg_empty_url))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results, key=len) == [[], [], ALL_VERSIONS]


def test_failed_migration_is_not_recorded_and_retried(pg_empty_url: str, tmp_path: Path) -> None:
    (tmp_path / "001_ok.sql").write_text("CREATE TABLE t_ok (id int);")
    (tmp_path / "002_bad.sql").write_text("CREATE TABLE t_half (id int); SELECT 1/0;")
    with pytest.raises(psycopg.errors.DivisionByZero):
        upgrade(pg_empty_url, tmp_path)
    assert applied_versions(pg_empty_url) == ["001_ok"]
    with psycopg.connect(pg_empty_url) as conn:
        assert conn.execute("SELECT to_regclass('t_half')").fetchone() == (None,)
    (tmp_path / "002_bad.sql").write_text("CREATE TABLE t_half (id int);")
    assert upgrade(pg_empty_url, tmp_path) == ["002_bad"]
    assert upgrade(pg_empty_url, tmp_path) == []


def test_sqlite_schema_has_the_same_tables_and_columns(pg_url: str, tmp_path: Path) -> None:
    import sqlite3

    from app.repositories.sql import SqliteDatabase

    db = SqliteDatabase(tmp_path / "parity.db")
    with sqlite3.connect(db.path) as lite:
        sqlite_cols = {
            table: [r[1] for r in lite.execute(f"PRAGMA table_info({table})")] for table in TABLES
        }
        sqlite_indexes = {
            r[0]
            for r in lite.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
            if not r[0].startswith("sqlite_autoindex")
        }
    with psycopg.connect(pg_url) as conn:
        pg_cols = {
            table: [
                r[0]
                for r in conn.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position",
                    (table,),
                )
            ]
            for table in TABLES
        }
        pg_indexes = {
            r[0]
            for r in conn.execute(
                "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' "
                "AND indexname LIKE '%%\\_idx'"
            )
        }
    assert sqlite_cols == pg_cols
    assert sqlite_indexes == pg_indexes
