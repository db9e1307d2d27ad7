"""Function graphs for the board's right-hand panel: sampled paths with axes,
split at gaps and jumps, marked points and a shaded interval."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

PLOT_X, PLOT_Y, PLOT_W, PLOT_H = 780, 120, 460, 420
MAX_SEGMENTS = 60
SAMPLES = 241

AXIS = "#6b7280"
CURVE_COLORS = ("#2563eb", "#dc2626", "#059669")
MARK = "#dc2626"


def c(value: float) -> int | float:
    """Round a coordinate the way the sanitizer does, so commands stay unchanged."""
    value = round(float(value), 1)
    return int(value) if value.is_integer() else value


@dataclass
class Curve:
    """One function to graph; `label` is plain text for the legend."""

    expr: sp.Expr
    label: str


@dataclass
class Plot:
    """A graph request: curves over [x_min, x_max], marked points, shaded interval."""

    var: sp.Symbol
    curves: list[Curve]
    x_min: float = -5.0
    x_max: float = 5.0
    marks: list[tuple[float, float]] = field(default_factory=list)
    shade: tuple[float, float] | None = None


def _fmt(value: float) -> str:
    return f"{value:.0f}" if abs(value - round(value)) < 1e-9 else f"{value:.2f}".rstrip("0")


def _sampler(expr: sp.Expr, var: sp.Symbol) -> Callable[[float], float | None]:
    """A float evaluator built from a validated SymPy tree (no user text involved)."""
    func = sp.lambdify(var, expr, modules="math")

    def value(x: float) -> float | None:
        try:
            y = func(x)
        except (ArithmeticError, ValueError, TypeError):
            return None
        if isinstance(y, complex) or not isinstance(y, (int, float)):
            return None
        return float(y) if math.isfinite(y) else None

    return value


def _y_range(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    low, high = ordered[0], ordered[-1]
    q_low, q_high = ordered[len(ordered) // 20], ordered[-1 - len(ordered) // 20]
    if high - low > 8 * max(q_high - q_low, 1e-9):
        low, high = q_low, q_high
    span = high - low
    if low > 0 and low < 0.5 * span + 1:
        low = 0.0
    if high < 0 and -high < 0.5 * span + 1:
        high = 0.0
    if span < 1e-9:
        low, high = low - 1, high + 1
    pad = 0.08 * (high - low)
    return low - pad, high + pad


def plot_commands(plot: Plot) -> list[dict[str, Any]]:
    """Axes, curves as paths (split at gaps and jumps), marks and labels."""
    a, b = float(plot.x_min), float(plot.x_max)
    xs = [a + (b - a) * i / (SAMPLES - 1) for i in range(SAMPLES)]
    series = [[_sampler(curve.expr, plot.var)(x) for x in xs] for curve in plot.curves]
    finite = [y for ys in series for y in ys if y is not None]
    if len(finite) < 2:
        return []
    y_lo, y_hi = _y_range(finite)

    def sx(x: float) -> float:
        return PLOT_X + (x - a) / (b - a) * PLOT_W

    def sy(y: float) -> float:
        return PLOT_Y + PLOT_H - (y - y_lo) / (y_hi - y_lo) * PLOT_H

    out: list[dict[str, Any]] = [
        {"op": "rect", "x": PLOT_X, "y": PLOT_Y, "w": PLOT_W, "h": PLOT_H, "color": "#d1d5db"}
    ]
    axis_y = sy(0.0) if y_lo <= 0 <= y_hi else PLOT_Y + PLOT_H
    axis_x = sx(0.0) if a <= 0 <= b else PLOT_X
    out.append(
        {
            "op": "arrow",
            "x1": PLOT_X,
            "y1": c(axis_y),
            "x2": PLOT_X + PLOT_W,
            "y2": c(axis_y),
            "color": AXIS,
            "width": 2,
        }
    )
    out.append(
        {
            "op": "arrow",
            "x1": c(axis_x),
            "y1": PLOT_Y + PLOT_H,
            "x2": c(axis_x),
            "y2": PLOT_Y,
            "color": AXIS,
            "width": 2,
        }
    )
    label_y = min(c(axis_y + 8), PLOT_Y + PLOT_H + 8)
    out.append(
        {"op": "text", "x": PLOT_X, "y": c(label_y), "text": _fmt(a), "size": 16, "color": AXIS}
    )
    out.append(
        {
            "op": "text",
            "x": PLOT_X + PLOT_W - 40,
            "y": c(label_y),
            "text": _fmt(b),
            "size": 16,
            "color": AXIS,
        }
    )
    out.append(
        {
            "op": "text",
            "x": c(min(axis_x + 6, PLOT_X + PLOT_W - 60)),
            "y": PLOT_Y + 2,
            "text": _fmt(y_hi),
            "size": 16,
            "color": AXIS,
        }
    )
    out.append(
        {
            "op": "text",
            "x": c(min(axis_x + 6, PLOT_X + PLOT_W - 60)),
            "y": PLOT_Y + PLOT_H - 22,
            "text": _fmt(y_lo),
            "size": 16,
            "color": AXIS,
        }
    )
    if plot.shade is not None and plot.curves:
        lo, hi = sorted(plot.shade)
        first = _sampler(plot.curves[0].expr, plot.var)
        for i in range(25):
            x = lo + (hi - lo) * i / 24
            y = first(x)
            if y is None or not a <= x <= b:
                continue
            top = min(max(sy(y), PLOT_Y), PLOT_Y + PLOT_H)
            if abs(top - axis_y) >= 1:
                out.append(
                    {
                        "op": "line",
                        "x1": c(sx(x)),
                        "y1": c(axis_y),
                        "x2": c(sx(x)),
                        "y2": c(top),
                        "color": "#93c5fd",
                        "width": 3,
                    }
                )
    segments = 0
    for index, ys in enumerate(series):
        color = CURVE_COLORS[index % len(CURVE_COLORS)]
        points: list[list[int | float]] = []
        for x, y in zip(xs, ys, strict=True):
            screen = None if y is None or not y_lo <= y <= y_hi else [c(sx(x)), c(sy(y))]
            jump = screen is not None and points and abs(screen[1] - points[-1][1]) > 0.6 * PLOT_H
            if screen is None or jump:
                if len(points) >= 2 and segments < MAX_SEGMENTS:
                    out.append({"op": "path", "points": points, "color": color, "width": 3})
                    segments += 1
                points = [screen] if screen is not None else []
            else:
                points.append(screen)
        if len(points) >= 2 and segments < MAX_SEGMENTS:
            out.append({"op": "path", "points": points, "color": color, "width": 3})
            segments += 1
        legend = plot.curves[index].label[:60]
        out.append(
            {
                "op": "text",
                "x": PLOT_X,
                "y": c(PLOT_Y - 34 - 26 * index),
                "text": legend,
                "size": 20,
                "color": color,
            }
        )
    for mx, my in plot.marks:
        if a <= mx <= b and y_lo <= my <= y_hi:
            out.append(
                {
                    "op": "circle",
                    "x": c(sx(mx)),
                    "y": c(sy(my)),
                    "r": 6,
                    "color": MARK,
                    "fill": MARK,
                }
            )
    return out[:150]
