"""Recognize a Spanish math question and pull out the math it names.

Cheap: it runs for every question that misses the cache, so it only normalizes, matches
patterns and parses (safely, see parser.py); it never solves anything. The topic
recognizers are tried from the most specific (percentages, word problems, geometry,
functions, trigonometry) to the most general (symbolic requests, bare arithmetic).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from app.adapters.engines.offline_core.wording import fix_typos, normalize

from . import (
    analytic,
    functions,
    geometry,
    percent,
    proportion,
    triangles,
    trig_values,
    word_numbers,
    word_systems,
)
from .arithmetic import ArithmeticTask
from .numbers import parse_arithmetic
from .parser import MathParseError
from .symbolic import looks_like_math, recognize_symbolic
from .task import NotMath

MAX_QUESTION_CHARS = 400

_POLITE_TAIL = re.compile(
    r"(?:\s*(?:,|\.|;)?\s*(?:por\s+favor|porfa|porfavor|plis|pls|gracias|paso\s+a\s+paso|"
    r"explicame(?:\s+paso\s+a\s+paso)?|con\s+pasos|y\s+explica(?:me)?|"
    r"(?:me\s+)?(?:puedes|podrias)\s+ayudar)|\s*:\s*[(\[]?\s*|\s+xd+)+\s*$"
)
_POLITE_HEAD = re.compile(
    r"^(?:hola\s*,?\s*)?(?:(?:me\s+)?(?:ayudas|ayudan|puedes\s+ayudarme|podrias\s+ayudarme)|"
    r"ayudame|ayuda)\s+(?:con|a|en)\s+(?=\S)"
)
_ARITH = re.compile(
    r"\b(?:cuanto\s+(?:es|da|vale|son|seria|sale|queda)|calcula|calcular|calcule|"
    r"resultado\s+de|opera|evalua|efectua|resuelve|resolver|simplifica)\b"
)
_ARITH_LEAD = re.compile(
    r"^(?:\s*(?:[:,]|la\s+operacion|el\s+resultado\s+de|lo\s+siguiente|la(?=\s+raiz))\s*)+"
)

MATCHERS: tuple[Callable[[str], Any], ...] = (
    percent.match,
    proportion.match,
    triangles.match,
    geometry.match,
    functions.match,
    analytic.match,
    trig_values.match,
    word_systems.match,
    word_numbers.match,
)


def normalize_question(question: str) -> str:
    """Lowercase, no accents or Spanish signs, task words spelled right, no polite words."""
    text = _POLITE_HEAD.sub("", fix_typos(normalize(question)))
    return _POLITE_TAIL.sub("", text).strip(" .,;:")


def _arithmetic(text: str) -> ArithmeticTask:
    trigger = _ARITH.search(text)
    if trigger is None and not looks_like_math(text):
        raise NotMath("not a recognized math request")
    rest = _ARITH_LEAD.sub("", text[trigger.end() :] if trigger else text).strip(" .,;:=")
    return ArithmeticTask(parse_arithmetic(rest), rest)


def _recognize(text: str) -> Any:
    for match in MATCHERS:
        task = match(text)
        if task is not None:
            return task
    task = recognize_symbolic(text)
    if task is not None:
        return task
    return _arithmetic(text)


def recognize(question: str) -> Any:
    """Return the task for a question, or raise NotMath."""
    if not isinstance(question, str) or len(question) > 1000:
        raise NotMath("not a question we take")
    text = normalize_question(question)
    if len(text) > MAX_QUESTION_CHARS:
        raise NotMath("too long")
    try:
        return _recognize(text)
    except MathParseError as exc:
        raise NotMath(str(exc)) from exc
