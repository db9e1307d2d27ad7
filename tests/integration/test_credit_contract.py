"""Credits are never spent twice and never go below zero, on both backends."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest

from app.domain.records import CreditChange
from app.repositories.interfaces import Database
from app.repositories.sql import PostgresDatabase

pytestmark = pytest.mark.integration


def make_user(db: Database, credits: int) -> str:
    user_id = str(uuid.uuid4())
    with db.unit_of_work() as uow:
        assert uow.credits.ensure_profile(user_id, None, credits)
        uow.commit()
    return user_id


def apply(db: Database, user_id: str, credits: int, action: str, key: str) -> CreditChange:
    with db.unit_of_work() as uow:
        change = uow.credits.apply_change(user_id, credits, action, key)
        uow.commit()
    return change


def balance_and_ledger(db: Database, user_id: str) -> tuple[int, list[Any]]:
    with db.unit_of_work() as uow:
        profile = uow.profiles.get(user_id)
        assert profile is not None
        return profile.credits, uow.credits.list_for_user(user_id, 1000, None)


def run_together(n: int, task: Callable[[int], CreditChange]) -> list[CreditChange]:
    """Start n threads at the same instant (a barrier) and collect their results."""
    barrier = threading.Barrier(n)

    def go(i: int) -> CreditChange:
        barrier.wait()
        return task(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(go, range(n)))


def assert_consistent(db: Database, user_id: str) -> None:
    balance, ledger = balance_and_ledger(db, user_id)
    assert balance == -sum(m.credits for m in ledger)
    with db.unit_of_work() as uow:
        assert user_id not in [m[0] for m in uow.credits.ledger_mismatches()]


def test_fifty_concurrent_spends_of_one_from_ten(database: Database) -> None:
    user_id = make_user(database, 10)
    results = run_together(
        50, lambda i: apply(database, user_id, 1, "question_cached", f"spend-{i}")
    )
    statuses = Counter(r.status for r in results)
    assert statuses == {"applied": 10, "insufficient": 40}
    assert sorted(r.balance for r in results if r.applied) == list(range(10))
    assert all(r.balance == 0 for r in results if r.status == "insufficient")
    balance, ledger = balance_and_ledger(database, user_id)
    assert balance == 0
    spends = [m for m in ledger if m.action_type == "question_cached"]
    assert len(spends) == 10 and sum(m.credits for m in spends) == 10
    assert sorted(m.balance_after for m in spends) == list(range(10))
    assert_consistent(database, user_id)


def test_same_key_twenty_times_concurrently_moves_credits_once(database: Database) -> None:
    user_id = make_user(database, 10)
    results = run_together(20, lambda i: apply(database, user_id, 3, "question_generated", "rq-1"))
    statuses = Counter(r.status for r in results)
    assert statuses == {"applied": 1, "duplicate": 19}
    applied = next(r for r in results if r.applied)
    assert all(r.ledger_id == applied.ledger_id for r in results)
    assert all(r.balance == 7 for r in results)
    balance, ledger = balance_and_ledger(database, user_id)
    assert balance == 7
    assert [m.idempotency_key for m in ledger] == ["rq-1", "signup"]
    assert_consistent(database, user_id)


def test_refund_applied_twice_restores_once(database: Database) -> None:
    user_id = make_user(database, 10)
    assert apply(database, user_id, 2, "question_generated", "ask-1").balance == 8
    first = apply(database, user_id, -2, "refund", "ask-1:refund")
    second = apply(database, user_id, -2, "refund", "ask-1:refund")
    assert (first.status, first.balance) == ("applied", 10)
    assert (second.status, second.balance, second.ledger_id) == ("duplicate", 10, first.ledger_id)
    balance, ledger = balance_and_ledger(database, user_id)
    assert balance == 10
    assert [(m.credits, m.action_type) for m in ledger] == [
        (-2, "refund"),
        (2, "question_generated"),
        (-10, "grant"),
    ]
    assert_consistent(database, user_id)


def test_concurrent_refunds_with_one_key_restore_once(database: Database) -> None:
    user_id = make_user(database, 5)
    apply(database, user_id, 5, "question_generated", "big")
    results = run_together(10, lambda i: apply(database, user_id, -5, "refund", "big:refund"))
    assert Counter(r.status for r in results) == {"applied": 1, "duplicate": 9}
    assert balance_and_ledger(database, user_id)[0] == 5
    assert_consistent(database, user_id)


def test_spend_below_zero_is_insufficient_and_leaves_no_row(database: Database) -> None:
    user_id = make_user(database, 2)
    change = apply(database, user_id, 3, "question_generated", "too-much")
    assert (change.status, change.balance, change.ledger_id) == ("insufficient", 2, None)
    with database.unit_of_work() as uow:
        assert uow.credits.find(user_id, "too-much") is None
    # The key was not used up: once there is enough, the same key applies.
    apply(database, user_id, -5, "grant", "top-up")
    retry = apply(database, user_id, 3, "question_generated", "too-much")
    assert (retry.status, retry.balance) == ("applied", 4)
    assert_consistent(database, user_id)


def test_concurrent_first_sight_makes_one_profile_and_one_grant(database: Database) -> None:
    user_id = str(uuid.uuid4())

    def ensure(_: int) -> CreditChange:
        with database.unit_of_work() as uow:
            made = uow.credits.ensure_profile(user_id, None, 20)
            uow.commit()
        return CreditChange(status="made" if made else "existed", balance=None)

    results = run_together(10, ensure)
    assert Counter(r.status for r in results) == {"made": 1, "existed": 9}
    balance, ledger = balance_and_ledger(database, user_id)
    assert balance == 20
    assert [(m.credits, m.action_type, m.idempotency_key) for m in ledger] == [
        (-20, "grant", "signup")
    ]


def test_killed_connection_mid_transaction_leaves_ledger_consistent(pg_url: str) -> None:
    db = PostgresDatabase(pg_url, min_size=1, max_size=2)
    try:
        user_id = make_user(db, 10)
        uow = db.unit_of_work()
        uow.__enter__()
        try:
            change = uow.credits.apply_change(user_id, 3, "question_generated", "doomed")
            assert (change.status, change.balance) == ("applied", 7)
            assert uow.connection is not None
            pid = uow.connection.info.backend_pid
            with psycopg.connect(pg_url, autocommit=True) as killer:
                killed = killer.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))
                assert killed.fetchone() == (True,)
            with pytest.raises(psycopg.OperationalError):
                uow.commit()
        finally:
            uow.__exit__(None, None, None)

        # The pool hands out a healthy connection; nothing of the dead one survived.
        balance, ledger = balance_and_ledger(db, user_id)
        assert balance == 10
        assert [m.idempotency_key for m in ledger] == ["signup"]
        assert_consistent(db, user_id)
        retry = apply(db, user_id, 3, "question_generated", "doomed")
        assert (retry.status, retry.balance) == ("applied", 7)
        assert_consistent(db, user_id)
    finally:
        db.close()
