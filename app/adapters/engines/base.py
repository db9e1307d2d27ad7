"""The answer-engine interface: steps come out one at a time, as they exist.

Streaming starts on the first yielded step, so an engine that generates slowly
(a language model) still lets the student read early.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.domain.explanation import Step
from app.domain.questions import GenerationContext


@dataclass
class GenerationResult:
    """Filled in by the engine while it yields; read after the iterator ends."""

    total_duration: float = 60
    engine: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class EngineError(Exception):
    """A generation (or transcription) failed: a protocol error `code` and a `reason`,
    the key of its Spanish text in the catalogue (`app/socket_events/messages.py`)."""

    def __init__(self, code: str, reason: str = "", text: str | None = None) -> None:
        super().__init__(f"{code} ({reason})" if reason else code)
        self.code = code
        self.reason = reason
        self.text = text  # an engine's own Spanish text (the offline tutor's suggestions)


class CannotAnswer(Exception):
    """The engine does not handle this question; the next engine may."""


class AnswerEngine(Protocol):
    """Yields validated steps. Raises CannotAnswer before the first step if the
    question is not for it, EngineError on failure."""

    name: str

    def generate(
        self, question: str, context: GenerationContext, result: GenerationResult
    ) -> Iterator[Step]: ...
