"""A new pooled connection runs one question's writes, rolled back: it leaves no row
behind, hands the connection over idle, and does nothing on a database without the
tables (the pool of `flask db upgrade`)."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import pq
from psycopg.rows import dict_row

from app.repositories.sql import PostgresDatabase
from app.repositories.sql.warmup import warm_up

pytestmark = pytest.mark.integration

TABLES = ("profiles", "interaction_history", "credit_usage")


def counts(conn: psycopg.Connection) -> dict[str, int]:
    return {t: conn.execute(f"SELECT count(*) FROM public.{t}").fetchone()[0] for t in TABLES}


def ledger_ids_taken(conn: psycopg.Connection) -> int:
    """Identity values handed out so far (a rolled-back insert still takes one)."""
    row = conn.execute("SELECT last_value, is_called FROM public.credit_usage_id_seq").fetchone()
    return row[0] if row[1] else 0


def test_warm_up_runs_a_whole_question_and_keeps_nothing(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as admin:
        before, ids_before = counts(admin), ledger_ids_taken(admin)
        with psycopg.connect(pg_url, row_factory=dict_row) as conn:
            warm_up(conn)
            assert conn.info.transaction_status == pq.TransactionStatus.IDLE
        assert counts(admin) == before
        # the opening balance and the hold were really written, then rolled back
        assert ledger_ids_taken(admin) >= ids_before + 2


def test_every_pooled_connection_is_warmed_before_it_serves(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as admin:
        before, ids_before = counts(admin), ledger_ids_taken(admin)
        db = PostgresDatabase(pg_url, min_size=3, max_size=3)
        try:
            db._pool.wait(timeout=10)
            with db.unit_of_work() as uow:
                assert uow.answers.count() >= 0
        finally:
            db.close()
        assert counts(admin) == before
        assert ledger_ids_taken(admin) >= ids_before + 2 * 3


def test_warm_up_on_a_database_without_tables_does_nothing(pg_empty_url: str) -> None:
    with psycopg.connect(pg_empty_url) as conn:
        warm_up(conn)
        assert conn.info.transaction_status == pq.TransactionStatus.IDLE
        assert conn.execute("SELECT 1").fetchone() == (1,)
