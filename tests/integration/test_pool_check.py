"""The Postgres pool checks a connection only when it sat idle, and still never hands
out one the server closed while it was idle."""

from __future__ import annotations

import psycopg
import pytest

from app.repositories.sql import PostgresDatabase
from app.repositories.sql.database import IdleCheck
from tests.support.round_trips import counting

pytestmark = pytest.mark.integration


def test_a_busy_connection_is_not_pinged_an_idle_one_is(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = PostgresDatabase(pg_url, min_size=1, max_size=1)
    try:
        with db.unit_of_work() as uow:
            uow.answers.count()
        with counting(monkeypatch) as trips:
            with db.unit_of_work() as uow:
                uow.answers.count()
            assert trips.snapshot()["sql"] == 3  # begin, the query, rollback
            db._idle_check.idle_after_s = 0.0  # everything counts as idle now
            with db.unit_of_work() as uow:
                uow.answers.count()
            assert trips.snapshot()["sql"] == 3 + 4  # the check, then begin, query, rollback
    finally:
        db.close()


def test_a_connection_the_server_closed_while_idle_is_replaced(pg_url: str) -> None:
    db = PostgresDatabase(pg_url, min_size=1, max_size=1)
    try:
        with db.unit_of_work() as uow:
            pid = uow.connection.info.backend_pid  # type: ignore[union-attr]
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        db._idle_check.idle_after_s = 0.0
        with db.unit_of_work() as uow:
            assert uow.answers.count() >= 0
            assert uow.connection.info.backend_pid != pid  # type: ignore[union-attr]
    finally:
        db.close()


def test_the_idle_check_pings_unknown_connections(pg_url: str) -> None:
    check = IdleCheck(idle_after_s=60)
    with psycopg.connect(pg_url) as conn:
        check(conn)  # never returned through a unit of work: checked
        check.returned(conn)
        conn.close()
        check(conn)  # recently returned: trusted without a round trip


def test_a_trusted_connection_found_dead_on_the_first_statement_is_replaced(pg_url: str) -> None:
    db = PostgresDatabase(pg_url, min_size=1, max_size=1)
    try:
        with db.unit_of_work() as uow:
            pid = uow.connection.info.backend_pid  # type: ignore[union-attr]
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with db.unit_of_work() as uow:  # returned moments ago: not checked, yet it works
            assert uow.answers.count() >= 0
            uow.commit()
            assert uow.connection.info.backend_pid != pid  # type: ignore[union-attr]
    finally:
        db.close()
