"""The SQL unit of work both databases share: one transaction over all repositories."""

from __future__ import annotations

from app.repositories.sql.accounts import SqlProfileRepository, SqlSubscriptionRepository
from app.repositories.sql.answers import SqlAnswerRepository
from app.repositories.sql.credits import SqlCreditRepository
from app.repositories.sql.dialect import SqlSession
from app.repositories.sql.interactions import SqlInteractionRepository
from app.repositories.sql.voices import SqlVoiceRepository


class SqlUnitOfWork:
    """One transaction over all repositories; `with uow:` rolls back unless committed."""

    subscriptions: SqlSubscriptionRepository
    profiles: SqlProfileRepository
    answers: SqlAnswerRepository
    interactions: SqlInteractionRepository
    voices: SqlVoiceRepository
    credits: SqlCreditRepository
    _credit_class: type[SqlCreditRepository]

    def __enter__(self) -> SqlUnitOfWork:
        session = self._open()
        self.subscriptions = SqlSubscriptionRepository(session)
        self.profiles = SqlProfileRepository(session)
        self.answers = SqlAnswerRepository(session)
        self.interactions = SqlInteractionRepository(session)
        self.voices = SqlVoiceRepository(session)
        self.credits = self._credit_class(session)
        return self

    def __exit__(self, *exc: object) -> None:
        self._release()

    def _open(self) -> SqlSession:
        raise NotImplementedError

    def _release(self) -> None:
        raise NotImplementedError

    def commit(self) -> None:
        raise NotImplementedError

    def rollback(self) -> None:
        raise NotImplementedError
