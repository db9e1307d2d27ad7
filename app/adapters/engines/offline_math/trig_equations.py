"""Trigonometric equations trig(ax + b) = c: the principal angle, the other angle with
the same value, the period, and the general solution with k ∈ ℤ, checked by substitution
and against every solution in one period."""

from __future__ import annotations

import sympy as sp

from app.adapters.engines.offline_core.drafts import (
    Draft,
    Unsupported,
    ensure,
    math_step,
    result_step,
    text_step,
)
from app.adapters.engines.offline_core.plot import Curve

from .common import plain, plot_step, same_value, subst_tex, tex

TRIG = (sp.sin, sp.cos, sp.tan)
K = sp.Symbol("k", integer=True)
_NAMES = {sp.sin: "seno", sp.cos: "coseno", sp.tan: "tangente"}
_INVERSE = {sp.sin: sp.asin, sp.cos: sp.acos, sp.tan: sp.atan}

Family = tuple[sp.Expr, sp.Expr]  # angle = base + period * k


def _families(func: type, c: sp.Expr) -> tuple[list[Family], str]:
    """The general solution of func(u) = c for u, and why the second angle exists."""
    alpha = _INVERSE[func](c)
    if func is sp.tan:
        return [(alpha, sp.pi)], "La tangente se repite cada π, así que basta un ángulo."
    if func is sp.sin:
        if c in (1, -1, 0):
            period = sp.pi if c == 0 else 2 * sp.pi
            return [(alpha, period)], "Solo hay un ángulo por vuelta con ese valor del seno."
        quadrants = "I y II" if c > 0 else "III y IV"
        return [(alpha, 2 * sp.pi), (sp.pi - alpha, 2 * sp.pi)], (
            f"El seno toma ese valor en dos cuadrantes ({quadrants}): en α y en π − α."
        )
    if c in (1, -1):
        return [(alpha, 2 * sp.pi)], "Solo hay un ángulo por vuelta con ese valor del coseno."
    if c == 0:
        return [(alpha, sp.pi)], "El coseno vale 0 en π/2 y en 3π/2: cada π."
    return [(alpha, 2 * sp.pi), (2 * sp.pi - alpha, 2 * sp.pi)], (
        "El coseno toma el mismo valor en α y en 2π − α (simetría respecto al eje x)."
    )


def _in_degrees(angle: sp.Expr) -> sp.Expr:
    return sp.nsimplify(sp.simplify(angle * 180 / sp.pi))


def family_tex(var: str, base: sp.Expr, period: sp.Expr, degrees: bool) -> str:
    if degrees:
        b, p = _in_degrees(base), _in_degrees(period)
        head = "" if b == 0 else f"{tex(b)}^\\circ + "
        return f"{var} = {head}{tex(p)}^\\circ k"
    head = "" if base == 0 else f"{tex(base)} + "
    return f"{var} = {head}{tex(period)} k"


def _solve_for_x(u: sp.Expr, x: sp.Symbol, family: Family) -> Family:
    p = u.coeff(x, 1)
    q = sp.expand(u - p * x)
    return sp.simplify((family[0] - q) / p), sp.simplify(family[1] / sp.Abs(p))


def solve_trig_equation(
    lhs: sp.Expr, rhs: sp.Expr, x: sp.Symbol, isolated: sp.Expr, c: sp.Expr, degrees: bool
) -> list[Draft]:
    func = type(isolated)
    u = isolated.args[0]
    if not (u.is_polynomial(x) and sp.degree(u, x) == 1 and u.coeff(x, 1).is_number):
        raise Unsupported("only trig(ax + b) = c")
    if not c.is_real or (func is not sp.tan and abs(c) > 1):
        text = f"El {_NAMES[func]} solo toma valores entre -1 y 1, así que no hay solución real."
        return [
            text_step("Analizamos el valor", text),
            result_step("\\text{Sin solución real}", text),
        ]
    name = _NAMES[func]
    alpha = _INVERSE[func](c)
    families, why = _families(func, c)
    shown_alpha = f"{tex(alpha)}" + (
        f" = {tex(_in_degrees(alpha))}^\\circ" if alpha.has(sp.pi) else ""
    )
    steps = [
        math_step(
            "Buscamos el ángulo principal",
            f"{tex(func(sp.Symbol('alpha')))} = {tex(c)}\\quad\\Rightarrow\\quad \\alpha = {shown_alpha}",
            f"Es el ángulo cuyo {name} vale {plain(c)}.",
        ),
        text_step("Todos los ángulos con ese valor", why + " Además la función es periódica."),
    ]
    u_families = ",\\quad ".join(family_tex(tex(u), b, p, degrees) for b, p in families)
    steps.append(
        math_step("Solución general del ángulo", f"{u_families},\\quad k \\in \\mathbb{{Z}}")
    )
    x_families = [_solve_for_x(u, x, f) for f in families]
    if u != x:
        steps.append(
            math_step(
                f"Despejamos {x}",
                ",\\quad ".join(family_tex(tex(x), b, p, degrees) for b, p in x_families),
                f"Aplicamos las operaciones inversas a {plain(u)}.",
            )
        )
    _check(lhs, rhs, x, x_families)
    base = x_families[0][0]
    steps.append(
        math_step(
            "Comprobamos con k = 0",
            f"{subst_tex(lhs, x, base)} = {tex(sp.simplify(lhs.subs(x, base)))}",
            f"Con {x} = {plain(base)} el lado izquierdo vale {plain(rhs)}, como pide la ecuación.",
        )
    )
    marks = [
        (float(b + p * k), 0.0)
        for b, p in x_families
        for k in range(-2, 3)
        if abs(float(b + p * k)) <= 2 * float(sp.pi)
    ]
    steps.extend(
        plot_step(
            x,
            [Curve(lhs - rhs, f"y = {plain(lhs - rhs)}"[:60])],
            "Las soluciones son los cortes con el eje x: se repiten con el periodo.",
            -2 * float(sp.pi),
            2 * float(sp.pi),
            marks=marks,
        )
    )
    final = ",\\quad ".join(family_tex(tex(x), b, p, degrees) for b, p in x_families)
    steps.append(result_step(f"{final},\\quad k \\in \\mathbb{{Z}}"))
    return steps


def _check(lhs: sp.Expr, rhs: sp.Expr, x: sp.Symbol, families: list[Family]) -> None:
    """Each family solves the equation, and together they give every solution in a period."""
    f = lhs - rhs
    for base, period in families:
        for k in (-1, 0, 1, 2):
            ensure(same_value(f.subs(x, base + period * k), 0), "general solution")
    period = max(p for _, p in families)
    found = sp.solveset(f, x, sp.Interval.Ropen(0, period))
    if not isinstance(found, sp.FiniteSet):
        return
    for solution in found:
        covered = any(
            same_value(sp.Mod(solution - b, p), 0) or same_value(sp.Mod(solution - b, p), p)
            for b, p in families
        )
        ensure(covered, f"solution {solution} is in a family")
