"""Recognize a Spanish math request and pull out the math it names.

Cheap and regex-based: it runs for every question that misses the cache, so it
only parses (safely, see parser.py) and never solves anything.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import sympy as sp

from .parser import SYMBOLS, MathParseError, parse_equation, parse_math

MAX_QUESTION_CHARS = 400

Kind = str  # equation | system | derivative | integral | simplify | factor | expand | limit | arithmetic


class NotMath(ValueError):
    """The question is not a computable math request we handle."""


@dataclass
class Task:
    """A recognized request: what to do and with which (already parsed) math."""

    kind: Kind
    source: str
    exprs: list[sp.Expr] = field(default_factory=list)
    equations: list[tuple[sp.Expr, sp.Expr]] = field(default_factory=list)
    var: sp.Symbol | None = None
    lower: sp.Expr | None = None
    upper: sp.Expr | None = None
    point: sp.Expr | None = None


_PRE = str.maketrans({"²": "^2", "³": "^3", "¿": " ", "?": " ", "¡": " ", "!": " ", "→": "->"})

_POLITE_TAIL = re.compile(
    r"(?:\s*(?:,|\.|;)?\s*(?:por\s+favor|porfa|porfavor|gracias|paso\s+a\s+paso|"
    r"explicame(?:\s+paso\s+a\s+paso)?|con\s+pasos|y\s+explica(?:me)?))+\s*$"
)
_LEAD_FILLER = re.compile(
    r"^(?:\s*(?:[:,]|(?:de|la|el|las|los|una|un|ecuacion(?:es)?|expresion|funcion|"
    r"siguiente|siguientes|polinomio|fraccion|operacion|lineal(?:es)?|cuadratica)\b)\s*)+"
)
_FUNC_PREFIX = re.compile(r"^(?:[fgh]\s*\(\s*[a-z]\s*\)|y)\s*=\s*")

_SYSTEM = re.compile(r"\bsistemas?\b")
_DERIV = re.compile(r"\b(?:deriva|derivar|derive|derivame|derivada|derivadas|diferencia)\b")
_INTEGRAL = re.compile(
    r"\b(?:integral(?:es)?(?:\s+(?:indefinida|definida))?|integra|integrar|integre|integrame)\b"
)
_LIMIT = re.compile(r"\blimite\b")
_SIMPLIFY = re.compile(r"\b(?:simplifica|simplificar|simplifique|simplificame|reduce|reducir)\b")
_FACTOR = re.compile(r"\b(?:factoriza|factorizar|factorice|factorizame|factorizacion)\b")
_EXPAND = re.compile(
    r"\b(?:desarrolla|desarrollar|desarrolle|desarrollame|expande|expandir|expanda|efectua)\b"
)
_DESPEJA = re.compile(
    r"\bdespej\w*\s+(?:a\s+|la\s+)?([a-z])\s+(?:en|de)\s+(?:la\s+(?:ecuacion|formula)\s+)?(.+)$"
)
_SOLVE = re.compile(
    r"\b(?:resuelve|resolver|resuelva|resuelvan|resuelveme|soluciona|solucionar|despeja|"
    r"despejar|encuentra|encontrar|halla|hallar|calcula|calcular|determina|obten)\b"
)
_ARITH = re.compile(
    r"\b(?:cuanto\s+(?:es|da|vale|son|seria)|calcula|calcular|resultado\s+de|opera|evalua|"
    r"efectua|resuelve|resolver)\b"
)
_RESPECT = re.compile(r"\s*(?:,\s*)?(?:con\s+)?respecto\s+(?:a|de)\s+([a-z])\s*$")
_DX = re.compile(r"\s*\bd\s?([a-z])\s*$")
_BOUNDS_FIRST = re.compile(r"^(?:(?:de|desde)\s+)?(\S+)\s+(?:a|hasta)\s+(\S+)\s+de\s+(.+)$")
_BOUNDS_LAST = re.compile(r"^(.+?)\s+(?:de|desde|entre)\s+(\S+)\s+(?:a|hasta|y)\s+(\S+)$")
_LIMIT_AT = re.compile(
    r"^(.+?)\s*,?\s*(?:cuando|con|si)\s+([a-z])\s*(?:tiende\s+a|tienda\s+a|se\s+acerca\s+a|->)\s*(.+)$"
)
_LIMIT_ARROW = re.compile(r"^(.+?)\s*,?\s*([a-z])\s*->\s*(.+)$")
_WORD = re.compile(r"[a-z]+")
_MATH_WORDS = {
    "sen", "sin", "cos", "tan", "tg", "cot", "sec", "csc", "cosec", "arcsen", "arcsin", "asin",
    "arccos", "acos", "arctan", "arctg", "atan", "senh", "sinh", "cosh", "tanh", "exp", "ln",
    "log", "sqrt", "raiz", "abs", "pi", "e",
}  # fmt: skip


def normalize_question(question: str) -> str:
    """Lowercase, strip accents and Spanish punctuation; keep the math."""
    text = question.translate(_PRE)
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    text = re.sub(r"\s+", " ", text.lower()).strip()
    return _POLITE_TAIL.sub("", text).strip(" .,;:")


def _looks_like_math(text: str) -> bool:
    """True for bare math: operators or digits and no ordinary Spanish words."""
    if not re.search(r"[\d=+\-*/^]", text):
        return False
    return all(w in _MATH_WORDS or len(w) <= 2 for w in _WORD.findall(text))


def _tidy(text: str, kind: Kind) -> str:
    text = _LEAD_FILLER.sub("", text).strip()
    if kind != "equation":
        text = _FUNC_PREFIX.sub("", text)
    return _POLITE_TAIL.sub("", text).strip(" .,;:")


def _pick_var(exprs: list[sp.Expr], wanted: str | None = None) -> sp.Symbol:
    if wanted:
        return SYMBOLS[wanted] if wanted in SYMBOLS else sp.Symbol(wanted)
    free = sorted(set().union(*(e.free_symbols for e in exprs)), key=lambda s: s.name)
    for name in ("x", "y", "z", "t"):
        if sp.Symbol(name) in free:
            return sp.Symbol(name)
    if not free:
        raise NotMath("no variable")
    return free[0]


def _split_equations(text: str) -> list[str]:
    """Split "x + y = 3, x - y = 1" (or with `;` or ` y `) into equations."""
    parts = [p.strip() for p in re.split(r"[;,\n]", text) if p.strip()]
    if len(parts) >= 2:
        return parts
    pieces = re.split(r"\s+y\s+", text)
    out: list[str] = []
    chunk = ""
    for i, piece in enumerate(pieces):
        chunk = f"{chunk} y {piece}" if chunk else piece
        nxt = pieces[i + 1] if i + 1 < len(pieces) else ""
        complete = (
            chunk.count("=") == 1
            and not re.search(r"[+\-*/^=(]\s*$", chunk)
            and (not nxt or not re.match(r"^\s*[+\-*/^=)]", nxt))
        )
        if complete:
            out.append(chunk.strip())
            chunk = ""
    if chunk:
        out.append(chunk.strip())
    return out


def _recognize(text: str) -> Task:
    if len(text) > MAX_QUESTION_CHARS:
        raise NotMath("too long")
    if _SYSTEM.search(text) and "=" in text:
        rest = _tidy(text[_SYSTEM.search(text).end() :], "system")
        rest = re.sub(r"^(?:de\s+)?ecuaciones\s*(?:lineales\s*)?", "", rest).strip(" :")
        eq_texts = _split_equations(rest)
        if not 2 <= len(eq_texts) <= 3:
            raise NotMath("systems of 2 or 3 equations only")
        equations = [parse_equation(e) for e in eq_texts]
        return Task("system", rest, equations=equations)
    for pattern, kind in ((_DERIV, "derivative"), (_INTEGRAL, "integral"), (_LIMIT, "limit")):
        match = pattern.search(text)
        if match:
            return _calculus(kind, _tidy(text[match.end() :], kind))
    for pattern, kind in ((_SIMPLIFY, "simplify"), (_FACTOR, "factor"), (_EXPAND, "expand")):
        match = pattern.search(text)
        if match:
            rest = _tidy(text[match.end() :], kind)
            expr = parse_math(rest)
            if not expr.free_symbols and kind != "simplify":
                raise NotMath("nothing to factor or expand")
            return Task(kind, rest, exprs=[expr])
    despeja = _DESPEJA.search(text)
    if despeja:
        rest = _tidy(despeja.group(2), "equation")
        lhs, rhs = parse_equation(rest)
        return Task(
            "equation", rest, equations=[(lhs, rhs)], var=_pick_var([lhs, rhs], despeja.group(1))
        )
    solve = _SOLVE.search(text)
    if solve and "=" in text[solve.end() :]:
        rest = _tidy(text[solve.end() :], "equation")
        rest = re.sub(r"^(?:el\s+valor\s+de\s+[a-z]|para\s+[a-z])\s*(?:en|de|:)?\s*", "", rest)
        return _equation(rest)
    arith = _ARITH.search(text)
    if arith:
        rest = _tidy(text[arith.end() :], "arithmetic")
        expr = parse_math(rest)
        if expr.free_symbols:
            raise NotMath("arithmetic with variables")
        return Task("arithmetic", rest, exprs=[expr])
    if _looks_like_math(text):
        if "=" in text:
            return _equation(_tidy(text, "equation"))
        expr = parse_math(text)
        if not expr.free_symbols:
            return Task("arithmetic", text, exprs=[expr])
    raise NotMath("not a recognized math request")


def _equation(rest: str) -> Task:
    lhs, rhs = parse_equation(rest)
    return Task("equation", rest, equations=[(lhs, rhs)], var=_pick_var([lhs, rhs]))


def _calculus(kind: Kind, rest: str) -> Task:
    wanted: str | None = None
    if kind == "limit":
        match = _LIMIT_AT.match(rest) or _LIMIT_ARROW.match(rest)
        if not match:
            raise NotMath("limit without a point")
        body, wanted, at = match.group(1), match.group(2), match.group(3).strip()
        at = re.sub(r"^(?:mas\s+|\+\s*)?infinito$", "oo", at)
        expr = parse_math(_tidy(body, kind))
        point = (
            sp.oo
            if at == "oo"
            else (-sp.oo if re.match(r"^(?:menos\s+|-\s*)infinito$", at) else parse_math(at))
        )
        if point.free_symbols:
            raise NotMath("limit point must be a number")
        return Task(kind, rest, exprs=[expr], var=_pick_var([expr], wanted), point=point)
    lower = upper = None
    if kind == "integral":
        match = _BOUNDS_FIRST.match(rest)
        if match:
            lower, upper, rest = match.group(1), match.group(2), match.group(3)
        else:
            match = _BOUNDS_LAST.match(rest)
            if match and not match.group(1).endswith(("^", "*", "/")):
                rest, lower, upper = match.group(1), match.group(2), match.group(3)
    respect = _RESPECT.search(rest)
    if respect:
        wanted, rest = respect.group(1), rest[: respect.start()]
    if kind == "integral":
        dx = _DX.search(rest)
        if dx:
            wanted, rest = dx.group(1), rest[: dx.start()]
    expr = parse_math(_tidy(rest, kind))
    task = Task(kind, rest, exprs=[expr], var=_pick_var([expr], wanted))
    if lower is not None and upper is not None:
        task.lower, task.upper = _bound(lower), _bound(upper)
    return task


def _bound(text: str) -> sp.Expr:
    value = parse_math(text.replace("infinito", "oo")) if "infinito" not in text else None
    if value is None:
        raise NotMath("infinite bounds are not handled")
    if value.free_symbols:
        raise NotMath("bounds must be numbers")
    return value


def recognize(question: str) -> Task:
    """Return the Task for a question, or raise NotMath."""
    if not isinstance(question, str) or len(question) > 1000:
        raise NotMath("not a question we take")
    text = normalize_question(question)
    try:
        return _recognize(text)
    except MathParseError as exc:
        raise NotMath(str(exc)) from exc
