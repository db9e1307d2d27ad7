"""Arithmetic as students write it, parsed into a tree that keeps what they typed.

Unlike SymPy's parser, a fraction typed tight (`3/4`) is one number, so `3/4 ÷ 1/2`
means (3/4) ÷ (1/2) as on the exam sheet; decimals stay decimals, `÷`, `:`, `x` between
numbers and the words "más", "menos", "por", "entre" are operators. Values are exact
SymPy numbers; numbers and exponents are bounded like the math parser bounds them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import sympy as sp

from .parser import MAX_EXPONENT, MAX_NUMBER_DIGITS, MathParseError

MAX_TOKENS = 80
MAX_RESULT_DIGITS = 40

_WORDS = (
    (r"\bdividido (?:entre|por|en)\b|\bentre\b", "/"),
    (r"\bmultiplicado por\b|\bpor\b|(?<=\d)\s*x\s*(?=[\d(])", "*"),
    (r"(?<=\d)\s+de\s+(?=\d)", "*"),  # "2/5 de 3/4": a fraction of a number
    (r"\bmas\b", "+"),
    (r"\bmenos\b", "-"),
    (r"\bal cuadrado\b", "^2"),
    (r"\bal cubo\b", "^3"),
    (r"\braiz cubica de\b|\bcbrt\b", "∛"),
    (r"\braiz cuadrada de\b|\braiz de\b|\braiz\b|\bsqrt\b", "√"),
)
_TOKEN = re.compile(r"\s*(?:(\d+/\d+)(?![\d.])|(\d+(?:\.\d+)?)|([-+*/^():√∛]))")


@dataclass(frozen=True)
class Num:
    value: sp.Expr
    decimal: bool = False


@dataclass(frozen=True)
class Frac:
    p: int
    q: int

    @property
    def value(self) -> sp.Expr:
        return sp.Rational(self.p, self.q)


@dataclass(frozen=True)
class Op:
    op: str  # + - * /
    left: Node
    right: Node


@dataclass(frozen=True)
class Neg:
    arg: Node


@dataclass(frozen=True)
class Power:
    base: Node
    exp: Node


@dataclass(frozen=True)
class Root:
    arg: Node
    index: int = 2


@dataclass(frozen=True)
class Group:
    inner: Node


Node = Num | Frac | Op | Neg | Power | Root | Group
Leaf = Num | Frac


def _tokens(text: str) -> list[str]:
    for pattern, symbol in _WORDS:
        text = re.sub(pattern, symbol, text)
    text = re.sub(r"(?<=\d),(?=\d)", ".", text).replace("÷", ":").strip()
    tokens, at = [], 0
    while at < len(text):
        match = _TOKEN.match(text, at)
        if not match:
            if text[at:].strip():
                raise MathParseError("not arithmetic")
            break
        tokens.append(next(g for g in match.groups() if g))
        at = match.end()
    if not tokens or len(tokens) > MAX_TOKENS:
        raise MathParseError("empty or too long")
    return tokens


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.at = 0

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> str:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def expr(self) -> Node:
        node = self.term()
        while self.peek() in ("+", "-"):
            op = self.take()
            node = Op(op, node, self.term())
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.peek() in ("*", "/", ":") or self.peek() in ("(", "√", "∛"):
            op = self.take() if self.peek() in ("*", "/", ":") else "*"
            node = Op("/" if op == ":" else op, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.peek() == "-":
            self.take()
            return Neg(self.unary())
        if self.peek() == "+":
            self.take()
        return self.power()

    def power(self) -> Node:
        base = self.atom()
        if self.peek() == "^":
            self.take()
            return Power(base, self.unary())
        return base

    def atom(self) -> Node:
        item = self.take() if self.peek() is not None else None
        if item is None:
            raise MathParseError("incomplete")
        if item == "(":
            inner = self.expr()
            if self.peek() != ")":
                raise MathParseError("unbalanced parentheses")
            self.take()
            return Group(inner)
        if item in ("√", "∛"):
            return Root(self.atom(), 2 if item == "√" else 3)
        if "/" in item:
            p, q = (int(n) for n in item.split("/"))
            if q == 0:
                raise MathParseError("division by zero")
            # 4/2 is a division to do; 3/4 is a number (a fraction).
            return Op("/", Num(sp.Integer(p)), Num(sp.Integer(q))) if p % q == 0 else Frac(p, q)
        if item[0].isdigit():
            if len(item.replace(".", "")) > MAX_NUMBER_DIGITS:
                raise MathParseError("number too long")
            return Num(sp.Rational(item), "." in item)
        raise MathParseError(f"unexpected {item!r}")


def parse_arithmetic(text: str) -> Node:
    """Parse numeric-only arithmetic; MathParseError when it is anything else."""
    parser = _Parser(_tokens(text))
    node = parser.expr()
    if parser.peek() is not None:
        raise MathParseError("unexpected text after the expression")
    _check_bounds(node)
    return node


def _check_bounds(node: Node) -> None:
    """Refuse powers that would compute something enormous, innermost first, so no
    value is ever computed before its own exponents were bounded."""
    for child in children(node):
        _check_bounds(child)
    if isinstance(node, Power):
        exponent = to_sympy(node.exp)
        if not exponent.is_Rational or abs(exponent) > MAX_EXPONENT:
            raise MathParseError("exponent too large")
        base = abs(to_sympy(node.base))
        if base > 1 and math.log10(float(base)) * float(abs(exponent)) > MAX_RESULT_DIGITS:
            raise MathParseError("power too large")


def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Op):
        return (node.left, node.right)
    if isinstance(node, Power):
        return (node.base, node.exp)
    if isinstance(node, (Neg, Root, Group)):
        return (node.arg if not isinstance(node, Group) else node.inner,)
    return ()


def to_sympy(node: Node) -> sp.Expr:
    """The exact value of a tree, computed by SymPy in one go (the independent check)."""
    if isinstance(node, (Num, Frac)):
        return node.value
    if isinstance(node, Op):
        a, b = to_sympy(node.left), to_sympy(node.right)
        if node.op == "/" and b == 0:
            raise MathParseError("division by zero")
        return {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b != 0 else a}[node.op]
    if isinstance(node, Neg):
        return -to_sympy(node.arg)
    if isinstance(node, Power):
        base, exponent = to_sympy(node.base), to_sympy(node.exp)
        if base == 0 and exponent.is_negative:
            raise MathParseError("division by zero")
        return base**exponent
    if isinstance(node, Root):
        return sp.root(to_sympy(node.arg), node.index)
    return to_sympy(node.inner)


def has_decimals(node: Node) -> bool:
    if isinstance(node, Num):
        return node.decimal
    return any(has_decimals(child) for child in children(node))


def number_tex(value: sp.Expr, decimal: bool) -> str:
    """A number as a student writes it: a decimal when it has one, else a fraction."""
    value = sp.nsimplify(value)
    if value.is_Integer:
        return str(value)
    if value.is_Rational:
        q = value.q
        while q % 2 == 0:
            q //= 2
        while q % 5 == 0:
            q //= 5
        if decimal and q == 1:
            return _decimal_text(value)
        sign = "-" if value < 0 else ""
        return f"{sign}\\frac{{{abs(value.p)}}}{{{value.q}}}"
    return sp.latex(value)


def _decimal_text(value: sp.Rational) -> str:
    digits = 0
    while (value * 10**digits).q != 1:
        digits += 1
    return f"{float(value):.{digits}f}"


def node_tex(node: Node, parent: str = "") -> str:
    """LaTeX in the order typed: × for products, ÷ for divisions, parentheses kept."""
    if isinstance(node, Num):
        return number_tex(node.value, node.decimal)
    if isinstance(node, Frac):
        return f"\\frac{{{node.p}}}{{{node.q}}}"
    if isinstance(node, Group):
        return f"\\left({node_tex(node.inner)}\\right)"
    if isinstance(node, Neg):
        inner = f"-{node_tex(node.arg, 'neg')}"
        return f"\\left({inner}\\right)" if parent in ("op-right", "pow", "mul") else inner
    if isinstance(node, Root):
        index = "" if node.index == 2 else f"[{node.index}]"
        return f"\\sqrt{index}{{{node_tex(node.arg)}}}"
    if isinstance(node, Power):
        base = node_tex(node.base, "pow")
        if isinstance(node.base, (Op, Frac, Power)):
            base = f"\\left({base}\\right)"
        return f"{base}^{{{node_tex(node.exp)}}}"
    symbol = {"+": "+", "-": "-", "*": "\\times", "/": "\\div"}[node.op]
    left = node_tex(node.left, "mul" if node.op in "*/" else "")
    right = node_tex(node.right, "op-right")
    if node.op in "*/-" and isinstance(node.right, Op) and node.right.op in "+-":
        right = f"\\left({right}\\right)"
    if node.op in "*/" and isinstance(node.left, Op) and node.left.op in "+-":
        left = f"\\left({left}\\right)"
    return f"{left} {symbol} {right}"
