"""Row level security as a Supabase client would meet it.

Policies are checked under `SET LOCAL ROLE authenticated` with the JWT claims
set the way PostgREST sets them: the owner bypasses RLS, so testing as the
owner would prove nothing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import psycopg
import pytest

from app.domain.records import Interaction, VoiceInteraction
from app.repositories.sql import PostgresDatabase

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def users(pg_url: str) -> tuple[str, str]:
    """Two users, each with a profile, an interaction, a voice clip and ledger rows."""
    db = PostgresDatabase(pg_url, max_size=2)
    ids = []
    try:
        for _ in range(2):
            user_id = str(uuid.uuid4())
            interaction_id = str(uuid.uuid4())
            with db.unit_of_work() as uow:
                uow.credits.ensure_profile(user_id, f"{user_id[:8]}@example.com", 20)
                uow.interactions.add(
                    Interaction(
                        id=interaction_id,
                        user_id=user_id,
                        session_id="s",
                        question="¿Qué es un mol?",
                        question_hash=None,
                        answer_id=None,
                        source="cache",
                        status="completed",
                        input_type="voice",
                        credits_charged=1,
                        created_at=datetime.now(UTC),
                    )
                )
                uow.voices.add(
                    VoiceInteraction(
                        id=str(uuid.uuid4()),
                        user_id=user_id,
                        interaction_id=interaction_id,
                        format="webm",
                        bytes=100,
                        duration_s=1.0,
                        transcript="¿Qué es un mol?",
                        status="transcribed",
                    )
                )
                assert uow.credits.apply_change(user_id, 1, "question_cached", "q1").applied
                uow.commit()
            ids.append(user_id)
    finally:
        db.close()
    return ids[0], ids[1]


@contextmanager
def as_role(pg_url: str, role: str, sub: str | None = None) -> Iterator[psycopg.Connection]:
    """A transaction running as `role` with the claims of user `sub` (like PostgREST)."""
    with psycopg.connect(pg_url) as conn:
        conn.execute(f"SET LOCAL ROLE {role}")
        claims = {"role": role} | ({"sub": sub} if sub else {})
        conn.execute("SELECT set_config('request.jwt.claims', %s, true)", (json.dumps(claims),))
        yield conn
        conn.rollback()


def owners(conn: psycopg.Connection, query: str) -> set[str]:
    return {str(row[0]) for row in conn.execute(query).fetchall()}


def test_user_sees_only_own_rows(pg_url: str, users: tuple[str, str]) -> None:
    a, b = users
    with as_role(pg_url, "authenticated", a) as conn:
        assert conn.execute("SELECT auth.uid()::text").fetchone() == (a,)
        assert owners(conn, "SELECT id FROM profiles") == {a}
        assert owners(conn, "SELECT user_id FROM interaction_history") == {a}
        assert owners(conn, "SELECT user_id FROM voice_interactions") == {a}
        assert owners(conn, "SELECT user_id FROM credit_usage") == {a}
        assert conn.execute("SELECT count(*) FROM credit_usage").fetchone() == (2,)
        assert conn.execute(
            "SELECT count(*) FROM profiles WHERE id = %s", (uuid.UUID(b),)
        ).fetchone() == (0,)
    with as_role(pg_url, "authenticated", b) as conn:
        assert owners(conn, "SELECT id FROM profiles") == {b}
        assert owners(conn, "SELECT user_id FROM credit_usage") == {b}


def test_user_reads_shared_tables(pg_url: str, users: tuple[str, str]) -> None:
    with as_role(pg_url, "authenticated", users[0]) as conn:
        (answers,) = conn.execute("SELECT count(*) FROM predefined_answers").fetchone()  # type: ignore[misc]
        assert answers >= 12
        plans = {r[0] for r in conn.execute("SELECT id FROM subscriptions").fetchall()}
        assert plans >= {"free", "basic", "premium"}
        # The answer bank's tags (005) are readable like the rest of the row.
        conn.execute("SELECT area, topic FROM predefined_answers").fetchall()


def test_no_claims_sees_nothing(pg_url: str, users: tuple[str, str]) -> None:
    with as_role(pg_url, "authenticated") as conn:
        assert conn.execute("SELECT count(*) FROM profiles").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM credit_usage").fetchone() == (0,)


@pytest.mark.parametrize("target", [0, 1])
def test_user_cannot_change_credits(pg_url: str, users: tuple[str, str], target: int) -> None:
    a = users[0]
    victim = users[target]
    with as_role(pg_url, "authenticated", a) as conn:
        try:
            cur = conn.execute(
                "UPDATE profiles SET credits = 999 WHERE id = %s", (uuid.UUID(victim),)
            )
            assert cur.rowcount == 0
        except psycopg.errors.InsufficientPrivilege:
            pass
    with psycopg.connect(pg_url) as conn:
        row = conn.execute("SELECT credits FROM profiles WHERE id = %s", (uuid.UUID(victim),))
        assert row.fetchone() == (19,)


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO credit_usage (user_id, credits, action_type, idempotency_key, balance_after) "
        "VALUES ('{a}', -1000, 'grant', 'free-money', 1000)",
        "DELETE FROM credit_usage WHERE user_id = '{a}'",
        "INSERT INTO profiles (id, credits) VALUES ('{new}', 1000)",
        "INSERT INTO predefined_answers (question_hash, normalized_question, question, answer) "
        "VALUES ('x', 'x', 'x', '{{}}')",
        "UPDATE subscriptions SET monthly_credits = 100000",
    ],
)
def test_client_writes_are_denied(pg_url: str, users: tuple[str, str], statement: str) -> None:
    a = users[0]
    with (
        as_role(pg_url, "authenticated", a) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute(statement.format(a=a, new=uuid.uuid4()))  # type: ignore[arg-type]


@pytest.mark.parametrize("role", ["authenticated", "anon"])
@pytest.mark.parametrize(
    "call",
    [
        "SELECT * FROM public.apply_credit_change('{a}'::uuid, -1000, 'grant', 'rpc-1')",
        "SELECT public.ensure_profile('{new}'::uuid, NULL, 1000)",
        "SELECT * FROM public.open_profile('{new}'::uuid, NULL, 1000)",
        "SELECT * FROM public.add_interaction_with_hold("
        '\'{{"id": "{new}", "user_id": "{a}"}}\'::jsonb, -1000, \'grant\', \'rpc-2\')',
    ],
)
def test_credit_functions_denied_to_clients(
    pg_url: str, users: tuple[str, str], role: str, call: str
) -> None:
    with (
        as_role(pg_url, role, users[0]) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute(call.format(a=users[0], new=uuid.uuid4()))  # type: ignore[arg-type]


def test_anon_reads_nothing(pg_url: str, users: tuple[str, str]) -> None:
    for table in ("profiles", "credit_usage", "predefined_answers"):
        with as_role(pg_url, "anon") as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"SELECT 1 FROM {table}")  # type: ignore[arg-type]


def test_service_role_may_apply_credit_changes(pg_url: str, users: tuple[str, str]) -> None:
    a = users[0]
    with as_role(pg_url, "service_role") as conn:
        row = conn.execute(
            "SELECT status, balance FROM public.apply_credit_change(%s, 2, 'question_cached', 'svc-1')",
            (uuid.UUID(a),),
        ).fetchone()
        assert row == ("applied", 17)
        assert conn.execute(
            "SELECT public.ensure_profile(%s, NULL, 5)", (uuid.uuid4(),)
        ).fetchone() == (True,)
        # service_role bypasses RLS: it sees every user's rows.
        (n,) = conn.execute("SELECT count(DISTINCT user_id) FROM credit_usage").fetchone()  # type: ignore[misc]
        assert n >= 3
    # as_role rolled back: nothing changed for the other tests.
    with psycopg.connect(pg_url) as conn:
        assert conn.execute(
            "SELECT credits FROM profiles WHERE id = %s", (uuid.UUID(a),)
        ).fetchone() == (19,)
