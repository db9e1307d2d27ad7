"""Where a function's graph turns and cuts the axes: the vertex of a parabola, the
x-intercepts (roots) and the y-intercept, each marked on the graph."""

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

from .common import plain, plot_range, plot_step, same_value, subst_tex, tex
from .function_task import FunctionTask, definition_step, head


def vertex(task: FunctionTask) -> list[Draft]:
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
        definition_step(
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


def intercepts(task: FunctionTask) -> list[Draft]:
    x, f = task.var, task.expr
    solutions = sp.solveset(f, x, sp.S.Reals)
    if not isinstance(solutions, sp.FiniteSet):
        raise Unsupported("infinitely many or unknown roots")
    roots = sorted(solutions, key=float)
    for root in roots:
        ensure(same_value(f.subs(x, root), 0), "each root cuts the x axis")
    steps = [definition_step(task, "Cortes con el eje x: y = 0. Corte con el eje y: x = 0.")]
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
                f"{head(task).replace(tex(x), '0')} = {subst_tex(f, x, sp.Integer(0))} = {tex(at_zero)}",
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
