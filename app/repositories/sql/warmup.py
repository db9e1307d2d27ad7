"""A new pooled Postgres connection runs one question's writes once, rolled back,
before it serves.

A fresh backend plans its first statements, loads the tables' catalog entries,
compiles the plpgsql credit functions (migrations 004, 007) and prepares the foreign-key checks the
first time each is used. With the whole pool opened at start and its connections
taken in turn, the first asks of a fresh server each paid that on another cold
connection (measured: the first credit hold 3.6 ms and interaction insert 1.8 ms
against 1.1 and 0.95 ms warm; one idle ask 11-16 ms on a fresh server). Here the
pool's `configure` hook does it once per connection, off the request path: a
profile, an interaction, its hold, its first event and its settling, for ids no
one else uses, then a rollback, so nothing of it is kept.

Best effort: a database not migrated yet (`flask db upgrade` opens the pool too) or
any other error leaves the connection as it was, rolled back.
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg
import structlog

from app.domain.records import Interaction
from app.repositories.sql.answers import SqlAnswerRepository
from app.repositories.sql.credits import PostgresCreditRepository
from app.repositories.sql.dialect import PostgresSession
from app.repositories.sql.interactions import SqlInteractionRepository
from app.repositories.sql.watchdog import Watchdog

log = structlog.get_logger(__name__)

WARM_UP_KEY = "warm-up"  # idempotency key of the rolled-back hold
NO_HASH = "0" * 64  # a question hash no question has


def warm_up(conn: psycopg.Connection[Any], watchdog: Watchdog | None = None) -> None:
    """One question's statements on `conn`, rolled back; never raises. Each statement
    is under the `watchdog`'s deadline, if any, like every other statement."""
    session = PostgresSession(conn, watchdog=watchdog)
    credits = PostgresCreditRepository(session)
    interactions = SqlInteractionRepository(session)
    user_id, interaction_id = str(uuid.uuid4()), str(uuid.uuid4())
    try:
        SqlAnswerRepository(session).get_by_hash(NO_HASH)  # opens the transaction first:
        credits.open_profile(user_id, None, 1)  # so these join it, not autocommit
        credits.hold_new(_interaction(interaction_id, user_id), 1, "question_cached", WARM_UP_KEY)
        interactions.update(interaction_id, first_event_at=datetime.now(UTC))
        interactions.settle(interaction_id, "completed", completed_at=datetime.now(UTC))
    except Exception as exc:  # noqa: BLE001 - best effort: the connection serves anyway
        log.debug("connection_warm_up_skipped", error=type(exc).__name__)
    finally:
        with contextlib.suppress(psycopg.Error):  # dead: the pool's own check discards it
            conn.rollback()


def _interaction(interaction_id: str, user_id: str) -> Interaction:
    return Interaction(
        id=interaction_id,
        user_id=user_id,
        session_id=None,
        question="warm-up",
        question_hash=NO_HASH,
        answer_id=None,
        source="cache",
        status="streaming",
        input_type="text",
        credits_charged=1,
        request_id=None,
    )
