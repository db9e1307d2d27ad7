"""Which laws answer the question: one law whose other quantities are all known, or a
law whose one missing quantity another law gives first."""

from __future__ import annotations

import sympy as sp

from .laws import LAWS, Law
from .reading import KINEMATIC, Reading

OTHER_SITUATIONS = frozenset({"dynamics", "work", "energy", "power", "electric", "momentum"})


def _allowed(reading: Reading) -> frozenset[str]:
    if reading.situation in KINEMATIC:
        return OTHER_SITUATIONS | {reading.situation}
    return OTHER_SITUATIONS | {"mru"}


def _one(target: sp.Symbol, known: set[sp.Symbol], allowed: frozenset[str]) -> Law | None:
    for law in LAWS:
        if law.situations & allowed and target in law.symbols and law.symbols - known <= {target}:
            return law
    return None


def plan(reading: Reading) -> list[tuple[Law, sp.Symbol]] | None:
    allowed = _allowed(reading)
    known = set(reading.knowns) | set(reading.implied)
    target = reading.unknown
    direct = _one(target, known, allowed)
    if direct is not None:
        return [(direct, target)]
    for law in LAWS:
        if not (law.situations & allowed and target in law.symbols):
            continue
        missing = law.symbols - known - {target}
        if len(missing) == 1:
            (between,) = missing
            first = _one(between, known, allowed)
            if first is not None and first is not law:
                return [(first, between), (law, target)]
    return None
