"""Single-flight generation: the feed every asker follows, caching rules, refutation."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from app.adapters.engines.base import (
    CannotAnswer,
    EngineError,
    GenerationContext,
    GenerationResult,
)
from app.domain.explanation import Explanation, Step
from app.repositories.redis.client import make_redis
from app.repositories.redis.generation_feeds import GenerationFeedRepository
from app.repositories.sql import SqliteDatabase
from app.services.generation_service import GenerationService

HASH = "h" * 64


class ScriptedEngine:
    """Yields the given answers in turn (one per generate call)."""

    def __init__(self, name: str, *answers: list[str] | Exception) -> None:
        self.name = name
        self.answers = list(answers)
        self.calls = 0

    def generate(
        self, question: str, context: GenerationContext, result: GenerationResult
    ) -> Iterator[Step]:
        answer = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        result.total_duration = 30
        if isinstance(answer, CannotAnswer):
            raise answer
        for title in answer if isinstance(answer, list) else ["parcial"]:
            yield Step(title=title, type="math", content=f"x = {title}")
        if isinstance(answer, Exception):
            raise answer


@pytest.fixture
def parts(tmp_path, request):  # type: ignore[no-untyped-def]
    db = SqliteDatabase(tmp_path / "gen.db")
    feeds = GenerationFeedRepository(make_redis(f"memory://{request.node.name}"), 60)
    return db, feeds


def run(service: GenerationService) -> None:
    service.run("resuelve algo", "resuelve algo", HASH, GenerationContext(), str(uuid.uuid4()))


def kinds(feeds: GenerationFeedRepository) -> list[str]:
    return [e.kind for e in feeds.read(HASH)]


def cached(db: SqliteDatabase) -> Explanation | None:
    with db.unit_of_work() as uow:
        row = uow.answers.get_by_hash(HASH)
    return Explanation.model_validate(row.answer) if row else None


def test_steps_reach_the_feed_one_by_one_and_the_answer_is_cached(parts) -> None:  # type: ignore[no-untyped-def]
    db, feeds = parts
    feeds.try_lead(HASH, "i")
    run(GenerationService([ScriptedEngine("offline", ["1", "2", "3"])], feeds, db.unit_of_work))
    assert kinds(feeds) == ["step", "step", "step", "done"]
    done = feeds.read(HASH)[-1].data
    answer = cached(db)
    assert answer is not None and [s.title for s in answer.steps] == ["1", "2", "3"]
    with db.unit_of_work() as uow:
        assert done["answer_id"] == uow.answers.get_by_hash(HASH).id


def test_an_engine_that_cannot_answer_passes_to_the_next(parts) -> None:  # type: ignore[no-untyped-def]
    db, feeds = parts
    first = ScriptedEngine("offline", CannotAnswer())
    run(GenerationService([first, ScriptedEngine("openai", ["a"])], feeds, db.unit_of_work))
    assert kinds(feeds) == ["step", "done"] and first.calls == 1


def test_no_engine_for_the_question_is_ai_unavailable_and_frees_the_hash(parts) -> None:  # type: ignore[no-untyped-def]
    db, feeds = parts
    feeds.try_lead(HASH, "i")
    run(GenerationService([ScriptedEngine("offline", CannotAnswer())], feeds, db.unit_of_work))
    last = feeds.read(HASH)[-1]
    assert (last.kind, last.data["code"]) == ("error", "ai_unavailable")
    assert feeds.current(HASH) is None and cached(db) is None


def test_a_failure_after_streamed_steps_caches_nothing(parts) -> None:  # type: ignore[no-untyped-def]
    db, feeds = parts
    engine = ScriptedEngine("openai", EngineError("generation_failed", "x"))
    run(GenerationService([engine], feeds, db.unit_of_work))
    assert kinds(feeds) == ["step", "error"]
    assert feeds.read(HASH)[-1].data["code"] == "generation_failed"
    assert cached(db) is None


def test_a_refuted_model_answer_is_not_cached_and_is_regenerated_once(parts) -> None:  # type: ignore[no-untyped-def]
    db, feeds = parts
    verdicts = iter([False, True])
    engine = ScriptedEngine("openai", ["mal"], ["bien"])
    service = GenerationService(
        [engine], feeds, db.unit_of_work, checker=lambda q, e: next(verdicts)
    )
    run(service)
    assert feeds.read(HASH)[-1].data["answer_id"] is None  # the stream did not cache it
    assert engine.calls == 2
    answer = cached(db)
    assert answer is not None and answer.steps[0].title == "bien"


def test_an_answer_refuted_twice_is_never_cached(parts) -> None:  # type: ignore[no-untyped-def]
    db, feeds = parts
    engine = ScriptedEngine("openai", ["mal"], ["peor"])
    service = GenerationService([engine], feeds, db.unit_of_work, checker=lambda q, e: False)
    run(service)
    assert engine.calls == 2 and cached(db) is None


def test_offline_answers_are_not_second_guessed(parts) -> None:  # type: ignore[no-untyped-def]
    db, feeds = parts
    engine = ScriptedEngine("offline", ["exacto"])
    service = GenerationService([engine], feeds, db.unit_of_work, checker=lambda q, e: False)
    run(service)
    assert engine.calls == 1 and cached(db) is not None


def test_can_try_asks_engines_that_recognize_questions() -> None:
    from app.adapters.engines.offline_math import OfflineMathEngine

    offline_only = GenerationService([OfflineMathEngine()], None, None)  # type: ignore[arg-type]
    assert offline_only.can_try("resuelve 2x + 3 = 7")
    assert not offline_only.can_try("¿Quién fue Benito Juárez?")
    with_model = GenerationService(
        [OfflineMathEngine(), ScriptedEngine("openai", ["a"])], None, None  # type: ignore[arg-type]
    )
    assert with_model.can_try("¿Quién fue Benito Juárez?")
