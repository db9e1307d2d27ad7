"""Pieces every equation explanation ends with: the check by substitution (which
also refuses a root that does not satisfy the equation) and the graph of the roots."""

from __future__ import annotations

import sympy as sp

from app.adapters.engines.offline_core.drafts import Draft, ensure, math_step, text_step
from app.adapters.engines.offline_core.plot import Curve, Plot

from .common import plain, plot_range, same_value, subst_tex, tex


def verify_step(lhs: sp.Expr, rhs: sp.Expr, x: sp.Symbol, root: sp.Expr) -> Draft:
    """ "Comprobamos sustituyendo", after checking that the root really works."""
    left = sp.simplify(lhs.subs(x, root))
    right = sp.simplify(rhs.subs(x, root))
    ensure(same_value(left, right), f"{x} = {root} satisfies the equation")
    latex = f"{subst_tex(lhs, x, root)} = {tex(left)}"
    if rhs.has(x):
        latex += f",\\quad {subst_tex(rhs, x, root)} = {tex(right)}"
    return math_step(
        "Comprobamos sustituyendo",
        latex,
        f"Con {x} = {plain(root)} ambos lados valen lo mismo, así que la solución es correcta.",
    )


def graph_step(f: sp.Expr, x: sp.Symbol, roots: list[sp.Expr]) -> list[Draft]:
    """The graph of f with its real roots marked, when f is a function of x alone."""
    if f.free_symbols != {x}:
        return []
    reals = [r for r in roots if r.is_real]
    low, high = plot_range(reals)
    marks = [(float(r), 0.0) for r in reals]
    plot = Plot(x, [Curve(f, f"y = {plain(f)}"[:60])], low, high, marks)
    if reals:
        note = "Las soluciones reales son los puntos donde la gráfica corta al eje x."
    else:
        note = "La gráfica no corta al eje x: por eso no hay soluciones reales."
    return [text_step("Gráfica", f"Graficamos y = {plain(f)}. {note}", plot=plot)]


def check_roots(lhs: sp.Expr, rhs: sp.Expr, x: sp.Symbol, roots: list[sp.Expr]) -> None:
    """Every stated root satisfies the equation (the shown check covers only the first)."""
    for root in roots:
        ensure(
            same_value(sp.simplify(lhs.subs(x, root)), sp.simplify(rhs.subs(x, root))),
            f"{x} = {root} satisfies the equation",
        )
