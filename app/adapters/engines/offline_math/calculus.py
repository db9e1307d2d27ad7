"""Derivatives (naming the rule used), integrals (by parts, substitution, table)
and limits (direct substitution or L'Hôpital), step by step."""

from __future__ import annotations

import sympy as sp
from sympy.integrals import manualintegrate as mi

from .common import (
    Unsupported,
    check_size,
    math_step,
    plain,
    plot_range,
    result_step,
    tex,
    text_step,
)
from .layout import Curve, Draft, Plot
from .recognize import Task

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
        _plot_step(
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


def _plot_step(
    x: sp.Symbol,
    curves: list[Curve],
    note: str,
    low: float = -5.0,
    high: float = 5.0,
    shade: tuple[float, float] | None = None,
) -> list[Draft]:
    if any(c.expr.free_symbols - {x} for c in curves):
        return []
    plot = Plot(x, curves, low, high, shade=shade)
    return [text_step("Gráfica", note, plot=plot)]


# --- integrals -----------------------------------------------------------------

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
        plot = _plot_step(
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
    plot = _plot_step(
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


# --- limits ----------------------------------------------------------------------


def limit(task: Task) -> list[Draft]:
    f, x, a = task.exprs[0], task.var, task.point
    assert x is not None and a is not None
    head = f"\\lim_{{{tex(x)} \\to {tex(a)}}}"
    at = {sp.oo: "∞", -sp.oo: "-∞"}.get(a, plain(a))
    value = sp.limit(f, x, a)
    if value.has(sp.Limit) or isinstance(value, sp.AccumBounds):
        raise Unsupported("limit not found")
    steps = [math_step("Límite a calcular", f"{head} {tex(f)}")]
    numer, denom = sp.fraction(sp.together(f))
    current_n, current_d = numer, denom
    for _ in range(3):
        n0, d0 = sp.limit(current_n, x, a), sp.limit(current_d, x, a)
        zero = n0 == 0 and d0 == 0
        infinite = n0.is_infinite and d0.is_infinite
        if not (denom.has(x) and (zero or infinite)):
            break
        form = "0/0" if zero else "∞/∞"
        current_n, current_d = sp.diff(current_n, x), sp.diff(current_d, x)
        steps.append(
            text_step(
                "Sustitución directa",
                f"Al sustituir {x} → {at} obtenemos la forma indeterminada {form}.",
            )
        )
        steps.append(
            math_step(
                "Regla de L'Hôpital",
                f"{head} \\frac{{{tex(current_n)}}}{{{tex(current_d)}}}",
                "Derivamos por separado el numerador y el denominador.",
            )
        )
    if len(steps) == 1:
        steps.append(
            math_step(
                "Sustitución directa",
                f"{head} {tex(f)} = {tex(value)}",
                "La función se comporta bien cerca del punto, así que sustituimos directamente.",
            )
        )
    else:
        steps.append(
            math_step(
                "Sustituimos de nuevo",
                f"{head} \\frac{{{tex(current_n)}}}{{{tex(current_d)}}} = {tex(value)}",
            )
        )
    if a.is_finite:
        low, high = plot_range([a], (float(a) - 4, float(a) + 4))
    else:
        low, high = (1.0, 60.0) if a == sp.oo else (-60.0, -1.0)
    steps.extend(
        _plot_step(
            x,
            [Curve(f, "f(x)")],
            f"Cerca de {x} = {at} la curva se acerca a {plain(value)}.",
            low,
            high,
        )
    )
    steps.append(result_step(f"{head} {tex(f)} = {tex(value)}"))
    return steps
