"""Labelled drawings of the figures for the board's right-hand panel (x 780-1240,
y 120-560), built valid like every other command."""

from __future__ import annotations

import math
from collections.abc import Callable

import sympy as sp

from app.adapters.engines.offline_core.decimals import show
from app.adapters.engines.offline_core.drafts import Command
from app.adapters.engines.offline_core.plot import c

CX, CY = 1010, 340
EDGE = "#2563eb"
LABEL = "#111827"
HELPER = "#dc2626"


def _label(x: float, y: float, text: str) -> Command:
    return {"op": "text", "x": c(x), "y": c(y), "text": text[:60], "size": 22, "color": LABEL}


def _line(x1: float, y1: float, x2: float, y2: float, color: str = EDGE) -> Command:
    return {
        "op": "line",
        "x1": c(x1),
        "y1": c(y1),
        "x2": c(x2),
        "y2": c(y2),
        "color": color,
        "width": 3,
    }


def _ellipse(
    cx: float, cy: float, rx: float, ry: float, start: float = 0, end: float = 360
) -> Command:
    points = [
        [c(cx + rx * math.cos(math.radians(t))), c(cy + ry * math.sin(math.radians(t)))]
        for t in range(int(start), int(end) + 1, 10)
    ]
    return {"op": "path", "points": points, "color": EDGE, "width": 3}


def _text(name: str, values: dict[str, sp.Expr], unit: str | None) -> str:
    value = values.get(name)
    return f"{name} = {show(value)}{' ' + unit if unit else ''}" if value is not None else name


def _circle(v: dict[str, sp.Expr], unit: str | None) -> list[Command]:
    return [
        {"op": "circle", "x": CX, "y": CY, "r": 150, "color": EDGE},
        _line(CX, CY, CX + 150, CY, HELPER),
        {"op": "circle", "x": CX, "y": CY, "r": 5, "fill": HELPER},
        _label(CX + 10, CY - 22, _text("radio", v, unit)),
    ]


def _rectangle(v: dict[str, sp.Expr], unit: str | None, square: bool = False) -> list[Command]:
    w, h = (240, 240) if square else (320, 200)
    x, y = CX - w / 2, CY - h / 2
    bottom = _text("lado" if square else "base", v, unit)
    right = _text("lado" if square else "altura", v, unit)
    return [
        {"op": "rect", "x": c(x), "y": c(y), "w": w, "h": h, "color": EDGE},
        _label(x + 40, y + h + 24, bottom),
        _label(x + w + 10, CY, right if len(right) < 20 else right[:20]),
    ]


def _triangle(v: dict[str, sp.Expr], unit: str | None) -> list[Command]:
    left, right, top = (CX - 180, CY + 110), (CX + 180, CY + 110), (CX - 40, CY - 130)
    return [
        {
            "op": "path",
            "points": [list(left), list(right), list(top), list(left)],
            "color": EDGE,
            "width": 3,
        },
        _line(top[0], top[1], top[0], left[1], HELPER),
        _label(CX - 60, left[1] + 26, _text("base", v, unit)),
        _label(top[0] + 10, CY, _text("altura", v, unit)),
    ]


def _cylinder(v: dict[str, sp.Expr], unit: str | None) -> list[Command]:
    return [
        _ellipse(CX, CY - 140, 120, 30),
        _ellipse(CX, CY + 140, 120, 30, 0, 180),
        _line(CX - 120, CY - 140, CX - 120, CY + 140),
        _line(CX + 120, CY - 140, CX + 120, CY + 140),
        _line(CX, CY - 140, CX + 120, CY - 140, HELPER),
        _label(CX + 10, CY - 170, _text("radio", v, unit)),
        _label(CX + 130, CY, _text("altura", v, unit)[:20]),
    ]


def _sphere(v: dict[str, sp.Expr], unit: str | None) -> list[Command]:
    return [*_circle(v, unit), _ellipse(CX, CY, 150, 40, 0, 180)]


def _cube(v: dict[str, sp.Expr], unit: str | None) -> list[Command]:
    s, k = 200, 60
    x, y = CX - s / 2 - k / 2, CY - s / 2 + k / 2
    return [
        {"op": "rect", "x": c(x), "y": c(y), "w": s, "h": s, "color": EDGE},
        {"op": "rect", "x": c(x + k), "y": c(y - k), "w": s, "h": s, "color": "#93c5fd"},
        _line(x, y, x + k, y - k),
        _line(x + s, y, x + s + k, y - k),
        _line(x + s, y + s, x + s + k, y + s - k),
        _line(x, y + s, x + k, y + s - k),
        _label(x + 40, y + s + 24, _text("lado", v, unit)),
    ]


_SKETCHES: dict[str, Callable[[dict[str, sp.Expr], str | None], list[Command]]] = {
    "circulo": _circle,
    "rectangulo": _rectangle,
    "cuadrado": lambda v, u: _rectangle(v, u, square=True),
    "triangulo": _triangle,
    "cilindro": _cylinder,
    "esfera": _sphere,
    "cubo": _cube,
}


def sketch_for(figure: str, values: dict[str, sp.Expr], unit: str | None) -> list[Command] | None:
    draw = _SKETCHES.get(figure)
    return draw(values, unit) if draw else None
