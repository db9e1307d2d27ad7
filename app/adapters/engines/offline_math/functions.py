"""Questions about a function f(x) = ...: its value at a point, its domain, the vertex
of a parabola, where it cuts the axes, and its inverse."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp
from sympy.calculus.util import continuous_domain

from app.adapters.engines.offline_core.drafts import (
    Draft,
    Unsupported,
    ensure,
    math_step,
    result_step,
    text_step,
)
from app.adapters.engines.offline_core.plot import Curve

from .common import plain, plot_range, plot_step, same_value, subst_tex, tex
from .parser import MathParseError, parse_math

_STOP = r"(?=\s*(?:,|;|\.\s|\by\b|\ben\s+(?:x|el\s+punto)|\bcuando\b|\bpara\b|\bsi\b|\bcalcula|\bencuentra|\bcuanto|\bhalla|\bevalua|\bdetermina|\bcual|$))"
_DEFINITION = re.compile(rf"\b(?:([fgh])\s*\(\s*([a-z])\s*\)|(y))\s*=\s*(.+?){_STOP}")
_BARE = re.compile(rf"\b(?:de\s+la\s+(?:funcion|parabola|recta)|de)\s+(.+?){_STOP}")
_POINT_CALL = r"\b{name}\s*\(\s*(-?\s*[\d./]+|-?\s*\d*\s*pi(?:\s*/\s*\d+)?)\s*\)"
_POINT_AT = re.compile(
    r"\b(?:en|para|cuando|con)\s+(?:el\s+punto\s+)?([a-z])\s*(?:=|vale|es\s+igual\s+a)\s*(-?\s*[\d./]+)"
)
_WANTS = (
    ("domain", re.compile(r"\bdominio\b")),
    ("vertex", re.compile(r"\bvertice\b")),
    ("intercepts", re.compile(r"\bintersecci\w*|\bcortes?\b.*\bejes?\b|\bcorta\b.*\beje|\bordenada\s+al\s+origen\b")),
    ("roots", re.compile(r"\braices\b|\bceros\b|\braiz\b(?!\s+cuadrada)")),
    ("inverse", re.compile(r"\binversa\b")),
    ("value", re.compile(r"\bevalua\w*\b|\bvalor\s+de\b|\bcuanto\s+vale\b|\bcalcula\b|\bencuentra\b|\bobten\b|\bhalla\b|\bdetermina\b|\bcuanto\s+es\b")),
)  # fmt: skip


@dataclass
class FunctionTask:
    want: str
    name: str
    var: sp.Symbol
    expr: sp.Expr
    point: sp.Expr | None = None
    kind: str = "function"


def _definition(text: str) -> tuple[str, sp.Symbol, sp.Expr] | None:
    found = _DEFINITION.search(text)
    if found:
        name = found.group(1) or "y"
        var = sp.Symbol(found.group(2) or "x")
        body = found.group(4)
    else:
        bare = _BARE.search(text)
        if not bare:
            return None
        name, var, body = "f", sp.Symbol("x"), bare.group(1)
    try:
        expr = parse_math(body)
    except MathParseError:
        return None
    if not expr.free_symbols or expr.free_symbols != {var}:
        return None
    return name, var, expr


def match(text: str) -> FunctionTask | None:
    want = next((w for w, pattern in _WANTS if pattern.search(text)), None)
    if want is None:
        return None
    definition = _definition(text)
    if definition is None:
        return None
    name, var, expr = definition
    if want == "value":
        call = re.search(_POINT_CALL.format(name=name), text.replace(f"{name}({var})", " "))
        at = call.group(1) if call else None
        if at is None:
            found = _POINT_AT.search(text)
            at = found.group(2) if found and found.group(1) == var.name else None
        if at is None:
            return None
        try:
            point = parse_math(at)
        except MathParseError:
            return None
        return FunctionTask("value", name, var, expr, point)
    if want == "vertex" and not (expr.is_polynomial(var) and sp.degree(expr, var) == 2):
        return None
    return FunctionTask(want, name, var, expr)


def solve(task: FunctionTask) -> list[Draft]:
    return {
        "value": _value,
        "domain": _domain,
        "vertex": _vertex,
        "intercepts": _intercepts,
        "roots": _intercepts,
        "inverse": _inverse,
    }[task.want](task)


def _head(task: FunctionTask) -> str:
    return f"{task.name}({tex(task.var)})" if task.name != "y" else "y"


def _definition_step(task: FunctionTask, note: str) -> Draft:
    return math_step("La función", f"{_head(task)} = {tex(task.expr)}", note)


def _value(task: FunctionTask) -> list[Draft]:
    x, f, a = task.var, task.expr, task.point
    value = sp.simplify(f.subs(x, a))
    if not value.is_finite or value.has(sp.I):
        raise Unsupported("the function is not defined at that point")
    ensure(same_value(sp.N(f.subs(x, a), 30), sp.N(value, 30)), "value at the point")
    call = f"{task.name}({tex(a)})"
    steps = [
        _definition_step(task, f"Evaluar es cambiar {x} por {plain(a)} y hacer las operaciones."),
        math_step("Sustituimos", f"{call} = {subst_tex(f, x, a)}"),
    ]
    terms = sp.expand(f).as_ordered_terms()
    if len(terms) > 1 and f.is_polynomial(x):
        shown = " + ".join(tex(t.subs(x, a)) for t in terms).replace("+ -", "- ")
        steps.append(math_step("Calculamos cada término", f"{call} = {shown}"))
    steps.append(math_step("Sumamos", f"{call} = {tex(value)}"))
    return [*steps, result_step(f"{call} = {tex(value)}")]


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


def _domain(task: FunctionTask) -> list[Draft]:
    x, f = task.var, task.expr
    domain = continuous_domain(f, x, sp.S.Reals)
    restrictions = _restrictions(f, x)
    steps = [
        _definition_step(task, "El dominio son los valores de x para los que la función existe.")
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


def _vertex(task: FunctionTask) -> list[Draft]:
    x, f = task.var, task.expr
    a, b, c = sp.Poly(f, x).all_coeffs()
    h = sp.simplify(-b / (2 * a))
    k = sp.simplify(f.subs(x, h))
    ensure(sp.diff(f, x).subs(x, h) == 0, "the vertex is where the slope is zero")
    opens = (
        "hacia arriba (a > 0): el vértice es el punto más bajo"
        if a > 0
        else "hacia abajo (a < 0): el vértice es el punto más alto"
    )
    low, high = plot_range([h], (float(h) - 4, float(h) + 4))
    steps = [
        _definition_step(
            task, f"Es una parábola con a = {plain(a)}, b = {plain(b)}, c = {plain(c)}."
        ),
        math_step(
            "Coordenada x del vértice",
            f"h = -\\frac{{b}}{{2a}} = -\\frac{{{tex(b)}}}{{2\\left({tex(a)}\\right)}} = {tex(h)}",
        ),
        math_step(
            "Coordenada y del vértice",
            f"k = {task.name if task.name != 'y' else 'f'}({tex(h)}) = {subst_tex(f, x, h)} = {tex(k)}",
            "Evaluamos la función en h.",
        ),
        text_step("Hacia dónde abre", f"La parábola abre {opens}."),
        *plot_step(
            x,
            [Curve(f, f"y = {plain(f)}"[:60])],
            "El vértice está marcado en rojo.",
            low,
            high,
            marks=[(float(h), float(k))],
        ),
    ]
    return [*steps, result_step(f"V = \\left({tex(h)}, {tex(k)}\\right)")]


def _intercepts(task: FunctionTask) -> list[Draft]:
    x, f = task.var, task.expr
    solutions = sp.solveset(f, x, sp.S.Reals)
    if not isinstance(solutions, sp.FiniteSet):
        raise Unsupported("infinitely many or unknown roots")
    roots = sorted(solutions, key=float)
    for root in roots:
        ensure(same_value(f.subs(x, root), 0), "each root cuts the x axis")
    steps = [_definition_step(task, "Cortes con el eje x: y = 0. Corte con el eje y: x = 0.")]
    steps.append(
        math_step(
            "Eje x: igualamos a cero",
            f"{tex(f)} = 0\\quad\\Rightarrow\\quad "
            + (",\\; ".join(f"{tex(x)} = {tex(r)}" for r in roots) or "\\text{sin solución real}"),
        )
    )
    points = [f"\\left({tex(r)}, 0\\right)" for r in roots]
    if task.want == "roots":
        result = (
            ",\\quad ".join(f"{tex(x)}_{{{i + 1}}} = {tex(r)}" for i, r in enumerate(roots))
            if len(roots) > 1
            else (f"{tex(x)} = {tex(roots[0])}" if roots else "\\text{Sin raíces reales}")
        )
        steps.extend(
            plot_step(
                x,
                [Curve(f, f"y = {plain(f)}"[:60])],
                "Las raíces son donde la curva corta al eje x.",
                *plot_range(roots),
                marks=[(float(r), 0.0) for r in roots],
            )
        )
        return [*steps, result_step(result)]
    at_zero = sp.simplify(f.subs(x, 0))
    has_y = at_zero.is_finite and not at_zero.has(sp.I)
    if has_y:
        steps.append(
            math_step(
                "Eje y: evaluamos en cero",
                f"{_head(task).replace(tex(x), '0')} = {subst_tex(f, x, sp.Integer(0))} = {tex(at_zero)}",
            )
        )
    marks = [(float(r), 0.0) for r in roots] + ([(0.0, float(at_zero))] if has_y else [])
    steps.extend(
        plot_step(
            x,
            [Curve(f, f"y = {plain(f)}"[:60])],
            "Los cortes con los ejes están marcados.",
            *plot_range(roots),
            marks=marks,
        )
    )
    x_part = "\\text{Eje } x: " + (",\\ ".join(points) if points else "\\text{ninguno}")
    y_part = (
        f"\\text{{Eje }} y: \\left(0, {tex(at_zero)}\\right)"
        if has_y
        else "\\text{Eje } y: \\text{ninguno}"
    )
    return [*steps, result_step(f"{x_part};\\quad {y_part}")]


def _inverse(task: FunctionTask) -> list[Draft]:
    x, f = task.var, task.expr
    y = sp.Symbol("y")
    solutions = sp.solve(sp.Eq(y, f), x)
    if len(solutions) != 1:
        raise Unsupported("the function is not one-to-one here")
    inverse = sp.simplify(solutions[0].subs(y, x))
    ensure(sp.simplify(f.subs(x, inverse) - x) == 0, "f(f^-1(x)) = x")
    steps = [
        _definition_step(task, "Escribimos y en lugar de f(x) y despejamos x."),
        math_step("Planteamos", f"y = {tex(f)}"),
        math_step("Despejamos x", f"{tex(x)} = {tex(solutions[0])}"),
        math_step(
            "Intercambiamos las letras",
            f"{task.name}^{{-1}}({tex(x)}) = {tex(inverse)}",
            "La inversa se escribe otra vez en términos de x.",
        ),
        math_step(
            "Comprobamos",
            f"{task.name}\\left({task.name}^{{-1}}(x)\\right) = {tex(sp.simplify(f.subs(x, inverse)))}",
            "Componer una función con su inversa da x.",
        ),
    ]
    return [*steps, result_step(f"{task.name}^{{-1}}({tex(x)}) = {tex(inverse)}")]
