"""The repository interface both database backends implement.

Services depend only on these protocols; the Postgres and SQLite classes are
the only code that speaks SQL. One contract test suite runs against both.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from app.domain.records import (
    CreditChange,
    CreditMovement,
    Interaction,
    PredefinedAnswer,
    Profile,
    Subscription,
    VoiceInteraction,
)


class SubscriptionRepository(Protocol):
    def upsert(self, plan: Subscription) -> None: ...
    def get(self, plan_id: str) -> Subscription | None: ...
    def list(self) -> list[Subscription]: ...


class ProfileRepository(Protocol):
    def get(self, user_id: str) -> Profile | None: ...
    def set_subscription(
        self, user_id: str, plan_id: str | None, renews_at: datetime | None
    ) -> None: ...
    def list_ids(self) -> list[str]: ...


class AnswerRepository(Protocol):
    def get(self, answer_id: str) -> PredefinedAnswer | None: ...
    def get_by_hash(self, question_hash: str) -> PredefinedAnswer | None: ...
    def add_if_absent(
        self,
        question_hash: str,
        normalized_question: str,
        question: str,
        answer: dict[str, Any],
        source: str,
        area: str | None = None,
        topic: str | None = None,
    ) -> PredefinedAnswer:
        """Insert unless the hash exists; return the stored row either way."""
        ...

    def put_curated(
        self,
        question_hash: str,
        normalized_question: str,
        question: str,
        answer: dict[str, Any],
        area: str,
        topic: str,
    ) -> str:
        """Store or refresh an answer bank entry; 'added', 'updated' or 'unchanged'."""
        ...

    def count(self) -> int: ...


class InteractionRepository(Protocol):
    def add(self, interaction: Interaction) -> None: ...
    def get(self, interaction_id: str) -> Interaction | None: ...
    def update(self, interaction_id: str, **fields: Any) -> None:
        """Set the given columns (names from the schema); unknown names raise."""
        ...

    def list_for_user(
        self, user_id: str, limit: int, before: tuple[datetime, str] | None
    ) -> list[Interaction]:
        """Newest first; `before` is the (created_at, id) keyset of the last row seen."""
        ...

    def list_unsettled(self, older_than: datetime) -> list[Interaction]:
        """Rows still 'streaming' created before the given time (crash leftovers)."""
        ...


class VoiceRepository(Protocol):
    def add(self, voice: VoiceInteraction) -> None: ...
    def get(self, voice_id: str) -> VoiceInteraction | None: ...
    def update(self, voice_id: str, **fields: Any) -> None: ...


class CreditRepository(Protocol):
    def ensure_profile(self, user_id: str, email: str | None, opening_credits: int) -> bool:
        """Make the profile with an opening `grant` ledger row if missing; True if made."""
        ...

    def apply_change(
        self,
        user_id: str,
        credits: int,
        action_type: str,
        idempotency_key: str,
        interaction_id: str | None = None,
    ) -> CreditChange:
        """Atomically move `credits` (positive spends) and write the ledger row,
        once per idempotency key; never lets the balance go below zero."""
        ...

    def find(self, user_id: str, idempotency_key: str) -> CreditMovement | None: ...
    def list_for_user(
        self, user_id: str, limit: int, before_id: int | None
    ) -> list[CreditMovement]: ...
    def ledger_mismatches(self) -> list[tuple[str, int, int]]:
        """(user_id, profiles.credits, -SUM(ledger)) for every user where they differ."""
        ...


class UnitOfWork(Protocol):
    """One transaction over all repositories; `with uow:` rolls back unless committed."""

    subscriptions: SubscriptionRepository
    profiles: ProfileRepository
    answers: AnswerRepository
    interactions: InteractionRepository
    voices: VoiceRepository
    credits: CreditRepository

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(self, *exc: object) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


class Database(Protocol):
    """A connection source: Postgres pool or SQLite file."""

    def unit_of_work(self) -> UnitOfWork: ...
    def ping(self) -> None: ...
    def close(self) -> None: ...
