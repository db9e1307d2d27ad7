"""An in-memory `StoreUnitOfWork` for fast use-case tests.

SQL-side state is copied on enter and put back unless committed, like a
transaction; request-id claims made in an uncommitted unit of work are
released, like the real one. Every repository keeps what a test needs to look
at (rows, ledger, claims, limiter hits).
"""

from __future__ import annotations

import copy
import dataclasses
import uuid
from dataclasses import dataclass, field
from typing import Any

from app.domain.records import (
    AnswerVector,
    CreditChange,
    CreditMovement,
    Interaction,
    PredefinedAnswer,
    Profile,
)


@dataclass
class FakeSqlState:
    answers: dict[str, PredefinedAnswer] = field(default_factory=dict)  # by hash
    interactions: dict[str, Interaction] = field(default_factory=dict)
    profiles: dict[str, Profile] = field(default_factory=dict)
    ledger: list[CreditMovement] = field(default_factory=list)
    voices: dict[str, Any] = field(default_factory=dict)
    vectors: dict[str, tuple[str, Any]] = field(default_factory=dict)  # answer id → model, vector


class FakeAnswers:
    def __init__(self, state: FakeSqlState) -> None:
        self.state = state
        self.lookups = 0

    def get(self, answer_id: str) -> PredefinedAnswer | None:
        return next((a for a in self.state.answers.values() if a.id == answer_id), None)

    def get_by_hash(self, question_hash: str) -> PredefinedAnswer | None:
        self.lookups += 1
        return self.state.answers.get(question_hash)

    def add_if_absent(
        self, question_hash: str, normalized: str, question: str, answer: Any, source: str
    ) -> PredefinedAnswer:
        if question_hash not in self.state.answers:
            self.state.answers[question_hash] = PredefinedAnswer(
                str(uuid.uuid4()), question_hash, normalized, question, answer, source
            )
        return self.state.answers[question_hash]

    def count(self) -> int:
        return len(self.state.answers)

    def set_embedding(self, answer_id: str, model: str, vector: Any) -> None:
        self.state.vectors[answer_id] = (model, vector)

    def list_vectors(self, since: Any = None) -> list[AnswerVector]:
        return [
            AnswerVector(a.id, a.normalized_question, *self.state.vectors.get(a.id, (None, None)))
            for a in self.state.answers.values()
        ]


class FakeInteractions:
    def __init__(self, state: FakeSqlState) -> None:
        self.state = state

    def add(self, interaction: Interaction) -> None:
        assert interaction.id not in self.state.interactions
        self.state.interactions[interaction.id] = interaction

    def get(self, interaction_id: str) -> Interaction | None:
        return self.state.interactions.get(interaction_id)

    def update(self, interaction_id: str, *, alone: bool = False, **fields: Any) -> None:
        row = self.state.interactions[interaction_id]
        self.state.interactions[interaction_id] = dataclasses.replace(row, **fields)

    def settle(
        self, interaction_id: str, status: str, *, alone: bool = False, **fields: Any
    ) -> bool:
        row = self.state.interactions.get(interaction_id)
        if row is None or row.status != "streaming":
            return False
        self.update(interaction_id, status=status, **fields)
        return True


class FakeCredits:
    def __init__(self, state: FakeSqlState) -> None:
        self.state = state

    def ensure_profile(self, user_id: str, email: str | None, opening_credits: int) -> bool:
        if user_id in self.state.profiles:
            return False
        self.state.profiles[user_id] = Profile(user_id, email, 0, "free")
        if opening_credits:
            self.apply_change(user_id, -opening_credits, "grant", "signup")
        return True

    def open_profile(self, user_id: str, email: str | None, opening_credits: int) -> int:
        self.ensure_profile(user_id, email, opening_credits)
        return self.state.profiles[user_id].credits

    def hold_new(
        self, interaction: Interaction, credits: int, action_type: str, idempotency_key: str
    ) -> CreditChange:
        assert interaction.id not in self.state.interactions
        change = self.apply_change(
            interaction.user_id, credits, action_type, idempotency_key, interaction.id
        )
        if change.status in ("applied", "duplicate"):
            self.state.interactions[interaction.id] = interaction
        return change

    def apply_change(
        self,
        user_id: str,
        credits: int,
        action_type: str,
        idempotency_key: str,
        interaction_id: str | None = None,
    ) -> CreditChange:
        profile = self.state.profiles.get(user_id)
        if any(
            m.idempotency_key == idempotency_key and m.user_id == user_id for m in self.state.ledger
        ):
            return CreditChange("duplicate", profile.credits if profile else None)
        if profile is None:
            return CreditChange("no_profile", None)
        balance = profile.credits - credits
        if balance < 0:
            return CreditChange("insufficient", profile.credits)
        self.state.profiles[user_id] = dataclasses.replace(profile, credits=balance)
        movement = CreditMovement(
            len(self.state.ledger) + 1, user_id, credits, action_type, interaction_id,
            idempotency_key, balance,
        )  # fmt: skip
        self.state.ledger.append(movement)
        return CreditChange("applied", balance, movement.id)

    def find(self, user_id: str, idempotency_key: str) -> CreditMovement | None:
        return next(
            (
                m
                for m in self.state.ledger
                if m.user_id == user_id and m.idempotency_key == idempotency_key
            ),
            None,
        )


class FakeProfiles:
    def __init__(self, state: FakeSqlState) -> None:
        self.state = state

    def get(self, user_id: str) -> Profile | None:
        return self.state.profiles.get(user_id)


class FakeRequests:
    def __init__(self) -> None:
        self.claims: dict[tuple[str, str], str] = {}

    def claim(self, user_id: str, request_id: str, interaction_id: str) -> str | None:
        earlier = self.claims.get((user_id, request_id))
        if earlier:
            return earlier
        self.claims[(user_id, request_id)] = interaction_id
        return None

    def release(self, user_id: str, request_id: str, interaction_id: str) -> None:
        if self.claims.get((user_id, request_id)) == interaction_id:
            del self.claims[(user_id, request_id)]


class FakeLimits:
    """Allows `limit` hits per key, then refuses with `retry_after`; refused hits count nothing."""

    def __init__(self, limit: int = 1000, retry_after: int = 42) -> None:
        self.limit, self.retry_after = limit, retry_after
        self.hits: dict[str, int] = {}

    def hit(self, key: str) -> int | None:
        if self.hits.get(key, 0) >= self.limit:
            return self.retry_after
        self.hits[key] = self.hits.get(key, 0) + 1
        return None

    def peek(self, key: str) -> int | None:
        return self.retry_after if self.hits.get(key, 0) >= self.limit else None


class FakeFeeds:
    def __init__(self) -> None:
        self.leaders: dict[str, str] = {}
        self.entries: dict[str, list[Any]] = {}

    def try_lead(self, question_hash: str, generation_id: str) -> str | None:
        if question_hash in self.leaders:
            return self.leaders[question_hash]
        self.leaders[question_hash] = generation_id
        return None

    def current(self, question_hash: str) -> str | None:
        return self.leaders.get(question_hash)

    def append(self, question_hash: str, kind: str, data: dict[str, Any]) -> None:
        self.entries.setdefault(question_hash, []).append((kind, data))

    def release(self, question_hash: str) -> None:
        self.leaders.pop(question_hash, None)

    def read(
        self, question_hash: str, after_id: str = "-", block_ms: int | None = None
    ) -> list[Any]:
        return []


class FakeStores:
    """What a test shares across units of work: the state and the Redis-side fakes."""

    def __init__(self, sessions: Any = None, limit: int = 1000) -> None:
        self.sql = FakeSqlState()
        self.requests = FakeRequests()
        self.question_limits = FakeLimits(limit)
        self.sessions = sessions
        self.feeds = FakeFeeds()
        self.commits = 0

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)

    def add_user(self, user_id: str, credits: int) -> None:
        FakeCredits(self.sql).ensure_profile(user_id, None, credits)

    def balance(self, user_id: str) -> int:
        return self.sql.profiles[user_id].credits


class FakeUnitOfWork:
    def __init__(self, stores: FakeStores) -> None:
        self.stores = stores
        self.requests = _TrackedRequests(stores.requests)
        self.question_limits = stores.question_limits
        self.sessions = stores.sessions
        self.feeds = stores.feeds
        self._snapshot: FakeSqlState | None = None
        self.committed = False

    def __enter__(self) -> FakeUnitOfWork:
        self._snapshot = copy.deepcopy(self.stores.sql)
        self.committed = False
        state = self.stores.sql
        self.answers = FakeAnswers(state)
        self.interactions = FakeInteractions(state)
        self.credits = FakeCredits(state)
        self.profiles = FakeProfiles(state)
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.committed:
            self.rollback()
            for claim in self.requests.made:
                self.stores.requests.release(*claim)

    def commit(self) -> None:
        self.committed = True
        self.stores.commits += 1
        self._snapshot = copy.deepcopy(self.stores.sql)

    def rollback(self) -> None:
        if self._snapshot is not None:
            restored = copy.deepcopy(self._snapshot)
            for name in ("answers", "interactions", "profiles", "ledger", "voices"):
                setattr(self.stores.sql, name, getattr(restored, name))


class _TrackedRequests:
    def __init__(self, inner: FakeRequests) -> None:
        self.inner = inner
        self.made: list[tuple[str, str, str]] = []

    def claim(self, user_id: str, request_id: str, interaction_id: str) -> str | None:
        earlier = self.inner.claim(user_id, request_id, interaction_id)
        if earlier is None:
            self.made.append((user_id, request_id, interaction_id))
        return earlier

    def release(self, user_id: str, request_id: str, interaction_id: str) -> None:
        self.inner.release(user_id, request_id, interaction_id)
