"""Runs the answer engines for a cache miss, once per question hash (single flight).

The leader appends each step to the generation feed as soon as it exists, stores
the answer in the cache only after the whole explanation validated, and records
failures in the feed, so every follower (on any instance) ends the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import structlog
from pydantic import ValidationError

from app.adapters.engines.base import AnswerEngine, CannotAnswer, EngineError, GenerationResult
from app.adapters.engines.refusal import refusal_text
from app.answer_cache import AnswerCache
from app.domain.explanation import Explanation, Step
from app.domain.questions import GenerationContext, Question
from app.repositories.interfaces import GenerationFeeds, UnitOfWork
from app.repositories.outages import is_store_outage

log = structlog.get_logger(__name__)

AnswerChecker = Callable[[str, Explanation], bool | None]
END_RETRY_DELAYS_S = (1, 2, 4, 8, 15, 30)  # writing a failed generation's end


class Generation:
    """Chooses an engine, streams its steps into the feed and caches the result."""

    def __init__(
        self,
        engines: Sequence[AnswerEngine],
        feeds: GenerationFeeds,
        uow_factory: Callable[[], UnitOfWork],
        cache: AnswerCache,
        checker: AnswerChecker | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.sleep = sleep
        self.engines = list(engines)
        self.feeds = feeds
        self.uow_factory = uow_factory
        self.cache = cache
        self.checker = checker

    def can_try(self, question: str) -> bool:
        """False when no engine could answer: the request is refused before any charge."""
        for engine in self.engines:
            recognizer = getattr(engine, "can_answer", None)
            if recognizer is None or recognizer(question):
                return True
        return False

    def run(self, question: Question, context: GenerationContext, interaction_id: str) -> None:
        """Generate into the feed of the question's hash; never raises."""
        try:
            steps, result, engine = self._generate(question, context)
            explanation = Explanation(steps=steps, total_duration=result.total_duration)
            refuted = self._refuted(question.text, explanation, result)
            answer_id = None if refuted else self._store(question, explanation, result)
            self._record(interaction_id, result)
            self.feeds.append(
                question.hash,
                "done",
                {"answer_id": answer_id, "total_steps": len(steps), "engine": result.engine},
            )
            if refuted:
                self._regenerate_once(engine, question, context)
        except EngineError as exc:
            log.warning("generation_failed", code=exc.code, interaction_id=interaction_id)
            self._fail(question.hash, exc.code, exc.reason, exc.text)
        except ValidationError:
            log.warning("generation_invalid", interaction_id=interaction_id)
            self._fail(question.hash, "generation_failed", "")
        except Exception as exc:
            if is_store_outage(exc):  # Redis (the feed) or the database is unreachable
                log.warning("generation_store_unavailable", interaction_id=interaction_id)
                self._fail(question.hash, "service_unavailable", "")
                return
            log.exception("generation_crashed", interaction_id=interaction_id)
            self._fail(question.hash, "generation_failed", "")

    def _generate(
        self, question: Question, context: GenerationContext
    ) -> tuple[list[Step], GenerationResult, AnswerEngine]:
        for engine in self.engines:
            result = GenerationResult()
            steps: list[Step] = []
            try:
                for step in engine.generate(question.text, context, result):
                    steps.append(step)
                    self.feeds.append(question.hash, "step", step.model_dump(mode="json"))
            except CannotAnswer:
                if steps:
                    raise EngineError("generation_failed", "") from None
                continue
            if not steps:
                raise EngineError("generation_failed", "")
            result.engine = result.engine or engine.name
            return steps, result, engine
        raise EngineError("ai_unavailable", text=refusal_text(question.text))

    def _store(self, question: Question, explanation: Explanation, result: GenerationResult) -> str:
        source = result.engine if result.engine in ("offline", "openai") else "admin"
        with self.uow_factory() as uow:
            answer_id = self.cache.store(uow.answers, question, explanation, source)
            uow.commit()
        return answer_id

    def _refuted(self, question: str, explanation: Explanation, result: GenerationResult) -> bool:
        """A model's math that SymPy shows wrong is never cached (the CAS is trusted)."""
        if self.checker is None or result.engine == "offline":
            return False
        return self.checker(question, explanation) is False

    def _regenerate_once(
        self, engine: AnswerEngine, question: Question, context: GenerationContext
    ) -> None:
        """Ask again once, off the stream; cache the new answer unless it is refuted too."""
        log.warning("answer_refuted", question_hash=question.hash)
        try:
            result = GenerationResult()
            steps = list(engine.generate(question.text, context, result))
            result.engine = result.engine or engine.name
            explanation = Explanation(steps=steps, total_duration=result.total_duration)
        except (EngineError, CannotAnswer, ValidationError):
            log.warning("regeneration_failed", question_hash=question.hash)
            return
        if self._refuted(question.text, explanation, result):
            log.warning("answer_refuted_twice", question_hash=question.hash)
            return
        self._store(question, explanation, result)

    def _record(self, interaction_id: str, result: GenerationResult) -> None:
        fields: dict[str, Any] = {"engine": result.engine or None}
        if result.prompt_tokens or result.completion_tokens:
            fields.update(
                prompt_tokens=result.prompt_tokens, completion_tokens=result.completion_tokens
            )
        with self.uow_factory() as uow:
            uow.interactions.update(interaction_id, **fields)
            uow.commit()

    def _fail(self, question_hash: str, code: str, reason: str, text: str | None = None) -> None:
        """End the feed with an error and free the lead, so a retry generates anew. While
        Redis is unreachable this is tried again with backoff (the lock would otherwise
        make every retry join a generation that never ends)."""
        entry = {"code": code, "reason": reason, "text": text}
        for delay in (0, *END_RETRY_DELAYS_S):
            if delay:
                self.sleep(delay)
            try:
                self.feeds.append(question_hash, "error", entry)
                self.feeds.release(question_hash)
                return
            except Exception as exc:
                if not is_store_outage(exc):
                    raise
        log.warning("generation_end_not_written", question_hash=question_hash)
