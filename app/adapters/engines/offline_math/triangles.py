"""Right triangles (Pythagoras: hypotenuse, a missing leg, the ladder against a wall)
and the angles of triangles and polygons."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from app.adapters.engines.offline_core.decimals import approx_tex, show
from app.adapters.engines.offline_core.drafts import Command, Draft, ensure, math_step, result_step
from app.adapters.engines.offline_core.plot import c

from .measures import Length, common_unit, find_length, find_lengths, unit_tex
from .quantities import NUMBER, number

N = NUMBER
_POLYGON_SIDES = {"triangulo": 3, "cuadrilatero": 4, "cuadrado": 4, "rectangulo": 4,
                  "pentagono": 5, "hexagono": 6, "heptagono": 7, "octagono": 8, "eneagono": 9,
                  "decagono": 10}  # fmt: skip
_LADDER = re.compile(
    rf"escalera\s+de\s+{N}\s*(m|metros|cm)?.*?(?:a|separada|esta\s+a)\s+{N}\s*(m|metros|cm)?\s+de\s+(?:la\s+)?(?:pared|muro|base|edificio)"
)


@dataclass
class RightTriangleTask:
    legs: list[Length]
    hypotenuse: Length | None
    context: str = ""
    kind: str = "right_triangle"


@dataclass
class AnglesTask:
    mode: str  # third | polygon_sum | polygon_each
    values: list[sp.Rational]
    kind: str = "angles"


def match(text: str) -> RightTriangleTask | AnglesTask | None:
    ladder = _LADDER.search(text)
    if ladder and re.search(r"\baltura\b|\bque\s+alto\b|\bhasta\s+donde\b", text):
        unit = {"metros": "m"}.get(ladder.group(2) or "", ladder.group(2))
        return RightTriangleTask(
            [(number(ladder.group(3)), unit)], (number(ladder.group(1)), unit), "escalera"
        )
    if "hipotenusa" in text or "cateto" in text or "pitagoras" in text:
        legs = find_lengths(text, "catetos", 2)
        if legs and re.search(r"\bhipotenusa\b", text):
            return RightTriangleTask(legs, None)
        hyp = find_length(text, "hipotenusa")
        leg = find_length(text, "cateto|un\\s+cateto|otro\\s+cateto")
        if (
            hyp
            and leg
            and re.search(r"(?:otro|el\s+otro|segundo)\s+cateto|cuanto\s+mide\s+el\s+cateto", text)
        ):
            return RightTriangleTask([leg], hyp)
        return None
    return _angles(text)


def _angles(text: str) -> AnglesTask | None:
    if "angulo" not in text:
        return None
    third = re.search(
        rf"angulos?\s+(?:de\s+|miden\s+|que\s+miden\s+)?{N}\s*°?\s*(?:,|y)\s*{N}\s*°?", text
    )
    if third and "triangulo" in text and re.search(r"terce[rr]o?|otro|restante|falta", text):
        return AnglesTask("third", [number(third.group(1)), number(third.group(2))])
    polygon = re.search(r"\b(" + "|".join(_POLYGON_SIDES) + r")\b", text)
    many = re.search(rf"poligono\s+(?:regular\s+)?de\s+{N}\s+lados", text)
    sides = (
        _POLYGON_SIDES[polygon.group(1)] if polygon else (number(many.group(1)) if many else None)
    )
    if sides is None or not re.search(r"interior", text):
        return None
    each = bool(re.search(r"\bcada\b|\bregular\b.*\bmide\b|\bcuanto\s+mide\s+un\b", text))
    return AnglesTask("polygon_each" if each else "polygon_sum", [sp.Integer(sides)])


def _sketch(a: str, b: str, hyp: str) -> list[Command]:
    left, right, top = (830, 500), (1180, 500), (830, 200)
    return [
        {
            "op": "path",
            "points": [list(left), list(right), list(top), list(left)],
            "color": "#2563eb",
            "width": 3,
        },
        {"op": "rect", "x": 830, "y": 476, "w": 24, "h": 24, "color": "#dc2626"},
        {"op": "text", "x": 960, "y": 528, "text": b[:40], "size": 22, "color": "#111827"},
        {"op": "text", "x": 790 - 0, "y": 350, "text": a[:14], "size": 22, "color": "#111827"},
        {"op": "text", "x": c(1010), "y": 330, "text": hyp[:40], "size": 22, "color": "#111827"},
    ]


def solve(task: RightTriangleTask | AnglesTask) -> list[Draft]:
    if isinstance(task, AnglesTask):
        return _solve_angles(task)
    unit = common_unit([*task.legs, *([task.hypotenuse] if task.hypotenuse else [])])
    u = unit_tex(unit)
    theorem = math_step(
        "Teorema de Pitágoras",
        "c^2 = a^2 + b^2",
        "En un triángulo rectángulo, la hipotenusa c (el lado opuesto al ángulo recto) "
        "al cuadrado es la suma de los cuadrados de los catetos a y b.",
    )
    if task.hypotenuse is None:
        (a, _), (b, _) = task.legs
        value = sp.sqrt(a**2 + b**2)
        ensure(sp.simplify(value**2 - a**2 - b**2) == 0, "c^2 = a^2 + b^2")
        theorem.sketch = _sketch(f"a = {show(a)}", f"b = {show(b)}", "c = ?")
        steps = [
            math_step(
                "Datos", f"a = {show(a)}{u},\\quad b = {show(b)}{u}", "Buscamos la hipotenusa c."
            ),
            theorem,
            math_step(
                "Sustituimos",
                f"c^2 = {show(a)}^2 + {show(b)}^2 = {show(a**2)} + {show(b**2)} = {show(a**2 + b**2)}",
            ),
            math_step(
                "Sacamos raíz cuadrada",
                f"c = \\sqrt{{{show(a**2 + b**2)}}} {approx_tex(value, 2)}{u}",
            ),
        ]
        return [*steps, result_step(f"c = {sp.latex(value)}{u}" + _approx_tail(value, u))]
    (a, _), (hyp, _) = task.legs[0], task.hypotenuse
    if a >= hyp:
        raise ValueError("a leg longer than the hypotenuse")
    value = sp.sqrt(hyp**2 - a**2)
    ensure(sp.simplify(hyp**2 - a**2 - value**2) == 0, "c^2 = a^2 + b^2")
    ladder = task.context == "escalera"
    theorem.sketch = _sketch("b = ?", f"a = {show(a)}", f"c = {show(hyp)}")
    what = (
        "La escalera es la hipotenusa; la distancia a la pared, un cateto; la altura, el otro."
        if ladder
        else "Buscamos el otro cateto b."
    )
    steps = [
        math_step("Datos", f"c = {show(hyp)}{u},\\quad a = {show(a)}{u}", what),
        theorem,
        math_step("Despejamos el cateto", "b^2 = c^2 - a^2", "Restamos a² en ambos lados."),
        math_step(
            "Sustituimos",
            f"b^2 = {show(hyp)}^2 - {show(a)}^2 = {show(hyp**2)} - {show(a**2)} = {show(hyp**2 - a**2)}",
        ),
        math_step(
            "Sacamos raíz cuadrada",
            f"b = \\sqrt{{{show(hyp**2 - a**2)}}} {approx_tex(value, 2)}{u}",
        ),
    ]
    return [*steps, result_step(f"b = {sp.latex(value)}{u}" + _approx_tail(value, u))]


def _approx_tail(value: sp.Expr, unit: str) -> str:
    closing = approx_tex(value, 2)
    return f" {closing}{unit}" if closing.startswith("\\approx") else ""


def _solve_angles(task: AnglesTask) -> list[Draft]:
    if task.mode == "third":
        a, b = task.values
        third = 180 - a - b
        if third <= 0:
            raise ValueError("the two angles already add up to 180° or more")
        ensure(a + b + third == 180, "angles add up to 180")
        return [
            math_step(
                "Propiedad",
                "\\alpha + \\beta + \\gamma = 180^\\circ",
                "Los ángulos interiores de un triángulo suman 180°.",
            ),
            math_step("Sustituimos", f"{show(a)}^\\circ + {show(b)}^\\circ + \\gamma = 180^\\circ"),
            math_step(
                "Despejamos",
                f"\\gamma = 180^\\circ - {show(a)}^\\circ - {show(b)}^\\circ = {show(third)}^\\circ",
            ),
            result_step(f"\\gamma = {show(third)}^\\circ"),
        ]
    n = task.values[0]
    total = (n - 2) * 180
    steps = [
        math_step(
            "Suma de ángulos interiores",
            "S = (n - 2) \\cdot 180^\\circ",
            "Desde un vértice, el polígono se divide en n − 2 triángulos de 180° cada uno.",
        ),
        math_step(
            "Sustituimos",
            f"S = ({show(n)} - 2) \\cdot 180^\\circ = {show(n - 2)} \\cdot 180^\\circ = {show(total)}^\\circ",
        ),
    ]
    if task.mode == "polygon_sum":
        steps.append(
            math_step(
                "Comprobamos",
                f"{show(n - 2)} \\text{{ triángulos}} \\times 180^\\circ = {show(total)}^\\circ",
            )
        )
        return [*steps, result_step(f"S = {show(total)}^\\circ")]
    each = total / n
    ensure(each * n == total, "equal angles add up to the sum")
    steps.append(
        math_step(
            "Repartimos entre los ángulos iguales",
            f"\\frac{{{show(total)}^\\circ}}{{{show(n)}}} = {show(each)}^\\circ",
            "En un polígono regular todos los ángulos interiores son iguales.",
        )
    )
    return [*steps, result_step(f"\\text{{Cada ángulo}} = {show(each)}^\\circ")]
