"""The repository interfaces the use cases depend on.

`UnitOfWork` is one SQL transaction over the six tables; Postgres and SQLite
implement it (`app/repositories/sql/`) and one contract suite runs against both.
`StoreUnitOfWork` adds the Redis repositories a use case needs beside them
(`app/repositories/redis/`), so a use case is a function of a command and one
unit of work.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from app.domain.records import (
    AnswerVector,
    CreditChange,
    CreditMovement,
    Interaction,
    PredefinedAnswer,
    Profile,
    StreamState,
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

    def set_embedding(self, answer_id: str, model: str, vector: Any) -> None:
        """Keep the vector of the answer's question (made by `model`)."""
        ...

    def list_vectors(self, since: datetime | None = None) -> list[AnswerVector]:
        """Each answer's id, normalized question and stored vector (None when absent),
        oldest first; only those created at or after `since` when given."""
        ...


class InteractionRepository(Protocol):
    def add(self, interaction: Interaction) -> None: ...
    def get(self, interaction_id: str) -> Interaction | None: ...
    def update(self, interaction_id: str, *, alone: bool = False, **fields: Any) -> None:
        """Set the given columns (names from the schema); unknown names raise.

        `alone=True` says this is the unit's only write: Postgres then runs it in
        autocommit, one round trip committed at once (here and in `settle`)."""
        ...

    def settle(
        self, interaction_id: str, status: str, *, alone: bool = False, **fields: Any
    ) -> bool:
        """End a 'streaming' interaction with `status` (and columns); False if it was not."""
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

    def open_profile(self, user_id: str, email: str | None, opening_credits: int) -> int:
        """`ensure_profile`, then the balance (one round trip on Postgres)."""
        ...

    def hold_new(
        self, interaction: Interaction, credits: int, action_type: str, idempotency_key: str
    ) -> CreditChange:
        """Add `interaction` and spend `credits` for it (keyed like `apply_change`),
        atomically: when the change is refused, the interaction is not added. One
        statement on Postgres, alone in autocommit when it is the unit's first write,
        and never committed past its deadline (`SqlSession.not_after`)."""
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


# -- Redis ----------------------------------------------------------------------


class RequestRepository(Protocol):
    def claim(self, user_id: str, request_id: str, interaction_id: str) -> str | None:
        """Claim the id for this interaction; return the earlier interaction if taken."""
        ...

    def release(self, user_id: str, request_id: str, interaction_id: str) -> None: ...


class RateLimits(Protocol):
    def hit(self, key: str) -> int | None:
        """Count one hit; None if allowed, else whole seconds to wait (>= 1)."""
        ...

    def peek(self, key: str) -> int | None: ...


class SessionStore(Protocol):
    """Sessions and the position of their active explanation."""

    def create(self, user_id: str, sid: str | None = None) -> Any: ...
    def get(self, session_id: str) -> Any: ...
    def attach(self, session_id: str, sid: str) -> bool: ...
    def detach(self, session_id: str, sid: str) -> None: ...
    def renew(self, session_id: str) -> bool: ...
    def start_stream(self, state: StreamState) -> bool: ...
    def save_position(
        self,
        session_id: str,
        interaction_id: str,
        next_seq: int,
        step_index: int,
        chunk_index: int,
        paused: bool,
    ) -> bool: ...
    def save_positions(self, positions: list[tuple[str, str, int, int, int, bool]]) -> None: ...
    def end_stream(self, session_id: str, interaction_id: str) -> bool: ...


class GenerationFeeds(Protocol):
    def try_lead(self, question_hash: str, generation_id: str) -> str | None:
        """Become the generator of this hash; else return the running generation's id."""
        ...

    def current(self, question_hash: str) -> str | None: ...
    def append(self, question_hash: str, kind: str, data: dict[str, Any]) -> None: ...
    def release(self, question_hash: str) -> None: ...
    def read(
        self, question_hash: str, after_id: str = "-", block_ms: int | None = None
    ) -> list[Any]: ...


class StoreUnitOfWork(UnitOfWork, Protocol):
    """The SQL unit of work plus the Redis repositories of a request.

    Redis writes are not transactional; a request-id claim made in a unit of work
    that is not committed is released, so a refused request can be retried.
    """

    requests: RequestRepository
    question_limits: RateLimits
    sessions: SessionStore
    feeds: GenerationFeeds

    def __enter__(self) -> StoreUnitOfWork: ...
