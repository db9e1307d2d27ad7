"""Equations in one unknown: pick the method by the equation's shape."""

from __future__ import annotations

import sympy as sp

from app.adapters.engines.offline_core.drafts import Draft, Unsupported, math_step, result_step

from .common import eq_tex, plain, solutions_tex, tex, typed_tex
from .equation_parts import check_roots, graph_step, verify_step
from .linear import solve_linear
from .polynomial import solve_by_factoring, solve_quadratic
from .rational import solve_rational
from .task import Task
from .trig_equations import TRIG, solve_trig_equation

MAX_DEGREE = 6


def solve_equation(task: Task) -> list[Draft]:
    """Dispatch on the shape of the equation (linear, quadratic, polynomial, other)."""
    lhs, rhs = task.equations[0]
    x = task.var
    assert x is not None
    f = sp.expand(lhs - rhs)
    if x not in f.free_symbols:
        raise Unsupported("the unknown does not appear")
    shown = f"{typed_tex(task.typed[0])} = {typed_tex(task.typed[1])}" if task.typed else None
    first = math_step(
        "Planteamiento",
        shown or eq_tex(lhs, rhs),
        f"Buscamos el valor de {x} que hace verdadera la igualdad.",
    )
    numer, denom = sp.fraction(sp.together(f))
    if denom.has(x):
        return [first, *solve_rational(lhs, rhs, x, numer, denom)]
    if f.is_polynomial(x):
        poly = sp.Poly(f, x)
        degree = poly.degree()
        if degree > MAX_DEGREE:
            raise Unsupported("degree too high")
        if degree == 1:
            return [first, *solve_linear(lhs, rhs, x, task.typed)]
        if degree == 2 and all(cf.is_number for cf in poly.all_coeffs()):
            return [first, *solve_quadratic(lhs, rhs, x, poly)]
        if all(cf.is_number for cf in poly.all_coeffs()):
            return [first, *solve_by_factoring(lhs, rhs, x, f)]
    return [first, *_general(lhs, rhs, x, task.degrees)]


def _isolate(lhs: sp.Expr, rhs: sp.Expr, x: sp.Symbol) -> tuple[list[Draft], sp.Expr, sp.Expr]:
    """Undo one outer operation at a time (inverse operations), as far as it is simple."""
    steps: list[Draft] = []
    for _ in range(6):
        if lhs == x or not lhs.has(x) or rhs.has(x):
            break
        if lhs.is_Add:
            rest = sum((t for t in lhs.args if not t.has(x)), sp.Integer(0))
            if rest == 0:
                break
            verb = "Sumamos" if rest.could_extract_minus_sign() else "Restamos"
            shown = -rest if rest.could_extract_minus_sign() else rest
            lhs, rhs, title = (
                lhs - rest,
                sp.simplify(rhs - rest),
                f"{verb} {plain(shown)} en ambos lados",
            )
        elif lhs.is_Mul:
            coeff = sp.Mul(*(t for t in lhs.args if not t.has(x)))
            if coeff == 1:
                break
            lhs, rhs, title = (
                lhs / coeff,
                sp.simplify(rhs / coeff),
                f"Dividimos entre {plain(coeff)}",
            )
        elif isinstance(lhs, sp.exp):
            lhs, rhs, title = lhs.args[0], sp.log(rhs), "Aplicamos logaritmo natural en ambos lados"
        elif isinstance(lhs, sp.log):
            lhs, rhs, title = lhs.args[0], sp.exp(rhs), "Aplicamos la exponencial en ambos lados"
        elif lhs.is_Pow and lhs.exp == sp.Rational(1, 2):
            lhs, rhs, title = lhs.base, rhs**2, "Elevamos al cuadrado ambos lados"
        elif lhs.is_Pow and lhs.base.is_number and lhs.base.is_positive:
            lhs, rhs, title = (
                lhs.exp,
                sp.log(rhs) / sp.log(lhs.base),
                "Aplicamos logaritmo en ambos lados",
            )
        else:
            break
        steps.append(math_step(title, eq_tex(lhs, rhs)))
    return steps, lhs, rhs


def _general(lhs: sp.Expr, rhs: sp.Expr, x: sp.Symbol, degrees: bool) -> list[Draft]:
    if not lhs.has(x) and rhs.has(x):
        lhs, rhs = rhs, lhs
    steps, isolated, value = _isolate(lhs, rhs, x)
    if isinstance(isolated, TRIG) and not value.has(x):
        return [*steps, *solve_trig_equation(lhs, rhs, x, isolated, value, degrees)]
    if (lhs - rhs).has(*TRIG):
        raise Unsupported("trigonometric equation not of the form trig(ax + b) = c")
    if not steps:
        steps.append(math_step("Pasamos todo a un lado", f"{tex(sp.simplify(lhs - rhs))} = 0"))
    roots = sp.solve(sp.Eq(lhs, rhs), x)
    roots = [r for r in roots if not r.has(sp.I) or not (lhs - rhs).has(sp.exp, sp.log)]
    if not roots:
        raise Unsupported("no closed-form solution")
    check_roots(lhs, rhs, x, roots)
    steps.append(math_step("Despejamos la incógnita", solutions_tex(x, roots)))
    steps.append(verify_step(lhs, rhs, x, roots[0]))
    steps.extend(graph_step(lhs - rhs, x, roots))
    steps.append(result_step(solutions_tex(x, roots)))
    return steps
