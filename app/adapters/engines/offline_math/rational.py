"""Rational equations: one fraction equal to zero, numerator solved, values that
cancel the denominator discarded."""

from __future__ import annotations

import sympy as sp

from app.adapters.engines.offline_core.drafts import Draft, math_step, result_step, text_step

from .common import plain, solutions_tex, tex
from .equation_parts import check_roots, graph_step, verify_step


def solve_rational(
    lhs: sp.Expr, rhs: sp.Expr, x: sp.Symbol, numer: sp.Expr, denom: sp.Expr
) -> list[Draft]:
    steps = [
        math_step(
            "Pasamos todo a un lado con común denominador",
            f"\\frac{{{tex(sp.expand(numer))}}}{{{tex(sp.factor(denom))}}} = 0",
        ),
        math_step(
            "Igualamos el numerador a cero",
            f"{tex(sp.expand(numer))} = 0",
            f"Una fracción vale cero cuando su numerador es cero, siempre que "
            f"{plain(sp.factor(denom))} ≠ 0.",
        ),
    ]
    candidates = sp.solve(numer, x)
    roots = [r for r in candidates if sp.simplify(denom.subs(x, r)) != 0]
    dropped = [r for r in candidates if r not in roots]
    if candidates:
        steps.append(
            math_step("Resolvemos la ecuación del numerador", solutions_tex(x, candidates))
        )
    if dropped:
        steps.append(
            text_step(
                "Descartamos valores prohibidos",
                "Descartamos "
                + ", ".join(plain(r) for r in dropped)
                + " porque anula el denominador.",
            )
        )
    if not roots:
        return [*steps, result_step("\\text{Sin solución}", "La ecuación no tiene solución.")]
    steps.append(verify_step(lhs, rhs, x, roots[0]))
    check_roots(lhs, rhs, x, roots)
    steps.extend(graph_step(lhs - rhs, x, roots))
    steps.append(result_step(solutions_tex(x, roots)))
    return steps
