"""Safe parsing of the math a student typed.

The text is untrusted, so it is checked before SymPy sees it: only a small
alphabet of characters, known function names and one-letter variables pass,
numbers and exponents are bounded, and the tree is first built unevaluated so
`9^9^9` is refused before anything tries to compute it.
"""

from __future__ import annotations

import re
from tokenize import TokenError
from typing import Any

import sympy as sp
from sympy.parsing.sympy_parser import (
    auto_number,
    auto_symbol,
    convert_xor,
    implicit_multiplication_application,
    parse_expr,
    rationalize,
)


class MathParseError(ValueError):
    """The text is not math we accept (unsafe, too big or not parseable)."""


MAX_MATH_CHARS = 200
MAX_NUMBER_DIGITS = 12
MAX_EXPONENT = 100
MAX_NODES = 160
MAX_NUMBER = 10**40

# Spanish and common spellings -> SymPy names. Longest names first when splitting.
FUNCTION_ALIASES: dict[str, str] = {
    "sen": "sin", "sin": "sin", "cos": "cos", "tan": "tan", "tg": "tan", "cot": "cot",
    "sec": "sec", "csc": "csc", "cosec": "csc", "arcsen": "asin", "arcsin": "asin",
    "asin": "asin", "arccos": "acos", "acos": "acos", "arctan": "atan", "arctg": "atan",
    "atan": "atan", "senh": "sinh", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh",
    "exp": "exp", "ln": "log", "log": "log", "sqrt": "sqrt", "raiz": "sqrt", "abs": "abs",
}  # fmt: skip
CONSTANTS = {"pi": sp.pi, "e": sp.E}
_SYMPY_FUNCS: dict[str, Any] = {
    "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "cot": sp.cot, "sec": sp.sec, "csc": sp.csc,
    "asin": sp.asin, "acos": sp.acos, "atan": sp.atan, "sinh": sp.sinh, "cosh": sp.cosh,
    "tanh": sp.tanh, "exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt, "abs": sp.Abs,
}  # fmt: skip
VARIABLE_LETTERS = "abcdfghjklmnpqrstuvwxyz"  # no `e` (Euler) and no `i`/`o` (confusable)
SYMBOLS = {c: sp.Symbol(c) for c in VARIABLE_LETTERS}

_LOCALS: dict[str, Any] = {**SYMBOLS, **CONSTANTS, **_SYMPY_FUNCS}
_GLOBALS: dict[str, Any] = {
    "__builtins__": {},
    "Add": sp.Add, "Mul": sp.Mul, "Pow": sp.Pow, "Integer": sp.Integer, "Float": sp.Float,
    "Rational": sp.Rational, "Symbol": sp.Symbol,
}  # fmt: skip
_TRANSFORMS = (
    auto_symbol,
    auto_number,
    rationalize,
    convert_xor,
    implicit_multiplication_application,
)

_ALLOWED_CHARS = re.compile(r"^[0-9a-z+\-*/^(). ]*$")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_WORD = re.compile(r"[a-z]+")
_NAMES = sorted({*FUNCTION_ALIASES, *CONSTANTS}, key=len, reverse=True)

_PRE = str.maketrans(
    {"²": "^2", "³": "^3", "×": "*", "·": "*", "÷": "/", "−": "-", "–": "-", "—": "-",
     "π": "pi", "√": "sqrt", "[": "(", "]": ")", "{": "(", "}": ")", "⋅": "*"}
)  # fmt: skip


def _split_word(word: str) -> list[str]:
    """Split a run of letters into known names and one-letter variables ("xsen" -> x, sin)."""
    if word in FUNCTION_ALIASES or word in CONSTANTS:
        return [FUNCTION_ALIASES.get(word, word)]
    if len(word) > 3 and not any(name in word for name in _NAMES if len(name) > 1):
        raise MathParseError(f"unknown word {word!r}")
    parts: list[str] = []
    i = 0
    while i < len(word):
        for name in _NAMES:
            if word.startswith(name, i) and len(name) > 1:
                parts.append(FUNCTION_ALIASES.get(name, name))
                i += len(name)
                break
        else:
            letter = word[i]
            if letter not in VARIABLE_LETTERS and letter != "e":
                raise MathParseError(f"unknown name in {word!r}")
            parts.append(letter)
            i += 1
    return parts


def clean_math_text(text: str) -> str:
    """Normalize symbols and check the alphabet; raise MathParseError when unsafe."""
    text = text.translate(_PRE).lower().replace("**", "^")
    text = re.sub(r"(?<=\d),(?=\d)", ".", text)
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise MathParseError("empty")
    if len(text) > MAX_MATH_CHARS:
        raise MathParseError("too long")
    if not _ALLOWED_CHARS.match(text):
        raise MathParseError("characters outside the math alphabet")
    if re.search(r"(?<!\d)\.|\.(?!\d)", text):
        raise MathParseError("a dot is only allowed inside a decimal number")
    for number in _NUMBER.findall(text):
        if len(number.replace(".", "")) > MAX_NUMBER_DIGITS:
            raise MathParseError("number too long")
    text = _WORD.sub(lambda m: " ".join(_split_word(m.group(0))), text)
    # A function name must be applied with parentheses or to a simple argument.
    if re.search(
        r"\b(?:sin|cos|tan|cot|sec|csc|asin|acos|atan|sinh|cosh|tanh|exp|log|sqrt|abs)\s*$", text
    ):
        raise MathParseError("function without argument")
    if text.count("(") != text.count(")"):
        raise MathParseError("unbalanced parentheses")
    return text


def check_tree(expr: sp.Basic) -> None:
    """Refuse trees that are huge or would compute something enormous."""
    for nodes, node in enumerate(sp.preorder_traversal(expr), start=1):
        if nodes > MAX_NODES:
            raise MathParseError("expression too large")
        if isinstance(node, sp.Pow):
            exponent = node.exp
            if exponent.is_Number:
                if abs(exponent) > MAX_EXPONENT:
                    raise MathParseError("exponent too large")
            elif not exponent.free_symbols:
                # A numeric but unevaluated exponent such as 9^9: bound it first.
                check_tree(exponent)
                value = exponent.evalf(15)
                if not value.is_Number or abs(value) > MAX_EXPONENT:
                    raise MathParseError("exponent too large")
            elif node.base.is_Number and abs(node.base) > 10**6:
                raise MathParseError("base too large")
        elif (
            isinstance(node, sp.Number)
            and node.is_Rational
            and (abs(node.p) > MAX_NUMBER or node.q > MAX_NUMBER)
        ):
            raise MathParseError("number too large")


def parse_math(text: str) -> sp.Expr:
    """Parse one expression safely; raise MathParseError if it is not acceptable."""
    cleaned = clean_math_text(text)
    try:
        raw = parse_expr(
            cleaned,
            local_dict=dict(_LOCALS),
            global_dict=dict(_GLOBALS),
            transformations=_TRANSFORMS,
            evaluate=False,
        )
    except (SyntaxError, TypeError, ValueError, AttributeError, TokenError, NameError) as exc:
        raise MathParseError(f"cannot parse: {exc}") from exc
    if not isinstance(raw, sp.Expr):
        raise MathParseError("not an expression")
    check_tree(raw)
    try:
        expr = parse_expr(
            cleaned,
            local_dict=dict(_LOCALS),
            global_dict=dict(_GLOBALS),
            transformations=_TRANSFORMS,
        )
    except (SyntaxError, TypeError, ValueError, AttributeError, TokenError, NameError) as exc:
        raise MathParseError(f"cannot parse: {exc}") from exc
    if not isinstance(expr, sp.Expr) or expr.has(sp.zoo, sp.nan) or isinstance(expr, sp.Tuple):
        raise MathParseError("not a finite expression")
    check_tree(expr)
    return expr


def parse_unevaluated(text: str) -> sp.Expr:
    """The tree as typed (for arithmetic shown step by step); call after parse_math."""
    return parse_expr(
        clean_math_text(text),
        local_dict=dict(_LOCALS),
        global_dict=dict(_GLOBALS),
        transformations=_TRANSFORMS,
        evaluate=False,
    )


def parse_equation(text: str) -> tuple[sp.Expr, sp.Expr]:
    """Parse `lhs = rhs` into its two sides."""
    sides = text.split("=")
    if len(sides) != 2 or not sides[0].strip() or not sides[1].strip():
        raise MathParseError("an equation needs exactly one '='")
    return parse_math(sides[0]), parse_math(sides[1])
