"""Analytic geometry with two points (or a point and a slope): slope, distance,
midpoint and the equation of the line, with the points drawn."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from app.adapters.engines.offline_core.decimals import approx_tex
from app.adapters.engines.offline_core.drafts import Draft, ensure, math_step, result_step
from app.adapters.engines.offline_core.plot import Curve

from .common import plot_step, tex
from .parser import MathParseError, parse_math

_NUM = r"-?\s*\d+(?:\.\d+)?(?:/\d+)?"
_POINT = re.compile(rf"\(\s*({_NUM})\s*,\s*({_NUM})\s*\)")
_SLOPE = re.compile(rf"pendiente\s+(?:de\s+|igual\s+a\s+|m\s*=\s*|es\s+)?({_NUM})")
_WANTS = (
    ("line", re.compile(r"\becuacion\s+de\s+la\s+recta\b")),
    ("slope", re.compile(r"\bpendiente\b")),
    ("distance", re.compile(r"\bdistancia\b")),
    ("midpoint", re.compile(r"\bpunto\s+medio\b")),
)
X = sp.Symbol("x")
Point = tuple[sp.Rational, sp.Rational]


@dataclass
class AnalyticTask:
    want: str
    points: list[Point]
    slope: sp.Rational | None = None
    line: sp.Expr | None = None
    kind: str = "analytic"


def _number(text: str) -> sp.Rational:
    return sp.Rational(text.replace(" ", ""))


def _slope_of_equation(text: str) -> AnalyticTask | None:
    found = re.search(r"\by\s*=\s*([^,;]+?)\s*$", text)
    if not found:
        return None
    try:
        line = parse_math(found.group(1))
    except MathParseError:
        return None
    if line.free_symbols != {X} or not line.is_polynomial(X) or sp.degree(line, X) != 1:
        return None
    return AnalyticTask("slope_of_line", [], line.coeff(X, 1), line)


def match(text: str) -> AnalyticTask | None:
    points = [(_number(a), _number(b)) for a, b in _POINT.findall(text)]
    want = next((w for w, pattern in _WANTS if pattern.search(text)), None)
    if want == "slope" and not points:
        return _slope_of_equation(text)
    if want is None or not points:
        return None
    slope = _SLOPE.search(text)
    if want == "line" and len(points) == 1 and slope:
        return AnalyticTask("line", points, _number(slope.group(1)))
    if len(points) != 2 or points[0] == points[1]:
        return None
    return AnalyticTask(want, points)


def _pt(p: Point) -> str:
    return f"\\left({tex(p[0])}, {tex(p[1])}\\right)"


def _paren(value: sp.Expr) -> str:
    return f"\\left({tex(value)}\\right)" if value < 0 else tex(value)


def _slope_of_line(task: AnalyticTask) -> list[Draft]:
    m, b = task.slope, task.line.subs(X, 0)
    ensure(task.line == sp.expand(m * X + b), "y = m x + b")
    return [
        math_step("La recta", f"y = {tex(task.line)}"),
        math_step(
            "Forma pendiente-ordenada",
            f"y = m x + b\\quad\\Rightarrow\\quad m = {tex(m)},\\; b = {tex(b)}",
            "La pendiente es el número que multiplica a x; b es donde la recta corta al eje y.",
        ),
        *plot_step(
            X,
            [Curve(task.line, f"y = {sp.sstr(task.line)}"[:60])],
            "Por cada unidad que avanza x, y cambia m unidades.",
        ),
        result_step(f"m = {tex(m)}"),
    ]


def solve(task: AnalyticTask) -> list[Draft]:
    if task.want == "slope_of_line":
        return _slope_of_line(task)
    x1, y1 = task.points[0]
    data = ",\\quad ".join(f"P_{i + 1} = {_pt(p)}" for i, p in enumerate(task.points))
    steps = [
        math_step("Datos", data if task.slope is None else f"{data},\\quad m = {tex(task.slope)}")
    ]
    if task.want == "line" and task.slope is not None:
        m = task.slope
        b = y1 - m * x1
        steps.append(
            math_step(
                "Forma punto-pendiente",
                f"y - y_1 = m(x - x_1)\\quad\\Rightarrow\\quad y - {_paren(y1)} = {tex(m)}\\left(x - {_paren(x1)}\\right)",
            )
        )
        return _line_end(steps, m, b, task.points)
    x2, y2 = task.points[1]
    if task.want in ("slope", "line"):
        if x1 == x2:
            return _vertical(steps, x1)
        m = (y2 - y1) / (x2 - x1)
        steps.append(
            math_step(
                "Pendiente",
                f"m = \\frac{{y_2 - y_1}}{{x_2 - x_1}} = \\frac{{{tex(y2)} - {_paren(y1)}}}{{{tex(x2)} - {_paren(x1)}}}"
                f" = \\frac{{{tex(y2 - y1)}}}{{{tex(x2 - x1)}}} = {tex(m)}",
                "Cuánto sube y por cada unidad que avanza x.",
            )
        )
        if task.want == "slope":
            ensure(y1 + m * (x2 - x1) == y2, "the slope takes P1 to P2")
            return [*steps, result_step(f"m = {tex(m)}")]
        b = y1 - m * x1
        steps.append(
            math_step(
                "Forma punto-pendiente con P₁",
                f"y - {_paren(y1)} = {tex(m)}\\left(x - {_paren(x1)}\\right)",
            )
        )
        return _line_end(steps, m, b, task.points)
    if task.want == "distance":
        dx, dy = x2 - x1, y2 - y1
        value = sp.sqrt(dx**2 + dy**2)
        ensure(sp.simplify(value**2 - dx**2 - dy**2) == 0, "Pythagoras")
        steps.append(
            math_step(
                "Fórmula de la distancia",
                "d = \\sqrt{(x_2 - x_1)^2 + (y_2 - y_1)^2}",
                "Es el teorema de Pitágoras con los catetos Δx y Δy.",
            )
        )
        steps.append(
            math_step(
                "Sustituimos",
                f"d = \\sqrt{{({tex(x2)} - {_paren(x1)})^2 + ({tex(y2)} - {_paren(y1)})^2}} = "
                f"\\sqrt{{{_paren(dx)}^2 + {_paren(dy)}^2}} = \\sqrt{{{tex(dx**2 + dy**2)}}}",
            )
        )
        closing = approx_tex(value, 2)
        tail = f" {closing}" if closing.startswith("\\approx") else ""
        return [*steps, result_step(f"d = {tex(value)}{tail}")]
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2
    ensure(2 * mx == x1 + x2 and 2 * my == y1 + y2, "midpoint halves the segment")
    steps.append(
        math_step(
            "Fórmula del punto medio",
            "M = \\left(\\frac{x_1 + x_2}{2}, \\frac{y_1 + y_2}{2}\\right)",
        )
    )
    steps.append(
        math_step(
            "Sustituimos",
            f"M = \\left(\\frac{{{tex(x1)} + {_paren(x2)}}}{{2}}, \\frac{{{tex(y1)} + {_paren(y2)}}}{{2}}\\right)",
        )
    )
    return [*steps, result_step(f"M = {_pt((mx, my))}")]


def _line_end(steps: list[Draft], m: sp.Expr, b: sp.Expr, points: list[Point]) -> list[Draft]:
    line = m * X + b
    for px, py in points:
        ensure(line.subs(X, px) == py, "the line passes through the points")
    steps.append(
        math_step("Despejamos y", f"y = {tex(line)}", "Forma pendiente-ordenada: y = mx + b.")
    )
    xs = [float(p[0]) for p in points]
    steps.extend(
        plot_step(
            X,
            [Curve(line, f"y = {sp.sstr(line)}"[:60])],
            "La recta pasa por los puntos marcados.",
            min(xs) - 3,
            max(xs) + 3,
            marks=[(float(px), float(py)) for px, py in points],
        )
    )
    return [*steps, result_step(f"y = {tex(line)}")]


def _vertical(steps: list[Draft], x1: sp.Expr) -> list[Draft]:
    steps.append(
        math_step(
            "Recta vertical",
            f"x_1 = x_2 = {tex(x1)}",
            "La pendiente no existe: no hay avance en x.",
        )
    )
    return [*steps, result_step(f"x = {tex(x1)}")]
