"""Lengths and angles inside a sentence: "radio de 5 cm", "10 m de diámetro",
"catetos de 3 y 4", "un rectángulo de 8 por 5"."""

from __future__ import annotations

import re

import sympy as sp

from .quantities import NUMBER, number

N = NUMBER
UNIT_NAMES = {
    "mm": "mm", "milimetros": "mm", "cm": "cm", "centimetros": "cm", "m": "m", "metros": "m",
    "mts": "m", "km": "km", "kilometros": "km", "pulgadas": "in", "pies": "ft",
}  # fmt: skip
UNIT = r"(?:(mm|milimetros|cm|centimetros|mts|metros|m|km|kilometros|pulgadas|pies)\b)"
_LINK = (
    r"\s*(?:de\s+longitud\s+|mide\s+|mida\s+|miden\s+|que\s+mide\s+|que\s+miden\s+|es\s+de\s+|"
    r"es\s+igual\s+a\s+|igual\s+a\s+|es\s+|son\s+|de\s+|=\s*|:\s*)?"
)
Length = tuple[sp.Rational, str | None]


def _unit(text: str | None) -> str | None:
    return UNIT_NAMES.get(text) if text else None


def find_length(text: str, words: str) -> Length | None:
    """The length named by one of `words` ("radio|radios"), with its unit if written."""
    after = re.search(rf"\b(?:{words})\b{_LINK}{N}\s*{UNIT}?", text)
    if after:
        return number(after.group(1)), _unit(after.group(2))
    before = re.search(rf"{N}\s*{UNIT}?\s+(?:de\s+)?(?:{words})\b", text)
    if before:
        return number(before.group(1)), _unit(before.group(2))
    return None


def find_lengths(text: str, words: str, count: int) -> list[Length] | None:
    """`count` lengths listed after one word: "catetos de 3 y 4 cm", "lados 3, 4 y 5"."""
    item = rf"{N}\s*{UNIT}?"
    rest = rf"(?:\s*(?:,|y)\s*{item})" * (count - 1)
    found = re.search(rf"\b(?:{words})\b{_LINK}{item}{rest}", text)
    if not found:
        return None
    groups = found.groups()
    units = [g for g in groups[1::2] if g]
    unit = _unit(units[-1]) if units else None
    return [(number(groups[2 * i]), _unit(groups[2 * i + 1]) or unit) for i in range(count)]


def find_by(text: str) -> list[Length] | None:
    """ "de 8 por 5 cm", "8 x 5": two lengths given as a product."""
    found = re.search(rf"{N}\s*{UNIT}?\s*(?:por|x|\*)\s*{N}\s*{UNIT}?", text)
    if not found:
        return None
    unit = _unit(found.group(4)) or _unit(found.group(2))
    return [(number(found.group(1)), unit), (number(found.group(3)), unit)]


def common_unit(lengths: list[Length]) -> str | None:
    """The one unit all lengths share (None when none is written); mixed units refuse."""
    units = {u for _, u in lengths if u}
    if len(units) > 1:
        raise ValueError("lengths in different units")
    return units.pop() if units else None


def unit_tex(unit: str | None, power: int = 1) -> str:
    if not unit:
        return "" if power == 1 else f"\\ \\text{{u}}^{power}"
    return f"\\ \\mathrm{{{unit}}}" + (f"^{power}" if power > 1 else "")
