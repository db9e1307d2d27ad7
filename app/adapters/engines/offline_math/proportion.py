"""Direct proportion (regla de tres simple) and a quantity at a unit price: "si 5
cuadernos cuestan 75 pesos, cuánto cuestan 8", "3 kg de manzanas a 25 pesos el kilo"."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from app.adapters.engines.offline_core.decimals import show
from app.adapters.engines.offline_core.drafts import Draft, ensure, math_step, result_step

from .quantities import NUMBER, number

N = NUMBER
_VERB = r"(?:cuestan|cuesta|valen|vale|pesan|pesa|cobran|cobra|pagan|paga|rinden|producen|recorre)"
_RULE_OF_THREE = re.compile(
    rf"^(?:si\s+)?{N}\s+([a-z]+(?:\s+de\s+[a-z]+)?)\s+{_VERB}\s+\$?\s*{N}\s*([a-z]*)\s*,?\s*"
    rf"(?:entonces\s+)?(?:cuanto|cuantos|cuanta|cuantas)\s+(?:\w+\s+)?{_VERB}\s+{N}\b"
)
_AT_PRICE = re.compile(
    rf"{N}\s+(kg|kilos?|litros?|l|metros?|m|piezas?)\s+de\s+[a-z]+\s+a\s+\$?\s*{N}\s*(?:pesos\s+)?"
    r"(?:el|la|cada|por)\s+(?:kilo|kg|litro|l|metro|m|pieza)"
)


@dataclass
class ProportionTask:
    known: sp.Rational  # how many items the known price is for (1 for a unit price)
    price: sp.Rational
    wanted: sp.Rational
    item: str
    unit: str
    kind: str = "proportion"


def match(text: str) -> ProportionTask | None:
    found = _RULE_OF_THREE.search(text)
    if found:
        return ProportionTask(
            number(found.group(1)), number(found.group(3)), number(found.group(5)),
            found.group(2), found.group(4) or "",
        )  # fmt: skip
    found = _AT_PRICE.search(text)
    if found:
        return ProportionTask(sp.Integer(1), number(found.group(3)), number(found.group(1)),
                              found.group(2), "pesos")  # fmt: skip
    return None


def solve(task: ProportionTask) -> list[Draft]:
    if task.known == 0:
        raise ValueError("nothing to compare with")
    unit_value = task.price / task.known
    value = unit_value * task.wanted
    ensure(value * task.known == task.price * task.wanted, "the ratios are equal")
    unit = f"\\ \\text{{{task.unit}}}" if task.unit else ""
    steps = [
        math_step(
            "Planteamos la proporción",
            f"\\frac{{{show(task.known)}}}{{{show(task.price)}}} = \\frac{{{show(task.wanted)}}}{{x}}",
            "Si se compra el doble, se paga el doble: las cantidades son directamente proporcionales.",
        ),
        math_step(
            "Regla de tres: multiplicamos en cruz",
            f"x = \\frac{{{show(task.wanted)} \\times {show(task.price)}}}{{{show(task.known)}}}",
        ),
        math_step(
            "Comprobamos con el precio de uno",
            f"\\frac{{{show(task.price)}}}{{{show(task.known)}}} = {show(unit_value)}"
            f",\\quad {show(unit_value)} \\times {show(task.wanted)} = {show(value)}",
        ),
    ]
    return [*steps, result_step(f"x = {show(value)}{unit}")]
