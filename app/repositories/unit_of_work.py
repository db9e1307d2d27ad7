"""`StoreUnitOfWork`: one SQL transaction, opened on first use, plus Redis repositories.

A request that ends before touching SQL (a repeated request id, a rate-limited
ask) never takes a database connection. Request-id claims made inside the unit
of work are released unless it commits, so a refused request can be retried.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.repositories.interfaces import (
    AnswerRepository,
    CreditRepository,
    Database,
    GenerationFeeds,
    InteractionRepository,
    ProfileRepository,
    RateLimits,
    RequestRepository,
    SessionStore,
    SubscriptionRepository,
    UnitOfWork,
    VoiceRepository,
)


@dataclass(frozen=True)
class RedisRepositories:
    """The Redis repositories of one server instance."""

    requests: RequestRepository
    question_limits: RateLimits
    sessions: SessionStore
    feeds: GenerationFeeds


class _TrackedRequests:
    """Remembers the claims made, so an uncommitted unit of work can release them."""

    def __init__(self, inner: RequestRepository) -> None:
        self._inner = inner
        self.made: list[tuple[str, str, str]] = []

    def claim(self, user_id: str, request_id: str, interaction_id: str) -> str | None:
        earlier = self._inner.claim(user_id, request_id, interaction_id)
        if earlier is None:
            self.made.append((user_id, request_id, interaction_id))
        return earlier

    def release(self, user_id: str, request_id: str, interaction_id: str) -> None:
        self._inner.release(user_id, request_id, interaction_id)


class StoreUnitOfWork:
    def __init__(self, database: Database, redis: RedisRepositories) -> None:
        self._database = database
        self._sql: UnitOfWork | None = None
        self._committed = False
        self.requests = _TrackedRequests(redis.requests)
        self.question_limits = redis.question_limits
        self.sessions = redis.sessions
        self.feeds = redis.feeds

    def __enter__(self) -> StoreUnitOfWork:
        self._committed = False
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if not self._committed:
                for claim in self.requests.made:
                    self.requests.release(*claim)
        finally:
            self.requests.made.clear()
            sql, self._sql = self._sql, None
            if sql is not None:
                sql.__exit__(*exc)

    def _open(self) -> UnitOfWork:
        if self._sql is None:
            self._sql = self._database.unit_of_work().__enter__()
        return self._sql

    @property
    def subscriptions(self) -> SubscriptionRepository:
        return self._open().subscriptions

    @property
    def profiles(self) -> ProfileRepository:
        return self._open().profiles

    @property
    def answers(self) -> AnswerRepository:
        return self._open().answers

    @property
    def interactions(self) -> InteractionRepository:
        return self._open().interactions

    @property
    def voices(self) -> VoiceRepository:
        return self._open().voices

    @property
    def credits(self) -> CreditRepository:
        return self._open().credits

    def commit(self) -> None:
        if self._sql is not None:
            self._sql.commit()
        self._committed = True

    def rollback(self) -> None:
        if self._sql is not None:
            self._sql.rollback()


def store_uow_factory(database: Database, redis: RedisRepositories) -> Any:
    """A factory of fresh units of work, one per request."""
    return lambda: StoreUnitOfWork(database, redis)
