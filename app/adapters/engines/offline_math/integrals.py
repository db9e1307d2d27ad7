"""Integrals step by step: by parts, substitution, linearity and the table;
definite ones through the fundamental theorem, checked by differentiating."""

from __future__ import annotations

import sympy as sp
from sympy.integrals import manualintegrate as mi

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

_TABLE_NAMES = {
    "PowerRule": "la regla de la potencia",
    "ConstantRule": "la integral de una constante",
    "ExpRule": "la integral de la exponencial",
    "ReciprocalRule": "la integral de 1/x (logaritmo natural)",
    "SinRule": "la integral del seno",
    "CosRule": "la integral del coseno",
    "SecTanRule": "la integral de sec·tan",
    "Sec2Rule": "la integral de sec²",
    "ArctanRule": "la integral que da arcotangente",
    "PartsRule": "integración por partes",
    "URule": "el cambio de variable (sustitución)",
    "AddRule": "la linealidad (suma de integrales)",
    "ConstantTimesRule": "sacar la constante",
}


def _unwrap(rule: mi.Rule) -> mi.Rule:
    while isinstance(rule, mi.AlternativeRule):
        rule = rule.alternatives[0]
    return rule


def _knows(rule: object) -> bool:
    if isinstance(rule, mi.DontKnowRule):
        return False
    if isinstance(rule, mi.Rule):
        return all(_knows(v) for v in vars(rule).values())
    if isinstance(rule, (list, tuple)):
        return all(_knows(v) for v in rule)
    return True


def _name(rule: mi.Rule) -> str:
    return _TABLE_NAMES.get(type(_unwrap(rule)).__name__, "una integral inmediata (de tabla)")


def _int(expr: sp.Expr, x: sp.Symbol) -> str:
    body = f"\\left({tex(expr)}\\right)" if expr.is_Add else tex(expr)
    return f"\\int {body}\\,d{tex(x)}"


def _has_rule(rule: object, name: str) -> bool:
    if type(rule).__name__ == name:
        return True
    if isinstance(rule, mi.Rule):
        return any(_has_rule(v, name) for v in vars(rule).values())
    if isinstance(rule, (list, tuple)):
        return any(_has_rule(v, name) for v in rule)
    return False


def _method_steps(rule: mi.Rule, x: sp.Symbol) -> list[Draft]:
    rule = _unwrap(rule)
    f = rule.integrand
    if isinstance(rule, mi.ConstantTimesRule):
        inner = _unwrap(rule.substep)
        return [
            math_step(
                "Sacamos la constante",
                f"{_int(f, x)} = {tex(rule.constant)}{_int(rule.other, x)}",
                f"Después usamos {_name(inner)}.",
            ),
            *_method_steps(inner, x),
        ]
    if isinstance(rule, mi.AddRule):
        parts = [_unwrap(s) for s in rule.substeps][:6]
        lines = ",\\quad ".join(f"{_int(p.integrand, x)} = {tex(p.eval())}" for p in parts)
        names = "; ".join(f"{plain(p.integrand)}: {_name(p)}" for p in parts)
        return [
            math_step(
                "Separamos la integral",
                " + ".join(_int(p.integrand, x) for p in parts),
                "La integral de una suma es la suma de las integrales.",
            ),
            math_step("Integramos cada término", lines, f"Usamos {names}."),
        ]
    if isinstance(rule, mi.PartsRule):
        du = sp.diff(rule.u, x)
        v = rule.v_step.eval()
        rest = sp.simplify(v * du)
        second = rule.second_step.eval() if rule.second_step is not None else sp.integrate(rest, x)
        return [
            math_step(
                "Integración por partes",
                "\\int u\\,dv = u\\,v - \\int v\\,du",
                "Conviene porque el integrando es un producto y uno de los factores se simplifica al derivar.",
            ),
            math_step(
                "Elegimos u y dv",
                f"u = {tex(rule.u)},\\; dv = {tex(rule.dv)}\\,d{tex(x)}"
                f"\\quad\\Rightarrow\\quad du = {tex(du)}\\,d{tex(x)},\\; v = {tex(v)}",
            ),
            math_step(
                "Aplicamos la fórmula",
                f"{_int(f, x)} = {tex(rule.u * v)} - {_int(rest, x)}",
            ),
            math_step("Resolvemos la integral que queda", f"{_int(rest, x)} = {tex(second)}"),
        ]
    if isinstance(rule, mi.URule):
        u = sp.Symbol("u")
        g = rule.substep.integrand.subs(rule.u_var, u)
        inner = _unwrap(rule.substep)
        big_g = inner.eval().subs(rule.u_var, u)
        return [
            math_step(
                "Cambio de variable (sustitución)",
                f"u = {tex(rule.u_func)},\\quad du = {tex(sp.diff(rule.u_func, x))}\\,d{tex(x)}",
                "Elegimos u como la función interior cuya derivada aparece en el integrando.",
            ),
            math_step(
                "La integral queda en términos de u",
                f"\\int {tex(g)}\\,du = {tex(big_g)}",
                f"Usamos {_name(inner)}.",
            ),
            math_step("Regresamos a la variable original", f"{tex(big_g.subs(u, rule.u_func))}"),
        ]
    if isinstance(rule, mi.RewriteRule):
        return [
            math_step("Reescribimos el integrando", f"{tex(f)} = {tex(rule.rewritten)}"),
            *_method_steps(rule.substep, x),
        ]
    if isinstance(rule, mi.PowerRule):
        n = rule.exp
        return [
            math_step(
                "Regla de la potencia",
                "\\int x^{n}\\,dx = \\frac{x^{n+1}}{n+1}",
                f"Aquí n = {plain(n)}.",
            ),
            math_step("Aplicamos la regla", f"{_int(f, x)} = {tex(rule.eval())}"),
        ]
    return [
        math_step(
            "Integral inmediata",
            f"{_int(f, x)} = {tex(rule.eval())}",
            f"Usamos {_name(rule)}, que está en la tabla de integrales.",
        )
    ]


def integral(task: Task) -> list[Draft]:
    f, x = task.exprs[0], task.var
    assert x is not None
    rule = mi.integral_steps(f, x)
    if _knows(rule):
        antiderivative = rule.eval()
        steps = _method_steps(rule, x)
    else:
        antiderivative = sp.integrate(f, x)
        if antiderivative.has(sp.Integral):
            raise Unsupported("no elementary antiderivative")
        steps = [
            math_step("Usamos técnicas de integración", f"{_int(f, x)} = {tex(antiderivative)}")
        ]
    if sp.simplify(sp.diff(antiderivative, x) - f) != 0:
        raise Unsupported("could not verify the antiderivative")
    nicer = min((antiderivative, sp.simplify(antiderivative)), key=sp.count_ops)
    shown = nicer
    if _has_rule(rule, "ReciprocalRule"):
        shown = nicer.replace(sp.log, lambda arg: sp.log(sp.Abs(arg)))
    definite = task.lower is not None and task.upper is not None
    head = (
        f"\\int_{{{tex(task.lower)}}}^{{{tex(task.upper)}}} {tex(f)}\\,d{tex(x)}"
        if definite
        else _int(f, x)
    )
    first = math_step(
        "Integral a resolver",
        head,
        f"Para resolverla usamos {_name(rule)}." if _knows(rule) else None,
    )
    check = math_step(
        "Comprobamos derivando",
        f"\\frac{{d}}{{d{tex(x)}}}\\left[{tex(nicer)}\\right] = {tex(sp.simplify(sp.diff(nicer, x)))}",
        "La derivada del resultado es el integrando, así que la integral es correcta.",
    )
    if not definite:
        plot = plot_step(
            x,
            [Curve(f, "f(x)"), Curve(nicer, "F(x) (con C = 0)")],
            "En azul el integrando f; en rojo una antiderivada F: su pendiente en cada punto es el valor de f.",
        )
        return [
            first,
            *steps,
            check,
            *plot,
            result_step(check_size(f"{_int(f, x)} = {tex(shown)} + C")),
        ]
    a, b = task.lower, task.upper
    value = sp.simplify(sp.integrate(f, (x, a, b)))
    by_ftc = sp.simplify(nicer.subs(x, b) - nicer.subs(x, a))
    if value.has(sp.Integral) or not value.is_finite:
        raise Unsupported("improper or divergent integral")
    if sp.simplify(value - by_ftc) == 0:
        evaluate = math_step(
            "Evaluamos en los límites",
            f"\\left[{tex(nicer)}\\right]_{{{tex(a)}}}^{{{tex(b)}}} = "
            f"\\left({tex(nicer.subs(x, b))}\\right) - \\left({tex(nicer.subs(x, a))}\\right) = {tex(value)}",
            "Por el teorema fundamental del cálculo: F(b) − F(a).",
        )
    else:
        evaluate = math_step(
            "Evaluamos en los límites",
            f"{head} = {tex(value)}",
            "La antiderivada no es continua en todo el intervalo, así que se integra por tramos.",
        )
    low, high = sorted((float(a), float(b)))
    pad = max(1.0, 0.5 * (high - low))
    plot = plot_step(
        x,
        [Curve(f, "f(x)")],
        "El área sombreada (con signo) bajo la curva es el valor de la integral.",
        low - pad,
        high + pad,
        shade=(low, high),
    )
    approx = "" if value.is_Rational and value.q == 1 else f" \\approx {sp.N(value, 6)}"
    return [
        first,
        *steps,
        check,
        evaluate,
        *plot,
        result_step(check_size(f"{head} = {tex(value)}{approx}")),
    ]
