"""Trigonometric values of an angle (notable angles exactly, from the 30-60-90 and
45-45-90 triangles and the quadrant signs) and degree/radian conversions."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import sympy as sp

from app.adapters.engines.offline_core.decimals import rounded
from app.adapters.engines.offline_core.drafts import (
    Draft,
    ensure,
    math_step,
    result_step,
    text_step,
)

_FUNCS = {
    "sen": sp.sin, "sin": sp.sin, "seno": sp.sin, "cos": sp.cos, "coseno": sp.cos,
    "tan": sp.tan, "tg": sp.tan, "tangente": sp.tan, "cot": sp.cot, "cotangente": sp.cot,
    "sec": sp.sec, "secante": sp.sec, "csc": sp.csc, "cosec": sp.csc, "cosecante": sp.csc,
}  # fmt: skip
_NAMES = {sp.sin: "seno", sp.cos: "coseno", sp.tan: "tangente", sp.cot: "cotangente",
          sp.sec: "secante", sp.csc: "cosecante"}  # fmt: skip
_ANGLE = r"(-?\s*\d*\s*pi(?:\s*/\s*\d+)?|-?\s*\d+(?:\.\d+)?)"
_VALUE = re.compile(
    rf"\b({'|'.join(sorted(_FUNCS, key=len, reverse=True))})\s*(?:de\s+)?\(?\s*{_ANGLE}\s*"
    r"(°|grados?|rad(?:ianes)?)?\s*\)?"
)
_TO_RAD = re.compile(rf"{_ANGLE}\s*(?:°|grados?)\s+(?:a|en)\s+radianes")
_TO_DEG = re.compile(
    rf"{_ANGLE}\s*(?:rad(?:ianes)?)?\s+(?:a|en)\s+grados|cuantos\s+grados\s+(?:son|hay\s+en|equivale[n]?)\s+{_ANGLE}"
)
_FLOAT = {
    sp.sin: math.sin, sp.cos: math.cos, sp.tan: math.tan,
    sp.cot: lambda t: 1 / math.tan(t), sp.sec: lambda t: 1 / math.cos(t),
    sp.csc: lambda t: 1 / math.sin(t),
}  # fmt: skip
_NOTABLE = {30: "30°-60°-90°", 60: "30°-60°-90°", 45: "45°-45°-90°"}


@dataclass
class TrigValueTask:
    func: type | None  # None for a conversion
    degrees: sp.Expr  # the angle, in degrees
    typed_in_degrees: bool
    assumed_degrees: bool = False  # a bare number ("sen 30") read as degrees
    kind: str = "trig_value"


def _angle(text: str) -> sp.Expr:
    text = text.replace(" ", "")
    if "pi" in text:
        coefficient, _, denominator = text.partition("pi")
        numerator = (
            sp.Rational(coefficient)
            if coefficient not in ("", "-")
            else (-1 if coefficient == "-" else 1)
        )
        value = sp.pi * numerator / (sp.Rational(denominator.lstrip("/")) if denominator else 1)
        return sp.nsimplify(value * 180 / sp.pi)
    return sp.Rational(text)


def match(text: str) -> TrigValueTask | None:
    if "=" in text:
        return None
    to_rad = _TO_RAD.search(text)
    if to_rad:
        return TrigValueTask(None, _angle(to_rad.group(1)), True)
    to_deg = _TO_DEG.search(text)
    if to_deg and "pi" in (to_deg.group(1) or to_deg.group(2) or ""):
        return TrigValueTask(None, _angle(to_deg.group(1) or to_deg.group(2)), False)
    found = _VALUE.search(text)
    if not found:
        return None
    rest = text[found.end() :].strip(" .,")
    if rest and re.match(r"^[+\-*/^]|^[a-z]\b", rest):
        return None  # part of a longer expression: not a plain value
    angle, unit = found.group(2), found.group(3) or ""
    in_degrees = "pi" not in angle and not unit.startswith("rad")
    degrees = (
        _angle(angle)
        if in_degrees or "pi" in angle
        else sp.nsimplify(sp.Rational(angle.replace(" ", "")) * 180 / sp.pi)
    )
    return TrigValueTask(_FUNCS[found.group(1)], degrees, in_degrees, in_degrees and not unit)


def _deg_tex(value: sp.Expr) -> str:
    return f"{sp.latex(value)}^\\circ"


def _reference(degrees: sp.Expr) -> tuple[sp.Expr, int]:
    turned = degrees % 360
    quadrant = int(turned // 90) + 1 if turned % 90 else 0
    reference = {1: turned, 2: 180 - turned, 3: turned - 180, 4: 360 - turned}.get(quadrant, turned)
    return reference, quadrant


_ARTICLE = {sp.sin: "el", sp.cos: "el"}  # the others (tangente, secante...) are feminine


def solve(task: TrigValueTask) -> list[Draft]:
    radians = sp.nsimplify(task.degrees * sp.pi / 180)
    if task.func is None:
        return _conversion(task, radians)
    func = task.func
    name = f"{_ARTICLE.get(func, 'la')} {_NAMES[func]}"
    shown_angle = _deg_tex(task.degrees) if task.typed_in_degrees else sp.latex(radians)
    call = f"\\{func.__name__} {shown_angle}"
    note = "Como no dice radianes, el ángulo está en grados." if task.assumed_degrees else None
    steps = [
        math_step(
            "El ángulo", f"{_deg_tex(task.degrees)} = {sp.latex(radians)}\\ \\text{{rad}}", note
        )
    ]
    value = sp.simplify(func(radians))
    if value.has(sp.zoo) or not value.is_finite:
        zero = "el coseno" if func in (sp.tan, sp.sec) else "el seno"
        why = f"En {sp.sstr(task.degrees)}° {zero} vale 0 y no se puede dividir entre cero."
        ensure(abs(_FLOAT[sp.cos if zero == "el coseno" else sp.sin](float(radians))) < 1e-12, why)
        steps.append(text_step("Revisamos la definición", why))
        return [*steps, result_step(f"{call}\\ \\text{{no está definida}}")]
    ensure(abs(float(value) - _FLOAT[func](float(radians))) < 1e-9, "matches the float value")
    reference, quadrant = _reference(task.degrees)
    if quadrant in (2, 3, 4) or task.degrees >= 360 or task.degrees < 0:
        where = ["I", "II", "III", "IV"][quadrant - 1] if quadrant else "de un eje"
        sign = "positivo" if value >= 0 else "negativo"
        steps.append(
            text_step(
                "Ángulo de referencia",
                f"El ángulo cae en el cuadrante {where}; su ángulo de referencia es "
                f"{sp.sstr(reference)}°. Ahí {name} es {sign}.",
            )
        )
    exact = not value.atoms(sp.Function)
    if reference in _NOTABLE and exact:
        sides = (
            "catetos 1 y 1, hipotenusa √2" if reference == 45 else "catetos 1 y √3, hipotenusa 2"
        )
        steps.append(
            text_step(
                "Ángulo notable",
                f"{sp.sstr(reference)}° sale del triángulo {_NOTABLE[reference]}: {sides}.",
            )
        )
    if exact:
        approx = "" if value.is_Rational else f" \\approx {rounded(value, 4)}"
        body = f"{call} = {sp.latex(value)}{approx}"
    else:
        body = f"{call} \\approx {rounded(value, 4)}"
        steps.append(
            text_step("No es un ángulo notable", "Usamos la calculadora (en modo grados).")
        )
    of = f"del {_NAMES[func]}" if func in _ARTICLE else f"de la {_NAMES[func]}"
    steps.append(math_step(f"Valor {of}", body))
    return [*steps, result_step(body)]


def _conversion(task: TrigValueTask, radians: sp.Expr) -> list[Draft]:
    ensure(sp.simplify(radians * 180 / sp.pi - task.degrees) == 0, "conversion round trip")
    if task.typed_in_degrees:
        return [
            math_step(
                "Equivalencia",
                "180^\\circ = \\pi\\ \\text{rad}",
                "Media vuelta mide 180° o π radianes.",
            ),
            math_step(
                "Multiplicamos por π/180",
                f"{_deg_tex(task.degrees)} \\cdot \\frac{{\\pi}}{{180^\\circ}} = {sp.latex(radians)}",
            ),
            text_step("Simplificamos", f"Se simplifica la fracción {sp.sstr(task.degrees)}/180."),
            result_step(f"{_deg_tex(task.degrees)} = {sp.latex(radians)}\\ \\text{{rad}}"),
        ]
    return [
        math_step(
            "Equivalencia",
            "\\pi\\ \\text{rad} = 180^\\circ",
            "Media vuelta mide π radianes o 180°.",
        ),
        math_step(
            "Multiplicamos por 180/π",
            f"{sp.latex(radians)} \\cdot \\frac{{180^\\circ}}{{\\pi}} = {_deg_tex(task.degrees)}",
        ),
        text_step("Simplificamos", "Se cancela π."),
        result_step(f"{sp.latex(radians)}\\ \\text{{rad}} = {_deg_tex(task.degrees)}"),
    ]
