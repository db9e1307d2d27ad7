"""A question as the cache and the engines see it: the text, its normal form, its hash."""

from __future__ import annotations

from dataclasses import dataclass

from app.utils.text_processing import question_key

MAX_QUESTION_CHARS = 1000


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
