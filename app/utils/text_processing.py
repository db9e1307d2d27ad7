"""Cache keys for questions: the same question in other words maps to one key,
yet two questions that differ in a number, sign, exponent or variable never do."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_SUPERSCRIPTS = str.maketrans(
    {"²": "^2", "³": "^3", "¹": "^1", "⁰": "^0", "⁴": "^4", "⁵": "^5", "⁶": "^6", "⁷": "^7",
     "⁸": "^8", "⁹": "^9", "×": "*", "·": "*", "÷": "/", "−": "-", "–": "-", "—": "-",
     "≤": "<=", "≥": ">=", "≠": "!=", "√": "sqrt", "π": "pi"}
)  # fmt: skip
_OPERATORS = "+-*/^=<>()[]{}%|"
_DECIMAL = re.compile(r"(?<=\d)[.,](?=\d)")
_NOT_FACTORIAL = re.compile(r"(?<![\d)])!(?!=)")
_KEEP = re.compile(r"[^\w\s+\-*/^=<>()\[\]{}%|.!]")
_SPACE_AROUND_OPS = re.compile(r"\s*([+\-*/^=<>()\[\]{}%|!])\s*")
_SPACES = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """Lowercase, strip accents, punctuation and extra spaces; keep the math."""
    text = unicodedata.normalize("NFKC", text.translate(_SUPERSCRIPTS)).lower()
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    text = _DECIMAL.sub(".", text)
    text = _KEEP.sub(" ", text)
    text = _NOT_FACTORIAL.sub(" ", text)
    # A dot survives only between digits (decimals); any other is punctuation.
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", text)
    text = text.replace("_", " ")
    text = _SPACE_AROUND_OPS.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()


def generate_hash(text: str) -> str:
    """SHA-256 hex of the text, used as `predefined_answers.question_hash`."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def question_key(question: str) -> tuple[str, str]:
    """The normalized question and its hash, the two halves of the cache key."""
    normalized = normalize_text(question)
    return normalized, generate_hash(normalized)
