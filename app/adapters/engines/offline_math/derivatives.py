"""Derivatives step by step, naming the rule used at each stage."""

from __future__ import annotations

import sympy as sp

from app.adapters.engines.offline_core.drafts import (
    Draft,
    Unsupported,
    check_size,
    math_step,
    result_step,
)
from app.adapters.engines.offline_core.plot import Curve

from .common import plain, plot_step, tex
from .task import Task

_FUNC_RULES: dict[type, tuple[str, str]] = {
    sp.sin: ("la derivada del seno", "\\frac{d}{dx}\\sin u = \\cos u \\cdot u'"),
    sp.cos: ("la derivada del coseno", "\\frac{d}{dx}\\cos u = -\\sin u \\cdot u'"),
    sp.tan: ("la derivada de la tangente", "\\frac{d}{dx}\\tan u = \\sec^2 u \\cdot u'"),
    sp.exp: ("la derivada de la exponencial", "\\frac{d}{dx}e^{u} = e^{u} \\cdot u'"),
    sp.log: ("la derivada del logaritmo natural", "\\frac{d}{dx}\\ln u = \\frac{u'}{u}"),
    sp.asin: ("la derivada del arcoseno", "\\frac{d}{dx}\\arcsin u = \\frac{u'}{\\sqrt{1-u^2}}"),
    sp.acos: ("la derivada del arcocoseno", "\\frac{d}{dx}\\arccos u = -\\frac{u'}{\\sqrt{1-u^2}}"),
    sp.atan: ("la derivada del arcotangente", "\\frac{d}{dx}\\arctan u = \\frac{u'}{1+u^2}"),
}


def _d(expr: sp.Expr, x: sp.Symbol) -> str:
    return f"\\frac{{d}}{{d{tex(x)}}}\\left[{tex(expr)}\\right]"


def rule_name(f: sp.Expr, x: sp.Symbol) -> str:
    """The name (in Spanish) of the differentiation rule that applies first to f."""
    if not f.has(x):
        return "la derivada de una constante (vale 0)"
    if f == x:
        return "la derivada de x (vale 1)"
    if f.is_Add:
        return "la regla de la suma"
    if f.is_Mul:
        coeff, rest = f.as_independent(x, as_Add=False)
        if coeff != 1:
            return f"la regla del múltiplo constante y {rule_name(rest, x)}"
        return "la regla del cociente" if sp.fraction(f)[1].has(x) else "la regla del producto"
    if f.is_Pow:
        base, exp = f.args
        if base.has(x) and not exp.has(x):
            return (
                "la regla de la potencia"
                if base == x
                else "la regla de la cadena con la regla de la potencia"
            )
        if not base.has(x):
            return "la derivada de la exponencial" + (
                "" if exp == x else " con la regla de la cadena"
            )
        return "la derivación logarítmica"
    for func, (name, _) in _FUNC_RULES.items():
        if isinstance(f, func):
            return name if f.args[0] == x else f"la regla de la cadena con {name}"
    return "las reglas de derivación"


def derivative(task: Task) -> list[Draft]:
    f, x = task.exprs[0], task.var
    assert x is not None
    if not f.has(x):
        raise Unsupported("nothing to differentiate")
    result = sp.diff(f, x)
    nicer = min((result, sp.simplify(result), sp.factor(result)), key=sp.count_ops)
    steps = [
        math_step(
            "Función a derivar",
            f"f({tex(x)}) = {tex(f)}",
            f"Para derivarla usamos {rule_name(f, x)}.",
        )
    ]
    coeff, rest = f.as_independent(x, as_Add=False) if f.is_Mul else (sp.Integer(1), f)
    core = rest if coeff != 1 else f
    if coeff != 1:
        steps.append(
            math_step(
                "Sacamos la constante",
                f"{_d(f, x)} = {tex(coeff)} \\cdot {_d(core, x)}",
                "Una constante que multiplica se queda igual al derivar.",
            )
        )
    steps.extend(_rule_steps(core, x))
    assembled = sp.expand(coeff * sp.diff(core, x)) if coeff != 1 else None
    if assembled is not None:
        steps.append(
            math_step("Multiplicamos por la constante", f"f'({tex(x)}) = {tex(assembled)}")
        )
    if tex(nicer) != tex(result) or sp.count_ops(nicer) < sp.count_ops(result):
        steps.append(math_step("Simplificamos", f"f'({tex(x)}) = {tex(nicer)}"))
    steps.extend(
        plot_step(
            x,
            [Curve(f, "f(x)"), Curve(nicer, "f'(x)")],
            "La curva azul es f y la roja su derivada: donde f sube, f' es positiva; donde f baja, f' es negativa.",
        )
    )
    steps.append(result_step(check_size(f"{_d(f, x)} = {tex(nicer)}")))
    return steps


def _rule_steps(f: sp.Expr, x: sp.Symbol) -> list[Draft]:
    """Steps for the outermost rule of f, naming the rules of its parts."""
    if f.is_Add:
        terms = f.as_ordered_terms()[:6]
        lines = ",\\quad ".join(f"{_d(t, x)} = {tex(sp.diff(t, x))}" for t in terms)
        names = "; ".join(f"{plain(t)}: {rule_name(t, x)}" for t in terms)
        return [
            math_step("Regla de la suma", "(u + v)' = u' + v'", "Derivamos término por término."),
            math_step("Derivamos cada término", lines, f"Reglas usadas: {names}."),
            math_step("Sumamos los resultados", f"f'({tex(x)}) = {tex(sp.diff(f, x))}"),
        ]
    if f.is_Mul:
        numer, denom = sp.fraction(f)
        if denom.has(x):
            u, v = numer, denom
            du, dv = sp.diff(u, x), sp.diff(v, x)
            raw = f"\\frac{{\\left({tex(du)}\\right)\\left({tex(v)}\\right) - \\left({tex(u)}\\right)\\left({tex(dv)}\\right)}}{{\\left({tex(v)}\\right)^2}}"
            return [
                math_step(
                    "Regla del cociente", "\\left(\\frac{u}{v}\\right)' = \\frac{u'v - uv'}{v^2}"
                ),
                math_step(
                    "Identificamos u y v y las derivamos",
                    f"u = {tex(u)},\\; v = {tex(v)},\\; u' = {tex(du)},\\; v' = {tex(dv)}",
                    f"Para u' usamos {rule_name(u, x)}; para v', {rule_name(v, x)}.",
                ),
                math_step("Sustituimos en la fórmula", f"f'({tex(x)}) = {raw}"),
            ]
        factors = f.as_ordered_factors()
        u, v = factors[0], sp.Mul(*factors[1:])
        du, dv = sp.diff(u, x), sp.diff(v, x)
        return [
            math_step("Regla del producto", "(u \\cdot v)' = u' v + u v'"),
            math_step(
                "Identificamos u y v y las derivamos",
                f"u = {tex(u)},\\; v = {tex(v)},\\; u' = {tex(du)},\\; v' = {tex(dv)}",
                f"Para u' usamos {rule_name(u, x)}; para v', {rule_name(v, x)}.",
            ),
            math_step(
                "Sustituimos en la fórmula",
                f"f'({tex(x)}) = \\left({tex(du)}\\right)\\left({tex(v)}\\right) + \\left({tex(u)}\\right)\\left({tex(dv)}\\right)",
            ),
        ]
    if f.is_Pow and f.base.has(x) and not f.exp.has(x):
        n, base = f.exp, f.base
        if base == x:
            return [
                math_step(
                    "Regla de la potencia",
                    "\\frac{d}{dx}x^{n} = n\\,x^{n-1}",
                    f"Aquí n = {plain(n)}.",
                ),
                math_step(
                    "Aplicamos la regla",
                    f"f'({tex(x)}) = {tex(n)}\\,{tex(x)}^{{{tex(n - 1)}}} = {tex(sp.diff(f, x))}",
                ),
            ]
        return _chain(f, x, base, n * base ** (n - 1), "\\frac{d}{dx}u^{n} = n\\,u^{n-1} \\cdot u'")
    if f.is_Pow and not f.base.has(x):
        u = f.exp
        outer = f * sp.log(f.base)
        return _chain(f, x, u, outer, "\\frac{d}{dx}a^{u} = a^{u}\\ln a \\cdot u'")
    for func, (_, formula) in _FUNC_RULES.items():
        if isinstance(f, func):
            u = f.args[0]
            outer = sp.diff(func(x), x).subs(x, u)
            return _chain(f, x, u, outer, formula)
    return [math_step("Derivamos", f"f'({tex(x)}) = {tex(sp.diff(f, x))}")]


def _chain(f: sp.Expr, x: sp.Symbol, u: sp.Expr, outer: sp.Expr, formula: str) -> list[Draft]:
    du = sp.diff(u, x)
    if u == x:
        return [
            math_step("Fórmula de derivación", formula, "Aquí u = x, así que u' = 1."),
            math_step("Aplicamos la fórmula", f"f'({tex(x)}) = {tex(sp.diff(f, x))}"),
        ]
    return [
        math_step(
            "Regla de la cadena",
            formula,
            "Derivamos la función de afuera y multiplicamos por la derivada de lo de adentro.",
        ),
        math_step(
            "Identificamos la función interior",
            f"u = {tex(u)},\\quad u' = {tex(du)}",
            f"Para u' usamos {rule_name(u, x)}.",
        ),
        math_step(
            "Multiplicamos",
            f"f'({tex(x)}) = \\left({tex(outer)}\\right)\\cdot\\left({tex(du)}\\right) = {tex(sp.diff(f, x))}",
        ),
    ]
