"""Cache keys for questions: the same question in other words maps to one key,
yet two questions that differ in a number, sign, exponent or variable never do."""

from __future__ import annotations

import hashlib
import re
import unicodedata

# Superscript runs become one caret exponent before NFKC would flatten them
# ("x⁻¹" -> "x^-1", "x¹²" -> "x^12", "xⁿ" -> "x^n"; "x²⁺ⁿ" -> "x^(2+n)").
_SUPERSCRIPT_CHARS = {"⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6",
                      "⁷": "7", "⁸": "8", "⁹": "9", "⁺": "+", "⁻": "-", "⁼": "=", "⁽": "(",
                      "⁾": ")", "ⁿ": "n", "ⁱ": "i"}  # fmt: skip
_SUPERSCRIPT_RUN = re.compile("[" + "".join(_SUPERSCRIPT_CHARS) + "]+")
_BARE_EXPONENT = re.compile(r"-?(\d+|[a-z])")
# Applied after NFKC and casefold, so compatibility forms ("₋" -> "−") and capitals
# ("Π") reach it too.
_SYMBOLS = str.maketrans(
    {"×": "*", "·": "*", "÷": "/", "−": "-", "–": "-", "—": "-", "≤": "<=", "≥": ">=",
     "≠": "!=", "√": "sqrt", "π": "pi"}
)  # fmt: skip
_OPERATORS = "+-*/^=<>()[]{}%|"
_DECIMAL = re.compile(r"(?<=\d)[.,](?=\d)")
_NOT_FACTORIAL = re.compile(r"(?<![\d)])!(?!=)")
_KEEP = re.compile(r"[^\w\s+\-*/^=<>()\[\]{}%|.!]")
_SPACE_AROUND_OPS = re.compile(r"\s*([+\-*/^=<>()\[\]{}%|!])\s*")
_SPACES = re.compile(r"\s+")


def _exponent(match: re.Match[str]) -> str:
    power = "".join(_SUPERSCRIPT_CHARS[c] for c in match.group())
    return "^" + (power if _BARE_EXPONENT.fullmatch(power) else f"({power})")


def normalize_text(text: str) -> str:
    """Lowercase, strip accents, punctuation and extra spaces; keep the math."""
    text = _SUPERSCRIPT_RUN.sub(_exponent, text)
    text = unicodedata.normalize("NFKC", text).casefold().translate(_SYMBOLS)
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    text = _DECIMAL.sub(".", text)
    text = _KEEP.sub(" ", text)
    text = _NOT_FACTORIAL.sub(" ", text)
    # A dot survives only before a digit (decimals, ".5"); any other is punctuation.
    text = re.sub(r"\.(?!\d)", " ", text)
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
