"""Canvas layout: writes each step's work top to bottom on the 1280x720 board
and draws function graphs as sampled paths with axes.

Every command is built already valid (lower-case colours, coordinates on the
board, rounded like the sanitizer), so `sanitize_command` keeps it unchanged.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

BOARD_W, BOARD_H = 1280, 720
LEFT, TOP, BOTTOM = 40, 30, 700
WORK_W_WITH_PLOT, WORK_W_FULL = 700, 1200
PLOT_X, PLOT_Y, PLOT_W, PLOT_H = 780, 120, 460, 420
MAX_SEGMENTS = 60
SAMPLES = 241

TITLE_COLOR = "#1d4ed8"
INK = "#111827"
NOTE = "#374151"
AXIS = "#6b7280"
RESULT_FILL = "#fef08a"
RESULT_EDGE = "#16a34a"
CURVE_COLORS = ("#2563eb", "#dc2626", "#059669")
MARK = "#dc2626"

Command = dict[str, Any]


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


@dataclass
class Draft:
    """A step before layout: `lines` are what gets written on the board."""

    title: str
    type: str
    content: str
    lines: list[tuple[str, str]] = field(default_factory=list)
    final: bool = False
    plot: Plot | None = None


def _visible_len(latex: str) -> int:
    text = re.sub(r"\\(?:left|right|,|;|!|quad)", "", latex)
    text = re.sub(
        r"\\frac\{([^{}]*)\}\{([^{}]*)\}",
        lambda m: "x" * max(len(m.group(1)), len(m.group(2))),
        text,
    )
    text = re.sub(r"\\[a-zA-Z]+", "x", text)
    return max(1, len(re.sub(r"[{}^_\s]", "", text)))


def _wrap(text: str, width_chars: int) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width_chars:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return lines


class Board:
    """Keeps the writing position across steps and clears when the board is full."""

    def __init__(self, has_plot: bool) -> None:
        self.y = TOP
        self.width = WORK_W_WITH_PLOT if has_plot else WORK_W_FULL
        self.started = False
        self.persistent: list[Command] = []

    def _line_height(self, kind: str, body: str, size: int) -> int:
        if kind == "math":
            return int(size * (2.4 if "\\frac" in body or "\\int" in body else 1.7))
        return int(size * 1.5)

    def _prepare(self, title: str, lines: list[tuple[str, str]], final: bool) -> list[tuple]:
        items: list[tuple[str, str, int, str]] = [("text", title, 24, TITLE_COLOR)]
        for kind, body in lines:
            if kind == "math":
                base = 40 if final else 30
                size = int(max(14, min(base, self.width / (0.62 * _visible_len(body)))))
                items.append(("math", body[:500], size, INK))
            else:
                for part in _wrap(body, int(self.width / (0.52 * 22))):
                    items.append(("text", part[:500], 22, NOTE))
        return items

    def step(self, draft: Draft) -> list[Command]:
        """The commands that write one step (and its plot or result frame)."""
        out: list[Command] = []
        if not self.started:
            out.append({"op": "clear"})
            self.started = True
        if draft.plot is not None:
            graph = plot_commands(draft.plot)
            self.persistent = graph
            out.extend(graph)
        items = self._prepare(draft.title, draft.lines, draft.final)
        needed = sum(self._line_height(k, b, s) for k, b, s, _ in items) + 20
        if self.y + needed > BOTTOM and self.y > TOP:
            out.append({"op": "clear"})
            out.extend(self.persistent)
            self.y = TOP
        for kind, body, size, color in items:
            height = self._line_height(kind, body, size)
            if self.y + height > BOARD_H:
                break
            if kind == "math" and draft.final:
                w = min(self.width, 0.62 * size * _visible_len(body)) + 24
                box = {"x": c(LEFT - 12), "y": c(self.y - 8), "w": c(w), "h": c(height + 4)}
                out.append({"op": "highlight", **box, "color": RESULT_FILL})
                out.append(
                    {
                        "op": kind,
                        "x": LEFT,
                        "y": c(self.y),
                        "latex": body,
                        "size": size,
                        "color": color,
                    }
                )
                out.append({"op": "rect", **box, "color": RESULT_EDGE})
            elif kind == "math":
                out.append(
                    {
                        "op": kind,
                        "x": LEFT,
                        "y": c(self.y),
                        "latex": body,
                        "size": size,
                        "color": color,
                    }
                )
            else:
                out.append(
                    {
                        "op": "text",
                        "x": LEFT,
                        "y": c(self.y),
                        "text": body,
                        "size": size,
                        "color": color,
                    }
                )
            self.y += height
        self.y += 20
        return out[:200]


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


def plot_commands(plot: Plot) -> list[Command]:
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

    out: list[Command] = [
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
