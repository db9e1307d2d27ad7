"""Limits: direct substitution, or L'Hôpital for the indeterminate forms."""

from __future__ import annotations

import sympy as sp

from app.adapters.engines.offline_core.drafts import (
    Draft,
    Unsupported,
    math_step,
    result_step,
    text_step,
)
from app.adapters.engines.offline_core.plot import Curve

from .common import plain, plot_range, plot_step, tex
from .task import Task


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
        plot_step(
            x,
            [Curve(f, "f(x)")],
            f"Cerca de {x} = {at} la curva se acerca a {plain(value)}.",
            low,
            high,
        )
    )
    steps.append(result_step(f"{head} {tex(f)} = {tex(value)}"))
    return steps
