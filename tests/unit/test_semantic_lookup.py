"""The semantic lookup on the ask path: no embedding on an exact hit, one per question
otherwise (the miss's vector is the one stored with its answer), failures are misses."""

from __future__ import annotations

import numpy as np

from app.answer_cache import AnswerCache
from app.answer_cache.embedders import WordLlamaEmbedder
from app.answer_cache.semantic import SemanticLookup
from app.domain.explanation import Explanation
from app.domain.questions import Question
from tests.support.fake_uow import FakeAnswers, FakeSqlState

BASE = WordLlamaEmbedder()
ANSWER = Explanation.model_validate(
    {"steps": [{"title": "t", "type": "text", "content": "c"}], "total_duration": 3}
)


class Counting:
    def __init__(self, fail: bool = False) -> None:
        self.key, self.dim, self.threshold = BASE.key, BASE.dim, BASE.threshold
        self.calls: list[list[str]] = []
        self.fail = fail

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls.append(texts)
        if self.fail:
            raise ConnectionError("embeddings endpoint down")
        return BASE.embed(texts)


def _setup(embedder: Counting) -> tuple[AnswerCache, FakeAnswers, FakeSqlState]:
    state = FakeSqlState()
    answers = FakeAnswers(state)
    cache = AnswerCache(semantic=SemanticLookup(embedder))
    cache.store(answers, Question.of("Resuelve 2x + 3 = 7"), ANSWER, "offline")
    return cache, answers, state


def test_exact_hit_computes_no_embedding() -> None:
    embedder = Counting()
    cache, answers, _ = _setup(embedder)
    before = len(embedder.calls)
    hit = cache.lookup(answers, Question.of("resuelve 2x+3=7"))
    assert hit is not None and hit.match == "exact"
    assert len(embedder.calls) == before


def test_a_miss_embeds_once_and_its_vector_is_stored_with_the_answer() -> None:
    embedder = Counting()
    cache, answers, state = _setup(embedder)
    before = len(embedder.calls)
    question = Question.of("Resuelve 2x + 3 = 9")
    assert cache.lookup(answers, question) is None
    answer_id = cache.store(answers, question, ANSWER, "offline")
    assert len(embedder.calls) == before + 1
    model, vector = state.vectors[answer_id]
    assert model == BASE.key and np.allclose(vector, BASE.embed(["solve 2x+3=9"])[0])


def test_a_paraphrase_hits_with_the_matched_question_and_similarity() -> None:
    cache, answers, _ = _setup(Counting())
    hit = cache.lookup(answers, Question.of("cuanto vale x si 2x + 3 = 7"))
    assert hit is not None and hit.match == "semantic"
    assert hit.matched_question == "Resuelve 2x + 3 = 7"
    assert hit.similarity is not None and hit.similarity >= 0.8


def test_an_embedder_that_fails_is_a_miss_not_an_error() -> None:
    embedder = Counting()
    cache, answers, _ = _setup(embedder)
    embedder.fail = True
    assert cache.lookup(answers, Question.of("cuanto vale x si 2x + 3 = 7")) is None
    # The answer is still stored; its vector waits for the next start's rebuild.
    answer_id = cache.store(answers, Question.of("Resuelve 5x = 10"), ANSWER, "offline")
    assert answers.get(answer_id) is not None


def test_a_threshold_above_every_similarity_turns_semantic_hits_off() -> None:
    state = FakeSqlState()
    answers = FakeAnswers(state)
    cache = AnswerCache(semantic=SemanticLookup(Counting(), threshold=1.0 + 1e-9))
    cache.store(answers, Question.of("Resuelve 2x + 3 = 7"), ANSWER, "offline")
    assert cache.lookup(answers, Question.of("cuanto vale x si 2x + 3 = 7")) is None


def test_embedder_choice_follows_the_settings() -> None:
    from app.answer_cache.embedders import OpenAIEmbedder, make_embedder
    from app.config import load_settings

    plain = load_settings(OPENAI_API_KEY=None)
    assert isinstance(make_embedder(plain.SEMANTIC_CACHE_EMBEDDER, plain), WordLlamaEmbedder)
    keyed = load_settings(OPENAI_API_KEY="sk-test", OPENAI_BASE_URL="http://127.0.0.1:9/v1")
    chosen = make_embedder(keyed.SEMANTIC_CACHE_EMBEDDER, keyed)
    assert isinstance(chosen, OpenAIEmbedder) and chosen.key == "openai-text-embedding-3-small-512"
    forced = load_settings(OPENAI_API_KEY="sk-test", SEMANTIC_CACHE_EMBEDDER="wordllama")
    assert isinstance(make_embedder(forced.SEMANTIC_CACHE_EMBEDDER, forced), WordLlamaEmbedder)


def test_semantic_cache_off_builds_an_exact_only_cache(tmp_path) -> None:  # noqa: ANN001
    from app.config import load_settings
    from app.container import build_cache
    from app.repositories.sql import SqliteDatabase

    db = SqliteDatabase(tmp_path / "g.db")
    assert build_cache(load_settings(SEMANTIC_CACHE="off"), db).semantic is None
    on = build_cache(load_settings(SEMANTIC_CACHE="on", OPENAI_API_KEY=None), db)
    assert on.semantic is not None and on.semantic.threshold == 0.8
    tuned = build_cache(load_settings(SEMANTIC_CACHE_THRESHOLD=0.9, OPENAI_API_KEY=None), db)
    assert tuned.semantic is not None and tuned.semantic.threshold == 0.9
