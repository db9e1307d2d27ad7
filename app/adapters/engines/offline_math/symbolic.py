"""Recognize symbolic requests: systems, derivatives, integrals, limits, simplify,
factor, expand and equations, and pull out the math they name (parsed safely)."""

from __future__ import annotations

import re

import sympy as sp

from .common import typed_tex
from .parser import SYMBOLS, parse_equation, parse_math, parse_unevaluated
from .task import NotMath, Task

_LEAD_FILLER = re.compile(
    r"^(?:\s*(?:[:,]|(?:de|la|el|las|los|una|un|ecuacion(?:es)?|expresion|funcion|"
    r"siguiente|siguientes|polinomio|fraccion|operacion|lineal(?:es)?|cuadratica)\b)\s*)+"
)
_TAIL_FILLER = re.compile(r"(?:\s*[.,;:]?\s*(?:y\s+)?(?:explica\w*|por\s+favor|gracias))+\s*$")
_FUNC_PREFIX = re.compile(r"^(?:[fgh]\s*\(\s*[a-z]\s*\)|y)\s*=\s*")

_SYSTEM = re.compile(r"\bsistemas?\b")
_DERIV = re.compile(r"\b(?:deriva|derivar|derive|derivame|derivada|derivadas|diferencia)\b")
_INTEGRAL = re.compile(
    r"\b(?:integral(?:es)?(?:\s+(?:indefinida|definida))?|integra|integrar|integre|integrame)\b"
)
_LIMIT = re.compile(r"\b(?:limite|lim)\b")
_SIMPLIFY = re.compile(r"\b(?:simplifica|simplificar|simplifique|simplificame|reduce|reducir)\b")
_FACTOR = re.compile(r"\b(?:factoriza|factorizar|factorice|factorizame|factorizacion)\b")
_EXPAND = re.compile(
    r"\b(?:desarrolla|desarrollar|desarrolle|desarrollame|expande|expandir|expanda|efectua)\b"
)
_DESPEJA = re.compile(
    r"\bdespej\w*\s+(?:a\s+|la\s+)?([a-z])\s+(?:en|de)\s+(?:la\s+(?:ecuacion|formula)\s+)?(.+)$"
)
_SOLVE = re.compile(
    r"\b(?:resuelve|resolver|resuelva|resuelvan|resuelveme|resuelvo|soluciona|solucionar|"
    r"despeja|despejar|encuentra|encontrar|halla|hallar|calcula|calcular|determina|obten)\b"
)
_RESPECT = re.compile(r"\s*(?:,\s*)?(?:con\s+)?respecto\s+(?:a|de)\s+([a-z])\s*$")
_DX = re.compile(r"\s*\bd\s?([a-z])\s*$")
_BOUNDS_FIRST = re.compile(r"^(?:(?:de|desde)\s+)?(\S+)\s+(?:a|hasta)\s+(\S+)\s+de\s+(.+)$")
_BOUNDS_LAST = re.compile(r"^(.+?)\s+(?:de|desde|entre)\s+(\S+)\s+(?:a|hasta|y)\s+(\S+)$")
_TENDS = r"(?:tiende\s+a|tienda\s+a|se\s+acerca\s+a|->)"
_LIMIT_AT = re.compile(rf"^(.+?)\s*,?\s*(?:cuando|con|si)\s+([a-z])\s*{_TENDS}\s*(.+)$")
_LIMIT_ARROW = re.compile(r"^(.+?)\s*,?\s*([a-z])\s*->\s*(.+)$")
# "lim x->0 sin(x)/x", "lim (x->2) ...", "lim_{x->0} ...", "cuando x tiende a 0 de ..."
_LIMIT_POINT_FIRST = re.compile(
    rf"^(?:_?\{{?\(?\s*|cuando\s+)([a-z])\s*{_TENDS}\s*(-?\s*(?:infinito|oo|[\d./]+|pi(?:/\d+)?))"
    r"\s*\)?\}?\s*(?:de\s+|,\s*)?(.+)$"
)
_DEGREES = re.compile(r"°|\bgrados?\b")


def _tidy(text: str, kind: str) -> str:
    text = _LEAD_FILLER.sub("", text).strip()
    if kind != "equation":
        text = _FUNC_PREFIX.sub("", text)
    return _TAIL_FILLER.sub("", text).strip(" .,;:")


def pick_var(exprs: list[sp.Expr], wanted: str | None = None) -> sp.Symbol:
    if wanted:
        return SYMBOLS[wanted] if wanted in SYMBOLS else sp.Symbol(wanted)
    free = sorted(set().union(*(e.free_symbols for e in exprs)), key=lambda s: s.name)
    for name in ("x", "y", "z", "t"):
        if sp.Symbol(name) in free:
            return sp.Symbol(name)
    if not free:
        raise NotMath("no variable")
    return free[0]


def split_equations(text: str) -> list[str]:
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


def _system(text: str) -> Task | None:
    """A system, named ("resuelve el sistema ...") or just two or three equations."""
    keyword = _SYSTEM.search(text)
    if keyword:
        rest = text[keyword.end() :]
    elif text.count("=") in (2, 3):
        solve = _SOLVE.search(text)
        rest = text[solve.end() :] if solve else text
    else:
        return None
    rest = re.sub(r"^\s*(?:de\s+)?ecuaciones\s*(?:lineales\s*)?", "", _tidy(rest, "system"))
    rest = rest.strip(" :")
    eq_texts = split_equations(rest)
    if not 2 <= len(eq_texts) <= 3:
        if keyword:
            raise NotMath("systems of 2 or 3 equations only")
        return None
    equations = [parse_equation(e) for e in eq_texts]
    if len(set().union(*(lhs.free_symbols | rhs.free_symbols for lhs, rhs in equations))) < 2:
        return None
    return Task("system", rest, equations=equations)


def recognize_symbolic(text: str) -> Task | None:
    """The symbolic Task named by normalized text, or None when it names none."""
    if "=" in text:
        system = _system(text)
        if system is not None:
            return system
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
    degrees = bool(_DEGREES.search(text))
    text = re.sub(r"\s*(?:°|\ben\s+grados\b|\bgrados?\b)", "", text)
    despeja = _DESPEJA.search(text)
    if despeja:
        return equation_task(_tidy(despeja.group(2), "equation"), degrees, despeja.group(1))
    solve = _SOLVE.search(text)
    if solve and "=" in text[solve.end() :]:
        rest = _tidy(text[solve.end() :], "equation")
        rest = re.sub(
            r"^(?:el\s+valor\s+de\s+[a-z]|para\s+[a-z]|[a-z]\s*:)\s*(?:en|de|:)?\s*", "", rest
        )
        return equation_task(rest, degrees)
    if "=" in text and looks_like_math(text):
        return equation_task(_tidy(text, "equation"), degrees)
    return None


_WORD = re.compile(r"[a-z]+")
_MATH_WORDS = {
    "sen", "sin", "cos", "tan", "tg", "cot", "sec", "csc", "cosec", "arcsen", "arcsin", "asin",
    "arccos", "acos", "arctan", "arctg", "atan", "senh", "sinh", "cosh", "tanh", "exp", "ln",
    "log", "sqrt", "raiz", "abs", "pi", "e",
}  # fmt: skip


def looks_like_math(text: str) -> bool:
    """True for bare math: operators or digits and no ordinary Spanish words."""
    if not re.search(r"[\d=+\-*/^]", text):
        return False
    return all(w in _MATH_WORDS or len(w) <= 2 for w in _WORD.findall(text))


def equation_task(rest: str, degrees: bool = False, wanted: str | None = None) -> Task:
    lhs, rhs = parse_equation(rest)
    left_text, right_text = rest.split("=")
    typed = (parse_unevaluated(left_text), parse_unevaluated(right_text))
    return Task(
        "equation",
        rest,
        equations=[(lhs, rhs)],
        var=pick_var([lhs, rhs], wanted),
        degrees=degrees,
        typed=typed if all(typed_tex(side) for side in typed) else None,
    )


def _limit_point(at: str) -> sp.Expr:
    at = at.strip()
    if re.match(r"^(?:mas\s+|\+\s*)?(?:infinito|oo)$", at):
        return sp.oo
    if re.match(r"^(?:menos\s+|-\s*)(?:infinito|oo)$", at):
        return -sp.oo
    point = parse_math(at)
    if point.free_symbols:
        raise NotMath("limit point must be a number")
    return point


def _limit(rest: str) -> Task:
    first = _LIMIT_POINT_FIRST.match(rest)
    if first:
        wanted, at, body = first.group(1), first.group(2), first.group(3)
    else:
        match = _LIMIT_AT.match(rest) or _LIMIT_ARROW.match(rest)
        if not match:
            raise NotMath("limit without a point")
        body, wanted, at = match.group(1), match.group(2), match.group(3)
    expr = parse_math(_tidy(body, "limit"))
    return Task("limit", rest, exprs=[expr], var=pick_var([expr], wanted), point=_limit_point(at))


def _calculus(kind: str, rest: str) -> Task:
    if kind == "limit":
        return _limit(rest)
    wanted: str | None = None
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
    task = Task(kind, rest, exprs=[expr], var=pick_var([expr], wanted))
    if lower is not None and upper is not None:
        task.lower, task.upper = _bound(lower), _bound(upper)
    return task


def _bound(text: str) -> sp.Expr:
    if "infinito" in text:
        raise NotMath("infinite bounds are not handled")
    value = parse_math(text)
    if value.free_symbols:
        raise NotMath("bounds must be numbers")
    return value
