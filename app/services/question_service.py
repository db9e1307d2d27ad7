"""Question validation and the cache lookup, as the architecture guide names them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.adapters.engines.base import GenerationContext
from app.domain.records import PredefinedAnswer
from app.repositories.interfaces import UnitOfWork
from app.services.errors import ServiceError
from app.utils.text_processing import question_key

MAX_QUESTION_CHARS = 1000
MAX_REQUEST_ID_CHARS = 64


@dataclass(frozen=True)
class QuestionRequest:
    """A validated `ask_question` payload."""

    question: str
    normalized: str
    question_hash: str
    context: GenerationContext
    request_id: str | None


def validate_request_id(payload: dict[str, Any]) -> str | None:
    request_id = payload.get("request_id")
    if request_id is None:
        return None
    if not isinstance(request_id, str) or not 1 <= len(request_id) <= MAX_REQUEST_ID_CHARS:
        raise ServiceError("invalid_payload", "request_id debe ser un texto de 1 a 64 caracteres.")
    return request_id


def validate_question_text(raw: Any) -> str:
    """Return the trimmed question or raise the protocol's error for it."""
    if not isinstance(raw, str):
        raise ServiceError("invalid_payload", "Falta la pregunta o no es un texto.")
    question = raw.strip()
    if not question:
        raise ServiceError("question_empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise ServiceError("question_too_long")
    return question


def parse_question_payload(payload: Any) -> QuestionRequest:
    """Validate an `ask_question` payload in the protocol's order of checks."""
    if not isinstance(payload, dict):
        raise ServiceError("invalid_payload", "El mensaje debe ser un objeto JSON.")
    question = validate_question_text(payload.get("question"))
    request_id = validate_request_id(payload)
    context = payload.get("context")
    if context is not None and not isinstance(context, dict):
        raise ServiceError("invalid_payload", "context debe ser un objeto.")
    normalized, digest = question_key(question)
    return QuestionRequest(
        question, normalized, digest, GenerationContext.from_payload(context), request_id
    )


class QuestionService:
    """Validates, normalizes and hashes a question, and finds its cached answer."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def process_question(self, user_id: str, question_text: Any) -> str | None:
        """Return the cached answer id for the question, or None on a miss."""
        question = validate_question_text(question_text)
        _normalized, digest = question_key(question)
        answer = self.find_cached(digest)
        return answer.id if answer else None

    def find_cached(self, question_hash: str) -> PredefinedAnswer | None:
        with self.uow:
            return self.uow.answers.get_by_hash(question_hash)
