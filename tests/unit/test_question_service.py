"""Validation of `ask_question` payloads (`parse(AskQuestion, ...)`) and the answer
cache lookup, on an embedded SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from app.answer_cache import AnswerCache
from app.domain.commands import AskQuestion
from app.domain.errors import Refused
from app.domain.event_plan import plan_steps
from app.domain.questions import MAX_QUESTION_CHARS, GenerationContext, Question
from app.repositories.seed import load_seed_data, seed_database
from app.repositories.sql import SqliteDatabase
from app.socket_events.messages import MESSAGES, describe, error_payload
from app.socket_events.parsing import parse
from app.utils.text_processing import generate_hash, normalize_text, question_key

SEEDED_QUESTION = "¿Cuál es la derivada de x²?"


def parse_question_payload(payload: Any) -> AskQuestion:
    return parse(AskQuestion, payload)


def error_code(payload: Any) -> str:
    with pytest.raises(Refused) as caught:
        parse_question_payload(payload)
    assert describe(caught.value)  # every refusal carries a message for the student
    return caught.value.code


def lookup(db: SqliteDatabase, text: str, cache: AnswerCache | None = None) -> str | None:
    """The cached answer id for the question, or None on a miss (one unit of work)."""
    with db.unit_of_work() as uow:
        hit = (cache or AnswerCache()).lookup(uow.answers, Question.of(text))
    return hit.answer_id if hit else None


# -- parse(AskQuestion, ...) ---------------------------------------------------------


@pytest.mark.parametrize("payload", [None, "¿qué es x?", 42, ["question"], True, 1.5])
def test_non_object_payload_is_invalid(payload: Any) -> None:
    assert error_code(payload) == "invalid_payload"


@pytest.mark.parametrize(
    "payload",
    [{}, {"question": None}, {"question": 5}, {"question": ["x"]}, {"question": {"q": "x"}}],
    ids=["missing", "null", "number", "list", "object"],
)
def test_missing_or_non_string_question_is_invalid(payload: dict[str, Any]) -> None:
    assert error_code(payload) == "invalid_payload"


@pytest.mark.parametrize("blank", ["", " ", "   \t\n  ", "\u3000\u00a0 "])
def test_whitespace_only_question_is_empty(blank: str) -> None:
    assert error_code({"question": blank}) == "question_empty"


def test_length_limit_counts_after_trimming() -> None:
    assert MAX_QUESTION_CHARS == 1000
    assert error_code({"question": "a" * 1001}) == "question_too_long"
    assert error_code({"question": "  " + "a" * 1001 + "  "}) == "question_too_long"
    ok = parse_question_payload({"question": "a" * 1000})
    assert ok.question.text == "a" * 1000
    # 1000 characters surrounded by spaces: trimmed first, so accepted.
    padded = parse_question_payload({"question": "\n  " + "b" * 1000 + "   \t"})
    assert padded.question.text == "b" * 1000


def test_question_is_trimmed_and_keyed() -> None:
    request = parse_question_payload({"question": "   " + SEEDED_QUESTION + "  \n"})
    assert isinstance(request, AskQuestion) and isinstance(request.question, Question)
    question = request.question
    assert question.text == SEEDED_QUESTION
    assert question.normalized == normalize_text(SEEDED_QUESTION) == "cual es la derivada de x^2"
    assert question.hash == generate_hash(question.normalized)
    assert question == Question.of(SEEDED_QUESTION)
    assert request.request_id is None


@pytest.mark.parametrize("request_id", ["r" * 65, 12, 1.0, ["id"], {"id": "x"}, True, ""], ids=repr)
def test_bad_request_id_is_invalid(request_id: Any) -> None:
    assert error_code({"question": "hola", "request_id": request_id}) == "invalid_payload"


@pytest.mark.parametrize("request_id", ["a", "r" * 64, "3f1c2a9e-0b4d-4e59-9a55-1c1e2f3a4b5c"])
def test_good_request_id_is_kept(request_id: str) -> None:
    assert parse_question_payload({"question": "hola", "request_id": request_id}).request_id == (
        request_id
    )


def test_null_request_id_means_none() -> None:
    assert parse_question_payload({"question": "hola", "request_id": None}).request_id is None


@pytest.mark.parametrize("context", ["math", 3, ["subject"], True])
def test_non_object_context_is_invalid(context: Any) -> None:
    assert error_code({"question": "hola", "context": context}) == "invalid_payload"


def test_question_is_checked_before_request_id_and_context() -> None:
    """The protocol's order: the question's own error wins over the other fields'."""
    assert error_code({"question": " ", "request_id": 5, "context": 1}) == "question_empty"
    assert error_code({"question": "x" * 1001, "request_id": 5}) == "question_too_long"
    assert error_code({"question": "ok", "request_id": "r" * 65, "context": 1}) == (
        "invalid_payload"
    )


def test_context_fields_are_picked_and_language_defaults_to_es() -> None:
    request = parse_question_payload(
        {
            "question": "hola",
            "context": {
                "subject": "Matemáticas",
                "topic": "Derivadas",
                "level": "medio superior",
                "language": "en",
                "secret": "ignored",
            },
        }
    )
    assert request.generation_context == GenerationContext(
        subject="Matemáticas", topic="Derivadas", level="medio superior", language="en"
    )


@pytest.mark.parametrize(
    "context",
    [None, {}, {"language": "fr"}, {"language": None}, {"language": 1}, {"language": "ES"}],
    ids=repr,
)
def test_language_falls_back_to_es(context: Any) -> None:
    payload: dict[str, Any] = {"question": "hola"}
    if context is not None:
        payload["context"] = context
    assert parse_question_payload(payload).generation_context.language == "es"


def test_context_drops_non_strings_and_caps_length() -> None:
    request = parse_question_payload(
        {"question": "hola", "context": {"subject": 7, "topic": "t" * 300, "level": None}}
    )
    context = request.generation_context
    assert context.subject is None
    assert context.level is None
    assert context.topic == "t" * 100


def test_errors_carry_the_spanish_messages() -> None:
    with pytest.raises(Refused) as caught:
        parse_question_payload({"question": ""})
    assert error_payload(caught.value) == {
        "code": "question_empty",
        "message": MESSAGES["question_empty"],
    }


# -- AnswerCache against SQLite ---------------------------------------------------------


@pytest.fixture
def seeded(sqlite_database: SqliteDatabase) -> Iterator[tuple[SqliteDatabase, str]]:
    normalized, digest = question_key(SEEDED_QUESTION)
    answer = {
        "steps": [{"title": "Regla de la potencia", "content": "La derivada de x^2 es 2x."}],
        "total_duration": 20,
    }
    with sqlite_database.unit_of_work() as uow:
        row = uow.answers.add_if_absent(digest, normalized, SEEDED_QUESTION, answer, "seed")
        uow.commit()
    yield sqlite_database, row.id


@pytest.mark.parametrize(
    "text",
    [
        SEEDED_QUESTION,
        "cual es la derivada de x^2",
        "CUÁL ES LA DERIVADA DE X²",
        "  ¿¿Cuál   es la derivada de x ^ 2??  ",
        "¡¿Cuál es, la derivada de x^2?!",
        "Cuál es la derivada de x^2...",
    ],
)
def test_cache_hit_for_the_same_question_in_other_words(
    seeded: tuple[SqliteDatabase, str], text: str
) -> None:
    db, answer_id = seeded
    assert lookup(db, text) == answer_id


@pytest.mark.parametrize(
    "text",
    [
        "¿Cuál es la derivada de x³?",
        "¿Cuál es la derivada de y²?",
        "¿Cuál es la integral de x²?",
        "¿Cuál es la derivada de -x²?",
    ],
)
def test_cache_miss_is_none(seeded: tuple[SqliteDatabase, str], text: str) -> None:
    db, _ = seeded
    assert lookup(db, text) is None


def test_one_cache_answers_many_lookups(seeded: tuple[SqliteDatabase, str]) -> None:
    """One cache per instance; each lookup runs in its caller's unit of work (a
    connection per `with`)."""
    db, answer_id = seeded
    cache = AnswerCache()
    results = [
        lookup(db, q, cache) for q in (SEEDED_QUESTION, "otra", "CUAL ES LA DERIVADA DE X^2")
    ]
    assert results == [answer_id, None, answer_id]
    with db.unit_of_work() as uow:
        hit = cache.lookup(uow.answers, Question.of(SEEDED_QUESTION))
        same = cache.lookup(uow.answers, Question.of("cual es la derivada de x^2"))
    assert hit is not None and hit.answer_id == answer_id
    assert hit.explanation.total_duration == 20
    assert hit.explanation.steps[0].title == "Regla de la potencia"
    assert hit.planned == plan_steps(hit.explanation.steps)  # ready to stream
    assert same is not None and same.explanation is hit.explanation  # prepared once


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (None, "invalid_payload"),
        (12, "invalid_payload"),
        ("", "question_empty"),
        ("  \n ", "question_empty"),
        ("x" * 1001, "question_too_long"),
    ],
)
def test_bad_text_raises(seeded: tuple[SqliteDatabase, str], text: Any, code: str) -> None:
    """A question text that cannot be asked is refused before any lookup."""
    db, _ = seeded
    with pytest.raises(Refused) as caught:
        parse_question_payload({"question": text})
    assert caught.value.code == code


def test_empty_database_misses(sqlite_database: SqliteDatabase) -> None:
    assert lookup(sqlite_database, "hola") is None


def test_every_seed_answer_is_found_by_its_question(sqlite_database: SqliteDatabase) -> None:
    """The answers seed_database loads are keyed exactly like the cache looks them up."""
    seed_database(sqlite_database)
    cache = AnswerCache()
    with sqlite_database.unit_of_work() as uow:
        for item in load_seed_data()["answers"]:
            hit = cache.lookup(uow.answers, Question.of("  " + item["question"].upper() + " "))
            assert hit is not None, item["question"]
            first_title = item["answer"]["steps"][0]["title"]
            assert hit.explanation.steps[0].title == first_title


def test_nul_characters_never_reach_a_stored_text() -> None:
    """Found by the event fuzz: Postgres refuses text with NUL, which was an internal_error."""
    assert parse_question_payload({"question": "ho\x00la "}).question.text == "hola"
    assert error_code({"question": "\x00 \x00"}) == "question_empty"
    assert error_code({"question": "hola", "request_id": "r\x00"}) == "invalid_payload"


class _CountingAnswers:
    """An answer repository that counts the rows it is asked for."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.reads = 0

    def get_by_hash(self, question_hash: str) -> Any:
        self.reads += 1
        return self.inner.get_by_hash(question_hash)


def test_an_exact_hit_is_remembered_for_memo_s(
    seeded: tuple[SqliteDatabase, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same question again within ANSWER_MEMO_S reads no row; after it, one read."""
    db, answer_id = seeded
    cache = AnswerCache(memo_s=30)
    clock = [1000.0]
    monkeypatch.setattr("app.answer_cache.cache.time.monotonic", lambda: clock[0])
    with db.unit_of_work() as uow:
        answers = _CountingAnswers(uow.answers)
        hits = [cache.lookup(answers, Question.of(SEEDED_QUESTION)) for _ in range(3)]  # type: ignore[arg-type]
        assert answers.reads == 1
        clock[0] += 31
        again = cache.lookup(answers, Question.of(SEEDED_QUESTION))  # type: ignore[arg-type]
        assert answers.reads == 2
    assert {h.answer_id for h in hits if h} == {answer_id} and again is not None
    assert hits[1] is not None and hits[1].planned is hits[0].planned  # the prepared answer


def test_memo_off_reads_every_time_and_misses_are_never_remembered(
    seeded: tuple[SqliteDatabase, str],
) -> None:
    db, _ = seeded
    with db.unit_of_work() as uow:
        off = _CountingAnswers(uow.answers)
        cache = AnswerCache(memo_s=0)
        for _ in range(3):
            cache.lookup(off, Question.of(SEEDED_QUESTION))  # type: ignore[arg-type]
        assert off.reads == 3
        misses = _CountingAnswers(uow.answers)
        on = AnswerCache()
        for _ in range(3):
            assert on.lookup(misses, Question.of("una pregunta que no está")) is None  # type: ignore[arg-type]
        assert misses.reads == 3
