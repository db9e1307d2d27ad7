"""The answer-engine interface: steps come out one at a time, as they exist.

Streaming starts on the first yielded step, so an engine that generates slowly
(a language model) still lets the student read early.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.domain.explanation import Step


@dataclass
class GenerationContext:
    """What an engine may use besides the question text."""

    subject: str | None = None
    topic: str | None = None
    level: str | None = None
    language: str = "es"

    @classmethod
    def from_payload(cls, raw: Any) -> GenerationContext:
        if not isinstance(raw, dict):
            return cls()
        pick = {k: raw.get(k) for k in ("subject", "topic", "level") if isinstance(raw.get(k), str)}
        language = raw.get("language") if raw.get("language") in ("es", "en") else "es"
        return cls(**{k: v[:100] for k, v in pick.items()}, language=language)


@dataclass
class GenerationResult:
    """Filled in by the engine while it yields; read after the iterator ends."""

    total_duration: float = 60
    engine: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class EngineError(Exception):
    """A generation failed; `code` is a protocol error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class CannotAnswer(Exception):
    """The engine does not handle this question; the next engine may."""


class AnswerEngine(Protocol):
    """Yields validated steps. Raises CannotAnswer before the first step if the
    question is not for it, EngineError on failure."""

    name: str

    def generate(
        self, question: str, context: GenerationContext, result: GenerationResult
    ) -> Iterator[Step]: ...
