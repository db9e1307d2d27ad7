"""Validation of `ask_question` payloads and the cache lookup, on an embedded SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from app.adapters.engines.base import GenerationContext
from app.repositories.sql import SqliteDatabase
from app.services.errors import MESSAGES_ES, ServiceError
from app.services.question_service import (
    MAX_QUESTION_CHARS,
    QuestionRequest,
    QuestionService,
    parse_question_payload,
)
from app.utils.text_processing import generate_hash, normalize_text, question_key

SEEDED_QUESTION = "¿Cuál es la derivada de x²?"
USER = "11111111-1111-4111-8111-111111111111"


def error_code(payload: Any) -> str:
    with pytest.raises(ServiceError) as caught:
        parse_question_payload(payload)
    assert caught.value.message  # every refusal carries a message for the student
    return caught.value.code


# -- parse_question_payload ---------------------------------------------------------


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
    assert ok.question == "a" * 1000
    # 1000 characters surrounded by spaces: trimmed first, so accepted.
    padded = parse_question_payload({"question": "\n  " + "b" * 1000 + "   \t"})
    assert padded.question == "b" * 1000


def test_question_is_trimmed_and_keyed() -> None:
    request = parse_question_payload({"question": "   " + SEEDED_QUESTION + "  \n"})
    assert isinstance(request, QuestionRequest)
    assert request.question == SEEDED_QUESTION
    assert request.normalized == normalize_text(SEEDED_QUESTION) == "cual es la derivada de x^2"
    assert request.question_hash == generate_hash(request.normalized)
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
    assert request.context == GenerationContext(
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
    assert parse_question_payload(payload).context.language == "es"


def test_context_drops_non_strings_and_caps_length() -> None:
    request = parse_question_payload(
        {"question": "hola", "context": {"subject": 7, "topic": "t" * 300, "level": None}}
    )
    assert request.context.subject is None
    assert request.context.level is None
    assert request.context.topic == "t" * 100


def test_errors_carry_the_spanish_messages() -> None:
    with pytest.raises(ServiceError) as caught:
        parse_question_payload({"question": ""})
    assert caught.value.to_payload() == {
        "code": "question_empty",
        "message": MESSAGES_ES["question_empty"],
    }


# -- QuestionService against SQLite ---------------------------------------------------


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
    assert QuestionService(db.unit_of_work()).process_question(USER, text) == answer_id


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
    assert QuestionService(db.unit_of_work()).process_question(USER, text) is None


def test_one_service_answers_many_lookups(seeded: tuple[SqliteDatabase, str]) -> None:
    """The unit of work is re-entered per lookup (a connection per `with`)."""
    db, answer_id = seeded
    service = QuestionService(db.unit_of_work())
    results = [
        service.process_question(USER, q)
        for q in (SEEDED_QUESTION, "otra", "CUAL ES LA DERIVADA DE X^2")
    ]
    assert results == [answer_id, None, answer_id]
    assert service.find_cached(question_key(SEEDED_QUESTION)[1]).answer["total_duration"] == 20


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
    db, _ = seeded
    with pytest.raises(ServiceError) as caught:
        QuestionService(db.unit_of_work()).process_question(USER, text)
    assert caught.value.code == code


def test_empty_database_misses(sqlite_database: SqliteDatabase) -> None:
    assert QuestionService(sqlite_database.unit_of_work()).process_question(USER, "hola") is None
