"""Number problems in words: one unknown ("el triple de un número menos 5 es 16"),
consecutive numbers, and two numbers from their sum with their difference, ratio or
excess. Phrases are translated to algebra; anything left untranslated means "not ours"."""

from __future__ import annotations

import re

import sympy as sp

from .common import typed_tex
from .parser import MathParseError, parse_math, parse_unevaluated
from .quantities import NUMBER, number, spell_out_numbers
from .word_problem import Statement, WordProblem

X, Y = sp.symbols("x y")
N = NUMBER
_ASKS = re.compile(
    r"[,.;]?\s*(?:cual(?:es)?\s+(?:es|son)|que\s+numeros?|cuanto\s+vale|encuentra|halla|"
    r"determina|calcula|obten|de\s+que\s+numero\s+se\s+trata)\b.*$"
)
_TIMES = {"doble": 2, "triple": 3, "cuadruple": 4, "quintuple": 5}
_PART = {"mitad": 2, "tercera parte": 3, "cuarta parte": 4, "quinta parte": 5}
_THE_NUMBER = r"(?:\s+(?:de|del)\s+(?:un|el|dicho|ese|este)?\s*numero)?"
_PHRASES: tuple[tuple[str, str], ...] = (
    (rf"\b(?:el|su|al|a\s+su)\s+({'|'.join(_TIMES)}){_THE_NUMBER}", "TIMES"),
    (rf"\b(?:la|su|a\s+la|a\s+su)\s+({'|'.join(_PART)}){_THE_NUMBER}", "PART"),
    (rf"\b(?:el|su|al)\s+cuadrado{_THE_NUMBER}", "(x^2)"),
    (r"\b(\d+)\s+veces\s+(?:un|el|dicho|ese)\s+numero", r"(\1*x)"),
    (r"\b(?:a\s+)?(?:un|el|dicho|cierto|ese|este|mi)\s+numero\b", "x"),
    (
        r"\bla\s+suma\s+de\s+(.+?)\s+(?:y|con|mas)\s+(.+?)(?=\s+(?:es|da|resulta|equivale)\b|$)",
        r"(\1)+(\2)",
    ),
    (
        r"\bla\s+diferencia\s+(?:de|entre)\s+(.+?)\s+y\s+(.+?)(?=\s+(?:es|da|resulta|equivale)\b|$)",
        r"(\1)-(\2)",
    ),
    (
        r"\bel\s+producto\s+de\s+(.+?)\s+(?:y|por)\s+(.+?)(?=\s+(?:es|da|resulta|equivale)\b|$)",
        r"(\1)*(\2)",
    ),
    (
        r"\b(?:le\s+)?(?:sumas|sumamos|suma|agregas|agregamos|anades)\b|\bse\s+le\s+(?:suma|agrega)\b|\baumentado\s+en\b|\bmas\b",
        "+",
    ),
    (
        r"\b(?:le\s+)?(?:restas|restamos|quitas|quitamos)\b|\bse\s+le\s+(?:resta|quita)\b|\bdisminuido\s+en\b|\bmenos\b",
        "-",
    ),
    (r"\bmultiplicado\s+por\b|\bpor\b", "*"),
    (r"\bdividido\s+(?:entre|por)\b|\bentre\b", "/"),
)
_RELATION = re.compile(
    r"\s(?:es\s+igual\s+a|es|da\s+como\s+resultado|da|resulta|obtienes|obtengo|obtenemos|"
    r"se\s+obtiene|equivale\s+a|nos\s+da|sera|queda|el\s+resultado\s+es)\s"
)
_CONSECUTIVE = re.compile(
    rf"(?:la\s+suma\s+de\s+)?(2|3|4)\s+numeros\s+(enteros\s+)?(pares\s+|impares\s+)?consecutivos"
    rf"(?:\s+(?:es|suman|da|dan)|\s+cuya\s+suma\s+es)\s+{N}"
)
_SUM = rf"(?:la\s+suma\s+de\s+2\s+numeros\s+es|2\s+numeros\s+suman|la\s+suma\s+de\s+dos\s+numeros\s+es)\s+{N}"
_TWO_DIFF = re.compile(
    _SUM + rf"\s*,?\s*y\s+(?:su\s+diferencia\s+es|(?:su\s+)?diferencia\s+de|restados\s+dan|"
    rf"(?:el\s+mayor|uno)\s+(?:excede\s+al\s+(?:menor|otro)\s+en|es\s+{N}\s+(?:mas|mayor)\s+que\s+el\s+otro))\s*{N}?"
)
_TWO_RATIO = re.compile(
    _SUM
    + rf"\s*,?\s*y\s+(?:uno|el\s+mayor)\s+es\s+(?:el\s+({'|'.join(_TIMES)})|(\d+)\s+veces)\s+(?:del|de\s+el|el)\s+(?:otro|menor)"
)


def _translate(statement: str) -> str | None:
    text = statement
    for pattern, replacement in _PHRASES:
        if replacement == "TIMES":
            text = re.sub(pattern, lambda m: f"({_TIMES[m.group(1)]}*x)", text)
        elif replacement == "PART":
            text = re.sub(pattern, lambda m: f"(x/{_PART[m.group(1)]})", text)
        else:
            text = re.sub(pattern, replacement, text)
    text = re.sub(r"^\s*(?:si\s+)?(?:a\s+|al\s+)?", "", text)
    text = re.sub(r"\b(?:le|se|y)\b", " ", text)
    return text if re.fullmatch(r"[\dx+\-*/^()=. ]+", text) else None


def _one_unknown(text: str) -> WordProblem | None:
    statement = _ASKS.sub("", text).strip(" ,.;")
    relation = list(_RELATION.finditer(f" {statement} "))
    if len(relation) != 1:
        return None
    at = relation[0]
    left, right = f" {statement} "[: at.start()], f" {statement} "[at.end() :]
    sides = [_translate(side.strip()) for side in (left, right)]
    if None in sides:
        return None
    try:
        lhs, rhs = (parse_math(side) for side in sides)  # type: ignore[arg-type]
    except MathParseError:
        return None
    if (lhs - rhs).free_symbols != {X}:
        return None
    shown = " = ".join(typed_tex(parse_unevaluated(side)) or "" for side in sides)  # type: ignore[arg-type]
    equation = Statement(lhs, rhs, statement, shown if " = " in shown.strip(" =") else None)
    return WordProblem({X: "el número"}, [equation], [("número", X)], positive=False)


def _consecutive(match: re.Match[str]) -> WordProblem:
    count, parity, total = int(match.group(1)), match.group(3), number(match.group(4))
    step = 2 if parity else 1
    terms = [X + step * i for i in range(count)]
    names = ("primero", "segundo", "tercero", "cuarto")
    shown = " + ".join(sp.latex(t) if t == X else f"\\left({sp.latex(t)}\\right)" for t in terms)
    what = "el primer número" + (" (par)" if parity and "pares" in parity else "")
    return WordProblem(
        {X: what},
        [Statement(sp.Add(*terms), total, match.group(0), f"{shown} = {total}")],
        [(names[i], term) for i, term in enumerate(terms)],
        positive=False,
    )


def match(text: str) -> WordProblem | None:
    if "numero" not in text:
        return None
    text = spell_out_numbers(text)
    found = _CONSECUTIVE.search(text)
    if found:
        return _consecutive(found)
    found = _TWO_DIFF.search(text)
    if found:
        total = number(found.group(1))
        diff = number(found.group(2) or found.group(3))
        return WordProblem(
            {X: "el número mayor", Y: "el número menor"},
            [
                Statement(X + Y, total, f"la suma es {total}"),
                Statement(X - Y, diff, f"la diferencia es {diff}"),
            ],
            [("mayor", X), ("menor", Y)],
        )
    found = _TWO_RATIO.search(text)
    if found:
        total = number(found.group(1))
        times = _TIMES[found.group(2)] if found.group(2) else int(found.group(3))
        return WordProblem(
            {X: "el número mayor", Y: "el número menor"},
            [
                Statement(X + Y, total, f"la suma es {total}"),
                Statement(X, times * Y, f"uno es {times} veces el otro"),
            ],
            [("mayor", X), ("menor", Y)],
        )
    return _one_unknown(text)
