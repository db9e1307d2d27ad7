"""Quantities with units as students write them ("72 km/h", "500 g", "2 min", "10 N"),
converted exactly to SI. A dimension is the exponents of (m, kg, s, A)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

Dim = tuple[int, int, int, int]
LENGTH: Dim = (1, 0, 0, 0)
TIME: Dim = (0, 0, 1, 0)
SPEED: Dim = (1, 0, -1, 0)
ACCELERATION: Dim = (1, 0, -2, 0)
MASS: Dim = (0, 1, 0, 0)
FORCE: Dim = (1, 1, -2, 0)
ENERGY: Dim = (2, 1, -2, 0)
POWER: Dim = (2, 1, -3, 0)
VOLTAGE: Dim = (2, 1, -3, -1)
CURRENT: Dim = (0, 0, 0, 1)
RESISTANCE: Dim = (2, 1, -3, -2)
MOMENTUM: Dim = (1, 1, -1, 0)
ANGLE: Dim = (0, 0, 0, 0)

# (pattern, LaTeX as typed, factor to SI, dimension); longest spellings first.
_UNITS: tuple[tuple[str, str, sp.Rational, Dim], ...] = (
    (r"m/s\^?2|m/s\s*al\s+cuadrado|metros?\s+(?:por|sobre)\s+segundos?\s+al\s+cuadrado|m/seg\^?2", "m/s^2", sp.Integer(1), ACCELERATION),
    (r"km/h(?:r|ora)?|kph|kilometros?\s+(?:por|sobre|a\s+la)\s+hora", "km/h", sp.Rational(5, 18), SPEED),
    (r"m/s(?:eg)?|metros?\s+(?:por|sobre)\s+segundos?", "m/s", sp.Integer(1), SPEED),
    (r"km|kilometros?", "km", sp.Integer(1000), LENGTH),
    (r"cm|centimetros?", "cm", sp.Rational(1, 100), LENGTH),
    (r"mm|milimetros?", "mm", sp.Rational(1, 1000), LENGTH),
    (r"m|mts?|metros?", "m", sp.Integer(1), LENGTH),
    (r"min|minutos?", "min", sp.Integer(60), TIME),
    (r"h|hr|hrs|horas?", "h", sp.Integer(3600), TIME),
    (r"s|seg|segs|segundos?", "s", sp.Integer(1), TIME),
    (r"kg|kilogramos?|kilos?", "kg", sp.Integer(1), MASS),
    (r"g|gr|gramos?", "g", sp.Rational(1, 1000), MASS),
    (r"ton|toneladas?", "t", sp.Integer(1000), MASS),
    (r"kN|kilonewtons?", "kN", sp.Integer(1000), FORCE),
    (r"N|n|newtons?", "N", sp.Integer(1), FORCE),
    (r"kJ|kj|kilojoules?|kilojulios?", "kJ", sp.Integer(1000), ENERGY),
    (r"J|j|joules?|julios?", "J", sp.Integer(1), ENERGY),
    (r"kW|kw|kilowatts?|kilovatios?", "kW", sp.Integer(1000), POWER),
    (r"hp|caballos?\s+de\s+fuerza", "hp", sp.Rational(7457, 10), POWER),
    (r"W|w|watts?|vatios?", "W", sp.Integer(1), POWER),
    (r"mA|miliamperes?|miliamperios?", "mA", sp.Rational(1, 1000), CURRENT),
    (r"A|amperes?|amperios?|amps?", "A", sp.Integer(1), CURRENT),
    (r"k(?:ohms?|ohmios?|Ω)", "k\\Omega", sp.Integer(1000), RESISTANCE),
    (r"ohms?|ohmios?|Ω|ω", "\\Omega", sp.Integer(1), RESISTANCE),
    (r"V|v|volts?|voltios?", "V", sp.Integer(1), VOLTAGE),
    (r"°|grados?", "^\\circ", sp.pi / 180, ANGLE),
)  # fmt: skip
_CASE_SENSITIVE = {"N", "J", "W", "V", "A", "kN", "kJ", "kW", "mA"}
_NUMBER = r"(-?\d+(?:[.,]\d+)?(?:\s*[x*]\s*10\s*\^\s*-?\d+)?)"
_TOKEN = re.compile(_NUMBER + r"\s*(" + "|".join(f"(?:{p})" for p, *_ in _UNITS) + r")(?![\w/^])")

SI_UNIT_TEX = {
    LENGTH: "m", TIME: "s", SPEED: "m/s", ACCELERATION: "m/s^2", MASS: "kg", FORCE: "N",
    ENERGY: "J", POWER: "W", VOLTAGE: "V", CURRENT: "A", RESISTANCE: "\\Omega",
    MOMENTUM: "kg \\cdot m/s", ANGLE: "^\\circ",
}  # fmt: skip


@dataclass(frozen=True)
class Quantity:
    value: sp.Rational  # as typed
    unit: str  # LaTeX of the typed unit
    factor: sp.Rational  # typed unit -> SI
    dim: Dim
    start: int  # where it is in the text
    end: int

    @property
    def si(self) -> sp.Rational:
        return self.value * self.factor


def _number(text: str) -> sp.Rational:
    text = text.replace(",", ".").replace(" ", "")
    if re.search(r"[x*]10\^", text):
        mantissa, exponent = re.split(r"[x*]10\^", text)
        return sp.Rational(mantissa) * sp.Integer(10) ** int(exponent)
    return sp.Rational(text)


def _unit_of(spelled: str) -> tuple[str, sp.Rational, Dim] | None:
    for pattern, latex, factor, dim in _UNITS:
        if re.fullmatch(pattern, spelled, flags=0 if latex in _CASE_SENSITIVE else re.IGNORECASE):
            return latex, factor, dim
    return None


_RANGE = re.compile(
    r"\bde\s+(-?\d+(?:[.,]\d+)?)\s+a\s+(-?\d+(?:[.,]\d+)?\s*("
    + "|".join(f"(?:{p})" for p, *_ in _UNITS)
    + r")(?![\w/^]))"
)


def spread_ranges(text: str) -> str:
    """ "de 0 a 100 km/h" -> "de 0 km/h a 100 km/h": the unit belongs to both numbers."""
    return _RANGE.sub(lambda m: f"de {m.group(1)} {m.group(3)} a {m.group(2)}", text)


def find_quantities(text: str) -> list[Quantity]:
    """Every number followed by a unit, in order (text keeps its capitals)."""
    found = []
    for match in _TOKEN.finditer(text):
        unit = _unit_of(match.group(2))
        if unit is None:
            continue
        latex, factor, dim = unit
        found.append(
            Quantity(_number(match.group(1)), latex, factor, dim, match.start(), match.end())
        )
    return found


def unit_tex(unit: str) -> str:
    """A unit inside math: `\\,\\mathrm{m/s^2}`; degrees are a superscript."""
    if unit == "^\\circ":
        return "^\\circ"
    return f"\\ \\mathrm{{{unit}}}" if unit else ""
