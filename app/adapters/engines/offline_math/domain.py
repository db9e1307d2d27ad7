"""The domain of a function: one condition per denominator, even root and logarithm,
solved and intersected, checked against SymPy's continuous domain."""

from __future__ import annotations

import sympy as sp
from sympy.calculus.util import continuous_domain

from app.adapters.engines.offline_core.drafts import (
    Draft,
    ensure,
    math_step,
    result_step,
    text_step,
)

from .common import tex
from .function_task import FunctionTask, definition_step

Restriction = tuple[str, sp.Set, str, str]  # condition, allowed set, why, allowed as read


def _restrictions(f: sp.Expr, x: sp.Symbol) -> list[Restriction]:
    """One restriction for each denominator, even root and logarithm of f."""
    found: list[Restriction] = []
    for node in sp.preorder_traversal(f):
        if node.is_Pow and node.base.has(x) and node.exp.is_negative:
            allowed = sp.solveset(sp.Ne(node.base, 0), x, sp.S.Reals)
            excluded = sorted(sp.solveset(node.base, x, sp.S.Reals), key=float)
            shown = ",\\; ".join(f"{tex(x)} \\neq {tex(v)}" for v in excluded) or tex(allowed)
            found.append(
                (f"{tex(node.base)} \\neq 0", allowed, "Un denominador no puede valer cero.", shown)
            )
        if node.is_Pow and node.base.has(x) and node.exp.is_Rational and node.exp.q % 2 == 0:
            strict = node.exp.is_negative
            relation = sp.Gt(node.base, 0) if strict else sp.Ge(node.base, 0)
            allowed = sp.solveset(relation, x, sp.S.Reals)
            sign = ">" if strict else "\\geq"
            found.append(
                (
                    f"{tex(node.base)} {sign} 0",
                    allowed,
                    "Una raíz par solo acepta números no negativos.",
                    tex(allowed),
                )
            )
        if isinstance(node, sp.log) and node.args[0].has(x):
            allowed = sp.solveset(sp.Gt(node.args[0], 0), x, sp.S.Reals)
            found.append(
                (
                    f"{tex(node.args[0])} > 0",
                    allowed,
                    "El logaritmo solo existe para números positivos.",
                    tex(allowed),
                )
            )
    unique: dict[str, Restriction] = {}
    for item in found:
        unique.setdefault(item[0], item)
    return list(unique.values())


def domain(task: FunctionTask) -> list[Draft]:
    x, f = task.var, task.expr
    domain = continuous_domain(f, x, sp.S.Reals)
    restrictions = _restrictions(f, x)
    steps = [
        definition_step(task, "El dominio son los valores de x para los que la función existe.")
    ]
    if not restrictions:
        steps.append(
            text_step(
                "Buscamos restricciones",
                "No hay denominadores con x, raíces pares ni logaritmos: cualquier número real sirve.",
            )
        )
        computed: sp.Set = sp.S.Reals
    else:
        computed = sp.S.Reals
        for condition, allowed, why, read in restrictions:
            steps.append(math_step("Condición", f"{condition}\\quad\\Rightarrow\\quad {read}", why))
            computed = computed.intersect(allowed)
        if len(restrictions) > 1:
            steps.append(
                math_step(
                    "Juntamos las condiciones", tex(computed), "El dominio es la intersección."
                )
            )
    ensure(computed == domain, "domain from the conditions equals SymPy's")
    return [*steps, result_step(f"D_{{{task.name}}} = {tex(domain)}")]
