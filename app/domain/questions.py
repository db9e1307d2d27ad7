"""A question as the cache and the engines see it: the text, its normal form, its hash."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.utils.text_processing import question_key

MAX_QUESTION_CHARS = 1000


def question_text(raw: str) -> str:
    """The text of a question as asked: trimmed, without NUL characters (no text
    column takes them, Postgres refuses the row; no student types them)."""
    return raw.replace("\x00", "").strip()


def question_problem(text: str) -> str | None:
    """The protocol's code for a question text that cannot be asked (after trimming)."""
    if not text:
        return "question_empty"
    if len(text) > MAX_QUESTION_CHARS:
        return "question_too_long"
    return None


@dataclass(frozen=True)
class Question:
    """The trimmed text as the student asked it, with its cache key."""

    text: str
    normalized: str
    hash: str

    @classmethod
    def of(cls, text: str) -> Question:
        normalized, digest = question_key(text)
        return cls(text, normalized, digest)


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
