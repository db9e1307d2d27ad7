"""Quadratic equations by the general formula (discriminant first) and higher-degree
polynomial equations by factoring."""

from __future__ import annotations

import sympy as sp

from app.adapters.engines.offline_core.drafts import Draft, math_step, result_step, text_step

from .common import needs_parens, solutions_tex, tex
from .equation_parts import check_roots, graph_step, verify_step


def solve_quadratic(lhs: sp.Expr, rhs: sp.Expr, x: sp.Symbol, poly: sp.Poly) -> list[Draft]:
    a, b, c = poly.all_coeffs()
    f = poly.as_expr()
    disc = sp.simplify(b**2 - 4 * a * c)
    steps = [
        math_step(
            "Escribimos la forma general",
            f"{tex(f)} = 0\\qquad a = {tex(a)},\\; b = {tex(b)},\\; c = {tex(c)}",
            "Pasamos todo al lado izquierdo para tener a x² + b x + c = 0.",
        ),
        math_step(
            "Calculamos el discriminante",
            f"\\Delta = b^2 - 4ac = {needs_parens(b)}^2 - 4\\left({tex(a)}\\right)\\left({tex(c)}\\right)"
            f" = {tex(disc)}",
        ),
    ]
    if disc > 0:
        meaning = "El discriminante es positivo: hay dos soluciones reales distintas."
    elif disc == 0:
        meaning = "El discriminante es cero: hay una sola solución real (raíz doble)."
    else:
        meaning = (
            "El discriminante es negativo: no hay soluciones reales. Las dos soluciones son "
            "números complejos conjugados, usando la unidad imaginaria i, con i² = -1."
        )
    steps.append(text_step("Interpretamos el discriminante", meaning))
    root_disc = sp.sqrt(disc)
    formula = (
        f"x = \\frac{{-b \\pm \\sqrt{{\\Delta}}}}{{2a}} = "
        f"\\frac{{{tex(-b)} \\pm \\sqrt{{{tex(disc)}}}}}{{{tex(2 * a)}}}"
    )
    if disc < 0:
        formula += f",\\quad \\sqrt{{{tex(disc)}}} = {tex(root_disc)}"
    steps.append(
        math_step("Aplicamos la fórmula general", formula.replace("x =", f"{tex(x)} =", 1))
    )
    roots = [sp.simplify((-b + root_disc) / (2 * a)), sp.simplify((-b - root_disc) / (2 * a))]
    if disc == 0:
        roots = roots[:1]
        latex = f"{tex(x)} = \\frac{{{tex(-b)}}}{{{tex(2 * a)}}} = {tex(roots[0])}"
    else:
        latex = (
            f"{tex(x)}_1 = \\frac{{{tex(-b)} + {tex(root_disc)}}}{{{tex(2 * a)}}} = {tex(roots[0])},"
            f"\\quad {tex(x)}_2 = \\frac{{{tex(-b)} - {tex(root_disc)}}}{{{tex(2 * a)}}} = {tex(roots[1])}"
        )
    steps.append(math_step("Calculamos las soluciones", latex))
    steps.append(verify_step(lhs, rhs, x, roots[0]))
    check_roots(lhs, rhs, x, roots)
    steps.extend(graph_step(f, x, roots))
    steps.append(result_step(solutions_tex(x, roots)))
    return steps


def _roots_of(f: sp.Expr, x: sp.Symbol) -> list[sp.Expr]:
    found = sp.roots(sp.Poly(f, x))
    roots = list(found) if sum(found.values()) == sp.Poly(f, x).degree() else sp.solve(f, x)
    roots = [r.evalf(8) if r.has(sp.CRootOf) else r for r in roots]
    return sorted(set(roots), key=lambda r: (not r.is_real, sp.re(r).evalf(), sp.im(r).evalf()))


def solve_by_factoring(lhs: sp.Expr, rhs: sp.Expr, x: sp.Symbol, f: sp.Expr) -> list[Draft]:
    factored = sp.factor(f)
    steps = [] if rhs == 0 and lhs == f else [math_step("Pasamos todo a un lado", f"{tex(f)} = 0")]
    if factored != f:
        steps.append(
            math_step(
                "Factorizamos",
                f"{tex(factored)} = 0",
                "Un producto es cero cuando alguno de sus factores es cero.",
            )
        )
    roots = _roots_of(f, x)
    factors = [fa for fa, _ in sp.factor_list(f)[1]]
    parts = ",\\quad ".join(f"{tex(fa)} = 0" for fa in factors)
    steps.append(math_step("Igualamos cada factor a cero", parts))
    steps.append(math_step("Resolvemos cada factor", solutions_tex(x, roots)))
    steps.append(verify_step(lhs, rhs, x, roots[0]))
    check_roots(lhs, rhs, x, roots)
    steps.extend(graph_step(f, x, roots))
    steps.append(result_step(solutions_tex(x, roots)))
    return steps
