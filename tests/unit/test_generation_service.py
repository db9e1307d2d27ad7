"""Single-flight generation: the feed every asker follows, caching rules, refutation."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from app.adapters.engines.base import CannotAnswer, EngineError, GenerationResult
from app.answer_cache import AnswerCache
from app.domain.explanation import Explanation, Step
from app.domain.questions import GenerationContext, Question
from app.repositories.redis.client import make_redis
from app.repositories.redis.generation_feeds import GenerationFeedRepository
from app.repositories.sql import SqliteDatabase
from app.use_cases.generation import AnswerChecker, Generation

QUESTION = Question.of("resuelve algo")
HASH = QUESTION.hash


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


def generation(
    engines: list[ScriptedEngine],
    feeds: GenerationFeedRepository,
    db: SqliteDatabase,
    checker: AnswerChecker | None = None,
) -> Generation:
    return Generation(engines, feeds, db.unit_of_work, AnswerCache(), checker)


def run(service: Generation) -> None:
    service.run(QUESTION, GenerationContext(), str(uuid.uuid4()))


def kinds(feeds: GenerationFeedRepository) -> list[str]:
    return [e.kind for e in feeds.read(HASH)]


def cached(db: SqliteDatabase) -> Explanation | None:
    with db.unit_of_work() as uow:
        row = uow.answers.get_by_hash(HASH)
        hit = AnswerCache().lookup(uow.answers, QUESTION)  # what the next asker finds
    if row is None:
        assert hit is None
        return None
    # Stored under the question's own text, normal form and hash.
    assert (row.question, row.normalized_question) == (QUESTION.text, QUESTION.normalized)
    assert hit is not None and hit.answer_id == row.id
    return hit.explanation


def test_steps_reach_the_feed_one_by_one_and_the_answer_is_cached(parts) -> None:  # type: ignore[no-untyped-def]
    db, feeds = parts
    feeds.try_lead(HASH, "i")
    run(generation([ScriptedEngine("offline", ["1", "2", "3"])], feeds, db))
    assert kinds(feeds) == ["step", "step", "step", "done"]
    done = feeds.read(HASH)[-1].data
    answer = cached(db)
    assert answer is not None and [s.title for s in answer.steps] == ["1", "2", "3"]
    with db.unit_of_work() as uow:
        assert done["answer_id"] == uow.answers.get_by_hash(HASH).id


def test_an_engine_that_cannot_answer_passes_to_the_next(parts) -> None:  # type: ignore[no-untyped-def]
    db, feeds = parts
    first = ScriptedEngine("offline", CannotAnswer())
    run(generation([first, ScriptedEngine("openai", ["a"])], feeds, db))
    assert kinds(feeds) == ["step", "done"] and first.calls == 1


def test_no_engine_for_the_question_is_ai_unavailable_and_frees_the_hash(parts) -> None:  # type: ignore[no-untyped-def]
    db, feeds = parts
    feeds.try_lead(HASH, "i")
    run(generation([ScriptedEngine("offline", CannotAnswer())], feeds, db))
    last = feeds.read(HASH)[-1]
    assert (last.kind, last.data["code"]) == ("error", "ai_unavailable")
    assert feeds.current(HASH) is None and cached(db) is None


def test_a_failure_after_streamed_steps_caches_nothing(parts) -> None:  # type: ignore[no-untyped-def]
    db, feeds = parts
    engine = ScriptedEngine("openai", EngineError("generation_failed", "x"))
    run(generation([engine], feeds, db))
    assert kinds(feeds) == ["step", "error"]
    assert feeds.read(HASH)[-1].data["code"] == "generation_failed"
    assert cached(db) is None


def test_a_refuted_model_answer_is_not_cached_and_is_regenerated_once(parts) -> None:  # type: ignore[no-untyped-def]
    db, feeds = parts
    verdicts = iter([False, True])
    engine = ScriptedEngine("openai", ["mal"], ["bien"])
    service = generation([engine], feeds, db, checker=lambda q, e: next(verdicts))
    run(service)
    assert feeds.read(HASH)[-1].data["answer_id"] is None  # the stream did not cache it
    assert engine.calls == 2
    answer = cached(db)
    assert answer is not None and answer.steps[0].title == "bien"


def test_an_answer_refuted_twice_is_never_cached(parts) -> None:  # type: ignore[no-untyped-def]
    db, feeds = parts
    engine = ScriptedEngine("openai", ["mal"], ["peor"])
    service = generation([engine], feeds, db, checker=lambda q, e: False)
    run(service)
    assert engine.calls == 2 and cached(db) is None


def test_offline_answers_are_not_second_guessed(parts) -> None:  # type: ignore[no-untyped-def]
    db, feeds = parts
    engine = ScriptedEngine("offline", ["exacto"])
    service = generation([engine], feeds, db, checker=lambda q, e: False)
    run(service)
    assert engine.calls == 1 and cached(db) is not None


def test_can_try_asks_engines_that_recognize_questions() -> None:
    from app.adapters.engines.offline_math import OfflineMathEngine

    offline_only = Generation([OfflineMathEngine()], None, None, AnswerCache())  # type: ignore[arg-type]
    assert offline_only.can_try("resuelve 2x + 3 = 7")
    assert not offline_only.can_try("¿Quién fue Benito Juárez?")
    with_model = Generation(
        [OfflineMathEngine(), ScriptedEngine("openai", ["a"])],  # type: ignore[list-item]
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        AnswerCache(),
    )
    assert with_model.can_try("¿Quién fue Benito Juárez?")
