"""Rewriting expressions: simplify, factor and expand."""

from __future__ import annotations

import sympy as sp

from app.adapters.engines.offline_core.drafts import (
    Draft,
    Unsupported,
    check_size,
    math_step,
    result_step,
    text_step,
)

from .common import plain, tex
from .parser import parse_unevaluated
from .task import Task

MAX_EXPAND_POWER = 12


def simplify_expression(task: Task) -> list[Draft]:
    """Rational expressions: factor, then cancel; others: identities then simplify."""
    expr = task.exprs[0]
    first = math_step("Expresión a simplificar", tex(_as_typed(task)))
    numer, denom = sp.fraction(sp.together(expr))
    if denom.has(*expr.free_symbols) and expr.free_symbols and expr.is_rational_function():
        fn, fd = sp.factor(numer), sp.factor(denom)
        common = sp.gcd(numer, denom)
        steps = [
            first,
            math_step(
                "Factorizamos numerador y denominador",
                f"\\frac{{{tex(fn)}}}{{{tex(fd)}}}",
                "Buscamos factores que se repitan arriba y abajo.",
            ),
        ]
        result = sp.factor(sp.cancel(expr))
        if common.free_symbols:
            steps.append(
                math_step(
                    f"Cancelamos el factor común {plain(common)}",
                    f"\\frac{{{tex(fn)}}}{{{tex(fd)}}} = {tex(result)}",
                    f"Es válido para los valores donde {plain(common)} ≠ 0.",
                )
            )
        else:
            steps.append(
                text_step("Buscamos factores comunes", "No hay factores comunes que cancelar.")
            )
        return [*steps, result_step(f"{tex(_as_typed(task))} = {tex(result)}")]
    stages: list[tuple[str, sp.Expr]] = []
    current = expr
    for title, func in (
        ("Desarrollamos productos y potencias", sp.expand),
        ("Usamos identidades trigonométricas", sp.trigsimp),
        ("Simplificamos", sp.simplify),
    ):
        new = func(current)
        if new != current and sp.count_ops(new) <= sp.count_ops(current) + 4:
            stages.append((title, new))
            current = new
    if not stages:
        stages.append(("Revisamos la expresión", current))
    steps = [first, *(math_step(t, tex(e)) for t, e in stages)]
    if len(steps) < 3:
        steps.append(
            text_step("Conclusión", "Ya no hay más términos que agrupar ni factores que cancelar.")
        )
    return [*steps, result_step(f"{tex(_as_typed(task))} = {tex(current)}")]


def _as_typed(task: Task) -> sp.Expr:
    """The expression as written (unevaluated) when it is small, else the parsed one."""
    try:
        typed = parse_unevaluated(task.source)
    except (SyntaxError, TypeError, ValueError):
        return task.exprs[0]
    return typed if len(tex(typed)) < 200 and "1 \\cdot" not in tex(typed) else task.exprs[0]


def factor_expression(task: Task) -> list[Draft]:
    """Common factor, then notable patterns (trinomial, difference of squares), then check."""
    expr = sp.expand(task.exprs[0])
    if not expr.is_polynomial():
        raise Unsupported("only polynomials are factored")
    steps = [math_step("Expresión a factorizar", tex(expr))]
    monomial, body = sp.Integer(1), expr
    if sp.factor_terms(expr) != expr and sp.factor_terms(expr).is_Mul:
        parts = sp.factor_terms(expr).as_ordered_factors()
        monomial = sp.Mul(*(p for p in parts if not p.is_Add))
        body = sp.Mul(*(p for p in parts if p.is_Add))
        steps.append(
            math_step(
                "Sacamos el factor común",
                f"{tex(expr)} = {tex(monomial)}\\left({tex(body)}\\right)",
                f"Todos los términos comparten el factor {plain(monomial)}.",
            )
        )
    syms = sorted(body.free_symbols, key=lambda s: s.name)
    result = sp.factor(expr)
    if len(syms) == 1 and sp.Poly(body, syms[0]).degree() == 2:
        x = syms[0]
        a, b, c = sp.Poly(body, x).all_coeffs()
        roots = sp.roots(sp.Poly(body, x))
        if a == 1 and b != 0 and all(r.is_integer for r in roots) and sum(roots.values()) == 2:
            p, q = [-r for r in roots for _ in range(roots[r])]
            steps.append(
                text_step(
                    "Buscamos dos números",
                    f"Necesitamos dos números que multiplicados den {plain(c)} y sumados den "
                    f"{plain(b)}: son {plain(p)} y {plain(q)}.",
                )
            )
        elif b == 0 and (a * c) < 0:
            steps.append(
                math_step(
                    "Diferencia de cuadrados",
                    "a^2 - b^2 = (a + b)(a - b)",
                    "La expresión es la resta de dos cuadrados.",
                )
            )
        else:
            disc = b**2 - 4 * a * c
            steps.append(
                math_step(
                    "Buscamos las raíces con la fórmula general",
                    f"\\Delta = {tex(disc)},\\quad "
                    + ",\\; ".join(f"{tex(x)} = {tex(r)}" for r in roots),
                    "Con las raíces r₁ y r₂ escribimos a(x - r₁)(x - r₂).",
                )
            )
    elif result != expr:
        steps.append(
            text_step(
                "Buscamos factores",
                "Probamos raíces racionales y productos notables para separar en factores.",
            )
        )
    if result == expr:
        steps.append(
            text_step("Conclusión", "No se puede factorizar más con coeficientes racionales.")
        )
        return [*steps, result_step(tex(expr))]
    steps.append(math_step("Escribimos el producto", f"{tex(expr)} = {tex(result)}"))
    steps.append(
        math_step(
            "Comprobamos desarrollando",
            f"{tex(result)} = {tex(sp.expand(result))}",
            "Al multiplicar los factores obtenemos la expresión original.",
        )
    )
    return [*steps, result_step(f"{tex(expr)} = {tex(result)}")]


def expand_expression(task: Task) -> list[Draft]:
    """Notable products by formula, otherwise the distributive property term by term."""
    expr = task.exprs[0]
    for node in sp.preorder_traversal(expr):
        if node.is_Pow and node.exp.is_Integer and node.exp > MAX_EXPAND_POWER and node.base.is_Add:
            raise Unsupported("power too high to expand by hand")
    result = sp.expand(expr)
    check_size(tex(result))
    steps = [math_step("Expresión a desarrollar", tex(expr))]
    if expr.is_Pow and expr.base.is_Add and len(expr.base.args) == 2 and expr.exp in (2, 3):
        a, b = expr.base.as_ordered_terms()
        if expr.exp == 2:
            formula = "(a + b)^2 = a^2 + 2ab + b^2"
            shown = f"\\left({tex(a)}\\right)^2 + 2\\left({tex(a)}\\right)\\left({tex(b)}\\right) + \\left({tex(b)}\\right)^2"
            name = "Binomio al cuadrado"
        else:
            formula = "(a + b)^3 = a^3 + 3a^2b + 3ab^2 + b^3"
            shown = (
                f"\\left({tex(a)}\\right)^3 + 3\\left({tex(a)}\\right)^2\\left({tex(b)}\\right)"
                f" + 3\\left({tex(a)}\\right)\\left({tex(b)}\\right)^2 + \\left({tex(b)}\\right)^3"
            )
            name = "Binomio al cubo"
        steps.append(math_step(name, formula, f"Usamos a = {plain(a)} y b = {plain(b)}."))
        steps.append(math_step("Sustituimos a y b", shown))
    else:
        sums = [f for f in sp.Mul.make_args(expr) if f.is_Add]
        if len(sums) >= 2:
            left, right = sums[0], sums[1]
            products = " + ".join(
                f"\\left({tex(s)}\\right)\\left({tex(t)}\\right)"
                for s in left.as_ordered_terms()
                for t in right.as_ordered_terms()
            )
            steps.append(
                math_step(
                    "Propiedad distributiva",
                    products,
                    "Multiplicamos cada término del primer paréntesis por cada término del segundo.",
                )
            )
        else:
            steps.append(
                math_step(
                    "Propiedad distributiva",
                    f"{tex(expr)} = {tex(sp.expand(expr, deep=False))}",
                    "Multiplicamos término a término.",
                )
            )
    steps.append(
        math_step(
            "Sumamos términos semejantes",
            tex(result),
            "Juntamos los términos que tienen la misma parte literal.",
        )
    )
    return [*steps, result_step(f"{tex(expr)} = {tex(result)}")]
