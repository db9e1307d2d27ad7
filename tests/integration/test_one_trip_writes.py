"""The two writes a student waits for, on both backends: opening a profile (made on
first sight, then its balance) and admitting a question (its interaction row with its
credit hold, both or neither). On Postgres each is one statement (migrations/007),
run alone in autocommit (inside an open transaction it joins it); the hold carries
the time it must be done by (migrations/008), past which it charges nothing."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from app.domain.records import CreditChange, Interaction
from app.repositories.interfaces import Database
from app.repositories.sql import PostgresDatabase
from app.repositories.sql.database import PoolTimeouts
from tests.integration.test_credit_contract import (
    assert_consistent,
    balance_and_ledger,
    make_user,
    run_together,
)

pytestmark = pytest.mark.integration


def question(user_id: str, **overrides: object) -> Interaction:
    values: dict[str, object] = {
        "id": str(uuid.uuid4()),
        "user_id": user_id,
        "session_id": "s-1",
        "question": "¿Qué es una derivada?",
        "question_hash": "ab" * 32,
        "answer_id": None,
        "source": "cache",
        "status": "streaming",
        "input_type": "text",
        "credits_charged": 1,
    }
    values.update(overrides)
    return Interaction(**values)  # type: ignore[arg-type]


def hold_new(db: Database, row: Interaction, credits: int, key: str) -> CreditChange:
    with db.unit_of_work() as uow:
        change = uow.credits.hold_new(row, credits, "question_cached", key)
        uow.commit()
    return change


def stored(db: Database, interaction_id: str) -> Interaction | None:
    with db.unit_of_work() as uow:
        return uow.interactions.get(interaction_id)


def test_hold_new_writes_the_interaction_and_its_hold(database: Database) -> None:
    user_id = make_user(database, 5)
    created = datetime(2026, 12, 4, 10, 11, 12, 345678, tzinfo=UTC)
    row = question(
        user_id,
        request_id="req-7",
        created_at=created,
        matched_question="¿qué es la derivada?",
        similarity=0.93,
    )
    change = hold_new(database, row, 2, f"charge:{row.id}")
    assert (change.status, change.balance) == ("applied", 3)
    assert stored(database, row.id) == row  # every column, as given
    balance, ledger = balance_and_ledger(database, user_id)
    hold = [m for m in ledger if m.idempotency_key == f"charge:{row.id}"]
    assert balance == 3
    assert [(m.credits, m.interaction_id, m.balance_after) for m in hold] == [(2, row.id, 3)]
    assert_consistent(database, user_id)


def test_a_refused_hold_adds_no_interaction(database: Database) -> None:
    user_id = make_user(database, 1)
    row = question(user_id)
    change = hold_new(database, row, 2, f"charge:{row.id}")  # committed all the same
    assert (change.status, change.balance) == ("insufficient", 1)
    assert stored(database, row.id) is None
    stranger = question(str(uuid.uuid4()))
    assert hold_new(database, stranger, 1, f"charge:{stranger.id}").status == "no_profile"
    assert stored(database, stranger.id) is None
    balance, ledger = balance_and_ledger(database, user_id)
    assert balance == 1 and [m.action_type for m in ledger] == ["grant"]


def test_concurrent_holds_of_new_questions_never_overdraw(database: Database) -> None:
    user_id = make_user(database, 5)
    rows = [question(user_id) for _ in range(20)]
    results = run_together(20, lambda i: hold_new(database, rows[i], 1, f"charge:{rows[i].id}"))
    assert Counter(r.status for r in results) == {"applied": 5, "insufficient": 15}
    kept = [row.id for row in rows if stored(database, row.id) is not None]
    applied = [row.id for row, r in zip(rows, results, strict=True) if r.applied]
    assert sorted(kept) == sorted(applied)
    assert balance_and_ledger(database, user_id)[0] == 0
    assert_consistent(database, user_id)


def test_open_profile_makes_it_once_and_returns_the_balance(database: Database) -> None:
    user_id = str(uuid.uuid4())

    def open_(_: int) -> CreditChange:
        with database.unit_of_work() as uow:
            balance = uow.credits.open_profile(user_id, "a@b.mx", 20)
            uow.commit()
        return CreditChange(status="opened", balance=balance)

    assert {r.balance for r in run_together(10, open_)} == {20}
    row = question(user_id)
    hold_new(database, row, 3, f"charge:{row.id}")
    assert open_(0).balance == 17
    balance, ledger = balance_and_ledger(database, user_id)
    assert balance == 17
    assert [(m.credits, m.action_type) for m in ledger if m.action_type == "grant"] == [
        (-20, "grant")
    ]
    with pytest.raises(ValueError), database.unit_of_work() as uow:
        uow.credits.open_profile(user_id, None, -1)


def test_hold_new_validates_like_apply_change(database: Database) -> None:
    user_id = make_user(database, 5)
    with database.unit_of_work() as uow:
        for credits, action, key in [(0, "question_cached", "k"), (-1, "question_cached", "k"),
                                     (1, "bogus", "k"), (1, "question_cached", "")]:  # fmt: skip
            with pytest.raises(ValueError):
                uow.credits.hold_new(question(user_id), credits, action, key)


# --------------------------------------------------------------------------- Postgres only


def count_rows(pg_url: str, query: str, key: str) -> int:
    """From a connection of its own: what is committed."""
    with psycopg.connect(pg_url) as other:
        row = other.execute(query, (key,)).fetchone()
    assert row is not None
    return int(row[0])


def test_alone_first_in_a_unit_is_committed_at_once(pg_url: str) -> None:
    db = PostgresDatabase(pg_url, min_size=1, max_size=2)
    try:
        user_id = str(uuid.uuid4())
        with db.unit_of_work() as uow:
            assert uow.credits.open_profile(user_id, None, 7) == 7
            conn = uow.connection
            assert conn is not None
            assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
            assert conn.autocommit is False  # switched back for the next statement
            # already visible: committed
            assert count_rows(pg_url, "SELECT count(*) FROM profiles WHERE id = %s", user_id) == 1
            # no commit: nothing is rolled back
        assert balance_and_ledger(db, user_id)[0] == 7
    finally:
        db.close()


def test_alone_inside_an_open_transaction_joins_it(pg_url: str) -> None:
    db = PostgresDatabase(pg_url, min_size=1, max_size=2)
    try:
        user_id = make_user(db, 5)
        other_user = str(uuid.uuid4())
        with db.unit_of_work() as uow:
            uow.profiles.get(user_id)  # the unit's transaction is open now
            assert uow.credits.open_profile(other_user, None, 7) == 7
            # not committed: rolled back on exit
        assert count_rows(pg_url, "SELECT count(*) FROM profiles WHERE id = %s", other_user) == 0
    finally:
        db.close()


def test_a_hold_first_in_a_unit_is_committed_at_once(pg_url: str) -> None:
    """Alone, like the profile: one round trip, committed when it returns."""
    db = PostgresDatabase(pg_url, min_size=1, max_size=2)
    try:
        user_id = make_user(db, 5)
        row = question(user_id)
        with db.unit_of_work() as uow:  # the hold is the unit's first statement
            assert uow.credits.hold_new(row, 1, "question_cached", f"charge:{row.id}").applied
            conn = uow.connection
            assert conn is not None
            assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
            count = "SELECT count(*) FROM interaction_history WHERE id = %s"
            assert count_rows(pg_url, count, row.id) == 1  # already visible: committed
        assert balance_and_ledger(db, user_id)[0] == 4
    finally:
        db.close()


def test_a_hold_carries_half_the_statement_deadline(pg_url: str) -> None:
    with_deadline = PostgresDatabase(pg_url, min_size=1, max_size=1, timeouts=PoolTimeouts(2, 2, 4))
    without = PostgresDatabase(pg_url, min_size=1, max_size=1, timeouts=PoolTimeouts(2, 2))
    try:
        with with_deadline.unit_of_work() as uow:
            uow.profiles.get(str(uuid.uuid4()))
            not_after = uow.credits.s.not_after()
        assert not_after is not None
        assert 1.9 <= (not_after - datetime.now(UTC)).total_seconds() <= 2.0
        with without.unit_of_work() as uow:
            uow.profiles.get(str(uuid.uuid4()))
            assert uow.credits.s.not_after() is None
    finally:
        with_deadline.close()
        without.close()


def test_a_hold_past_its_deadline_charges_nothing(pg_url: str) -> None:
    """What a frozen database does with a hold it runs once it thaws, past the time the
    server cut it (test_frozen_hold): it rolls back, and the server hears it."""
    db = PostgresDatabase(pg_url, min_size=1, max_size=2)
    try:
        user_id = make_user(db, 5)
        row = question(user_id)
        past = datetime.now(UTC) - timedelta(milliseconds=1)
        with db.unit_of_work() as uow:
            uow.credits.s.not_after = lambda: past  # type: ignore[method-assign]
            with pytest.raises(psycopg.errors.QueryCanceled, match="past its deadline"):
                uow.credits.hold_new(row, 1, "question_cached", f"charge:{row.id}")
        assert stored(db, row.id) is None
        assert balance_and_ledger(db, user_id)[0] == 5
        assert hold_new(db, row, 1, f"charge:{row.id}").applied  # in time: held
        assert balance_and_ledger(db, user_id)[0] == 4
    finally:
        db.close()


def test_a_hold_that_waited_past_its_deadline_for_a_lock_charges_nothing(pg_url: str) -> None:
    """The check is the hold's last step: a hold that waited on the balance's row lock
    until past its time rolls back, though it began in time."""
    db = PostgresDatabase(pg_url, min_size=1, max_size=1, timeouts=PoolTimeouts(2, 2, 1.0))
    try:
        user_id = make_user(db, 5)
        row = question(user_id)
        with psycopg.connect(pg_url) as locker:
            locker.execute("SELECT 1 FROM profiles WHERE id = %s FOR UPDATE", (user_id,))
            release = threading.Timer(0.7, locker.commit)  # past not_after (0.5 s), before the cut
            release.start()
            try:
                with pytest.raises(psycopg.errors.QueryCanceled, match="past its deadline"):
                    hold_new(db, row, 1, f"charge:{row.id}")
            finally:
                release.join()
        assert stored(db, row.id) is None
        assert balance_and_ledger(db, user_id)[0] == 5
    finally:
        db.close()


def test_a_hold_without_a_deadline_still_takes_four_arguments(pg_url: str) -> None:
    """007's signature, as a server not yet upgraded calls it during a rolling deploy."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        user_id = str(uuid.uuid4())
        conn.execute("SELECT public.ensure_profile(%s::uuid, NULL, 3)", (user_id,))
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="id and user_id"):
            conn.execute(
                "SELECT * FROM public.add_interaction_with_hold('{}'::jsonb, 1, 'question_cached', 'k')"
            )


def test_update_and_settle_alone_write_like_the_others(database: Database) -> None:
    user_id = make_user(database, 5)
    row = question(user_id)
    hold_new(database, row, 1, f"charge:{row.id}")
    started = datetime(2026, 12, 4, 10, 0, 1, tzinfo=UTC)
    with database.unit_of_work() as uow:
        uow.interactions.update(row.id, first_event_at=started, alone=True)
        uow.commit()
    with database.unit_of_work() as uow:
        assert uow.interactions.settle(row.id, "completed", completed_at=started, alone=True)
        uow.commit()
    with database.unit_of_work() as uow:
        assert not uow.interactions.settle(row.id, "stopped", alone=True)  # ends once
        uow.commit()
    got = stored(database, row.id)
    assert got is not None
    assert (got.status, got.first_event_at, got.completed_at) == ("completed", started, started)
