"""Chemical formulas: "H2SO4", "Ca(OH)2", "CuSO4·5H2O" -> atom counts, and LaTeX."""

from __future__ import annotations

import re
from collections import Counter

from .elements import ELEMENTS

MAX_FORMULA_CHARS = 40
_PART = re.compile(r"([A-Z][a-z]?)(\d*)|(\()|(\))(\d*)")
FORMULA = r"(?:\d*(?:[A-Z][a-z]?\d*|\((?:[A-Z][a-z]?\d*)+\)\d*)+(?:[*·.]\d*(?:[A-Z][a-z]?\d*)+)?)"


class NotAFormula(ValueError):
    """The text is not a chemical formula of known elements."""


def _counts(text: str) -> Counter[str]:
    stack: list[Counter[str]] = [Counter()]
    at = 0
    while at < len(text):
        match = _PART.match(text, at)
        if not match:
            raise NotAFormula(text)
        symbol, number, opening, closing, times = match.groups()
        if symbol:
            if symbol not in ELEMENTS:
                raise NotAFormula(f"unknown element {symbol}")
            stack[-1][symbol] += int(number or 1)
        elif opening:
            stack.append(Counter())
        else:
            if len(stack) == 1:
                raise NotAFormula("unbalanced parentheses")
            group = stack.pop()
            for element, count in group.items():
                stack[-1][element] += count * int(times or 1)
        at = match.end()
    if len(stack) != 1 or not stack[0]:
        raise NotAFormula(text)
    return stack[0]


def atom_counts(formula: str) -> Counter[str]:
    """Atoms of each element in one formula unit (a hydrate's water included)."""
    if len(formula) > MAX_FORMULA_CHARS:
        raise NotAFormula("too long")
    total: Counter[str] = Counter()
    for part in re.split(r"[*·.]", formula):
        found = re.match(r"(\d*)(.+)$", part)
        if not found:
            raise NotAFormula(formula)
        factor = int(found.group(1) or 1)
        for element, count in _counts(found.group(2)).items():
            total[element] += factor * count
    return total


def formula_tex(formula: str) -> str:
    """\\mathrm{H_2SO_4}, \\mathrm{Ca(OH)_2}, \\mathrm{CuSO_4 \\cdot 5H_2O}."""
    parts = re.split(r"[*·.]", formula)
    shown = [re.sub(r"(?<=[A-Za-z)])(\d+)", r"_{\1}", p) for p in parts]
    return "\\mathrm{" + " \\cdot ".join(shown) + "}"
