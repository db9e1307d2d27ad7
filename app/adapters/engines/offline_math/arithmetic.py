"""Arithmetic step by step in the order of operations: parentheses, powers and roots,
products and quotients, sums and differences, left to right. Fractions go through the
common denominator, products and quotients of fractions are shown as such, decimals
stay decimals. The stepwise result is checked against SymPy's value of the same tree."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from app.adapters.engines.offline_core.drafts import Draft, ensure, math_step, result_step

from .numbers import (
    Frac,
    Group,
    Neg,
    Node,
    Num,
    Op,
    Power,
    Root,
    children,
    has_decimals,
    node_tex,
    number_tex,
    to_sympy,
)

MAX_ROUNDS = 12


@dataclass
class ArithmeticTask:
    tree: Node
    source: str
    kind: str = "arithmetic"


def _leaf_value(node: Node) -> sp.Expr | None:
    if isinstance(node, Group):
        return _leaf_value(node.inner)
    if isinstance(node, (Num, Frac)):
        return node.value
    if isinstance(node, Neg) and isinstance(node.arg, (Num, Frac)):
        return -node.arg.value
    return None


def _leaf(value: sp.Expr, decimal: bool) -> Node:
    if value.is_Rational and not value.is_Integer and not decimal:
        node: Node = Frac(abs(value.p), value.q)
        return Neg(node) if value < 0 else node
    if value.is_number and value.could_extract_minus_sign():
        return Neg(Num(-value, decimal))
    return Num(value, decimal)


def _tier(node: Node) -> int | None:
    """Priority of a node whose operands are numbers (None when not ready)."""
    if not all(_leaf_value(child) is not None for child in children(node)):
        return None
    if isinstance(node, (Power, Root)):
        return 3
    if isinstance(node, Op):
        return 2 if node.op in "*/" else 1
    return None


def _ready(node: Node, depth: int = 0) -> list[tuple[int, int, Node]]:
    tier = _tier(node) if _leaf_value(node) is None else None
    found = [(depth, tier, node)] if tier is not None else []
    inner = depth + 1 if isinstance(node, Group) else depth
    for child in children(node):
        found.extend(_ready(child, inner))
    return found


def _compute(node: Node) -> sp.Expr:
    if isinstance(node, Root):
        return sp.root(_leaf_value(node.arg), node.index)
    if isinstance(node, Power):
        return _leaf_value(node.base) ** _leaf_value(node.exp)
    a, b = _leaf_value(node.left), _leaf_value(node.right)
    if node.op == "/" and b == 0:
        raise ZeroDivisionError("division by zero")
    return {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b != 0 else a}[node.op]


def _substitute(node: Node, chosen: set[int], decimal: bool) -> Node:
    if id(node) in chosen:
        return _leaf(_compute(node), decimal)
    if isinstance(node, Op):
        return Op(
            node.op,
            _substitute(node.left, chosen, decimal),
            _substitute(node.right, chosen, decimal),
        )
    if isinstance(node, Power):
        return Power(
            _substitute(node.base, chosen, decimal), _substitute(node.exp, chosen, decimal)
        )
    if isinstance(node, Root):
        return Root(_substitute(node.arg, chosen, decimal), node.index)
    if isinstance(node, Neg):
        return Neg(_substitute(node.arg, chosen, decimal))
    if isinstance(node, Group):
        inner = _substitute(node.inner, chosen, decimal)
        # A number left alone in parentheses loses them, unless it is negative.
        return inner if isinstance(inner, (Num, Frac)) else Group(inner)
    return node


_TITLES = {
    ("*",): "Multiplicamos",
    ("/",): "Dividimos",
    ("+",): "Sumamos",
    ("-",): "Restamos",
    ("*", "/"): "Multiplicamos y dividimos de izquierda a derecha",
    ("+", "-"): "Sumamos y restamos de izquierda a derecha",
}


def _title(nodes: list[Node], depth: int) -> str:
    if depth > 0:
        return "Resolvemos primero los paréntesis"
    if any(isinstance(n, (Power, Root)) for n in nodes):
        return "Calculamos potencias y raíces"
    ops = tuple(sorted({n.op for n in nodes if isinstance(n, Op)}, key="*/+-".index))
    return _TITLES.get(ops, "Resolvemos la operación")


def _fraction_detail(node: Op, decimal: bool) -> list[Draft] | None:
    """The written method for one operation between fractions (or a fraction and an integer)."""
    a, b = _leaf_value(node.left), _leaf_value(node.right)
    if decimal or not (a.is_Rational and b.is_Rational) or (a.q == 1 and b.q == 1):
        if node.op == "*" and decimal:
            return _decimal_product(a, b)
        return None
    fa, fb = (f"\\frac{{{v.p}}}{{{v.q}}}" if v.q != 1 else str(v) for v in (a, b))
    result = _compute(node)
    if node.op in "+-":
        lcm = sp.ilcm(a.q, b.q)
        na, nb = a.p * (lcm // a.q), b.p * (lcm // b.q)
        total = na + nb if node.op == "+" else na - nb
        verb = "Sumamos" if node.op == "+" else "Restamos"
        steps = [
            math_step(
                "Buscamos el común denominador",
                f"\\operatorname{{mcm}}({a.q}, {b.q}) = {lcm}",
                "Es el número más pequeño que es múltiplo de los dos denominadores.",
            ),
            math_step(
                "Convertimos cada fracción",
                f"{fa} {node.op} {fb} = \\frac{{{na}}}{{{lcm}}} {node.op} \\frac{{{nb}}}{{{lcm}}}",
                "Multiplicamos numerador y denominador por el mismo número.",
            ),
            math_step(
                f"{verb} los numeradores",
                f"\\frac{{{na} {node.op} {nb if nb >= 0 else f'({nb})'}}}{{{lcm}}} = \\frac{{{total}}}{{{lcm}}}",
                "El denominador común se queda igual.",
            ),
        ]
        raw = (total, lcm)
    elif node.op == "*":
        steps = [
            math_step(
                "Multiplicamos las fracciones",
                f"{fa} \\times {fb} = \\frac{{{a.p} \\times {b.p}}}{{{a.q} \\times {b.q}}}"
                f" = \\frac{{{a.p * b.p}}}{{{a.q * b.q}}}",
                "Numerador por numerador y denominador por denominador.",
            )
        ]
        raw = (a.p * b.p, a.q * b.q)
    else:
        if b == 0:
            raise ZeroDivisionError("division by zero")
        rb = 1 / b
        steps = [
            math_step(
                "Multiplicamos por el recíproco",
                f"{fa} \\div {fb} = {fa} \\times \\frac{{{rb.p}}}{{{rb.q}}}"
                f" = \\frac{{{a.p * rb.p}}}{{{a.q * rb.q}}}",
                "Dividir entre una fracción es multiplicar por la fracción invertida.",
            )
        ]
        raw = (a.p * rb.p, a.q * rb.q)
    if sp.Rational(*raw) != result or raw[1] != result.q or raw[1] < 0:
        divisor = sp.igcd(*raw)
        steps.append(
            math_step(
                "Simplificamos",
                f"\\frac{{{raw[0]}}}{{{raw[1]}}} = {number_tex(result, False)}",
                f"Dividimos numerador y denominador entre {divisor}." if divisor > 1 else None,
            )
        )
    return steps


def _decimal_product(a: sp.Expr, b: sp.Expr) -> list[Draft] | None:
    places = [_places(v) for v in (a, b)]
    if sum(places) == 0:
        return None
    ia, ib = (int(v * 10**p) for v, p in zip((a, b), places, strict=True))
    return [
        math_step(
            "Multiplicamos los decimales",
            f"{number_tex(a, True)} \\times {number_tex(b, True)} = {number_tex(a * b, True)}",
            f"Multiplicamos sin el punto ({ia} × {ib} = {ia * ib}) y recorremos el punto "
            f"{sum(places)} lugares, los decimales de los dos factores juntos.",
        )
    ]


def _places(value: sp.Expr) -> int:
    places = 0
    while (value * 10**places).q != 1 and places < 12:
        places += 1
    return places


def arithmetic(task: ArithmeticTask) -> list[Draft]:
    tree = task.tree
    decimal = has_decimals(tree)
    value = sp.nsimplify(to_sympy(tree))
    shown = node_tex(tree)
    steps = [math_step("Planteamiento", shown, "Respetamos la jerarquía de operaciones.")]
    current = tree
    for _ in range(MAX_ROUNDS):
        ready = [r for r in _ready(current) if r[1] is not None]
        if not ready:
            break
        depth = max(r[0] for r in ready)
        tier = max(r[1] for r in ready if r[0] == depth)
        nodes = [n for d, t, n in ready if d == depth and t == tier]
        after = _substitute(current, {id(n) for n in nodes}, decimal)
        detail = (
            _fraction_detail(nodes[0], decimal)
            if len(nodes) == 1 and isinstance(nodes[0], Op)
            else None
        )
        steps.extend(detail or [])
        if not detail or _leaf_value(after) is None:
            steps.append(math_step(_title(nodes, depth), node_tex(after)))
        current = after
    final = _leaf_value(current)
    if final is None:
        final = to_sympy(current)
    ensure(sp.simplify(final - value) == 0, "stepwise value equals SymPy's value")
    exact = number_tex(value, decimal)
    if len(steps) == 1:
        steps.append(math_step("Simplificamos", f"{shown} = {exact}"))
    approx = ""
    if not value.is_Integer and not re.fullmatch(r"-?\d+\.\d+", exact):
        approx = f" \\approx {_approx(value)}"
        steps.append(math_step("Valor aproximado", f"{exact}{approx}"))
    return [*steps, result_step(f"{shown} = {exact}{approx}")]


def _approx(value: sp.Expr) -> str:
    text = f"{float(value):.6g}"
    return text if "e" not in text else sp.latex(sp.Float(value, 6))
