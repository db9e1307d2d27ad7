"""How students type: accents, capitals, Spanish punctuation and misspelled task words.

`normalize` lowercases, strips accents and opening/closing signs and collapses spaces;
`fix_typos` replaces a word of six letters or more that is one slip away (two for long
words) from a task word of the offline engines ("resulve" -> "resuelve", "intregral" ->
"integral"). A word is only corrected towards a task word with the same first letter,
and every common word that sits close to one is itself in the vocabulary, so ordinary
Spanish is left alone.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

_PRE = str.maketrans(
    {"²": "^2", "³": "^3", "¿": " ", "?": " ", "¡": " ", "!": " ", "→": "->", "⟶": "->",
     "×": "*", "·": "*", "÷": "/", "−": "-", "–": "-", "—": "-", "º": "°", "π": "pi"}
)  # fmt: skip

VOCABULARY = frozenset(
    word
    for line in (Path(__file__).with_name("vocabulary.txt"))
    .read_text(encoding="utf-8")
    .splitlines()
    if not line.startswith("#")
    for word in line.split()
)

_WORD = re.compile(r"[a-z]{6,}")  # shorter words are too close to each other to guess


def normalize(question: str, lower: bool = True) -> str:
    """Strip accents and Spanish signs, collapse spaces, lowercase; keep the math."""
    text = question.translate(_PRE)
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    text = re.sub(r"\s+", " ", text).strip()
    return text.lower() if lower else text


def _distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (an adjacent swap counts once), capped."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, previous2[j - 2] + 1)
            current.append(value)
        previous2, previous = previous, current
        if min(current) > limit:
            return limit + 1
    return previous[-1]


@lru_cache(maxsize=4096)
def correct_word(word: str) -> str:
    """The task word `word` was meant to be, or `word` itself."""
    if word in VOCABULARY:
        return word
    limit = 1 if len(word) < 9 else 2
    best, best_distance = word, limit + 1
    for candidate in VOCABULARY:
        if candidate[0] != word[0]:
            continue
        distance = _distance(word, candidate, limit)
        if distance < best_distance:
            best, best_distance = candidate, distance
    return best


def fix_typos(text: str) -> str:
    """Correct misspelled task words in normalized text."""
    return _WORD.sub(lambda m: correct_word(m.group(0)), text)
