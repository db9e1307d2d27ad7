"""Percentages: a percent of a quantity, what percent one quantity is of another, the
whole from a part, discounts and increases (VAT, surcharges), step by step and checked
the other way round."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from app.adapters.engines.offline_core.decimals import show
from app.adapters.engines.offline_core.drafts import Draft, ensure, math_step, result_step

from .quantities import NUMBER, number

N = NUMBER
_PERCENT_WORDS = re.compile(r"\s*(?:por\s*ciento|porciento)\b")
_OF = re.compile(
    rf"(?:el\s+)?{N}\s*%\s*(?:de|del|sobre)\s+(?:un[ao]?s?\s+|los\s+|las\s+)?\$?\s*{N}"
)
_WHOLE = (
    re.compile(
        rf"{N}\s+(?:es|son|representa|equivale\s+a)\s+(?:el\s+)?{N}\s*%\s+de\s+(?:que|cual)"
    ),
    re.compile(
        rf"(?:el\s+)?{N}\s*%\s+de\s+(?:que|cual)\s+(?:numero|cantidad)?\s*(?:es|son|da)\s+{N}"
    ),
)
_WHAT_PERCENT = (
    (
        re.compile(
            rf"que\s+(?:porcentaje|%|tanto\s+por\s+ciento)\s+(?:es|son|representa)\s+{N}\s+(?:de|del)\s+{N}"
        ),
        False,
    ),
    (
        re.compile(rf"{N}\s+(?:es|son|representa)\s+que\s+(?:porcentaje|%)\s+(?:de|del)\s+{N}"),
        False,
    ),
    (re.compile(rf"que\s+(?:porcentaje|%)\s+de\s+{N}\s+(?:es|son|representa)\s+{N}"), True),
)
_PRICE = re.compile(rf"(?<![\d.,%])\$?\s*{N}(?!\s*%|[\d.,])")
_PCT = re.compile(rf"{N}\s*%")
_DISCOUNT = re.compile(r"\b(?:descuento|rebaja|descuenta|rebajad[oa]|oferta)\b")
_INCREASE = re.compile(r"\b(?:aumento|aumenta|aumentar|incremento|incrementa|iva|recargo|sube)\b")
_ASKS_AMOUNT = re.compile(
    r"cuanto\s+(?:se\s+)?(?:descuenta|ahorra|ahorro|rebaja|aumenta|sube)|"
    r"(?:de\s+)?cuanto\s+es\s+el\s+(?:descuento|aumento|iva|recargo)|"
    r"cual\s+es\s+el\s+(?:descuento|aumento|monto\s+del)"
)


@dataclass
class PercentTask:
    mode: str  # of | whole | what | discount | increase
    a: sp.Rational
    b: sp.Rational
    asks_amount: bool = False
    kind: str = "percent"


def match(text: str) -> PercentTask | None:
    """A percent question with exactly its two numbers (any other number: not understood)."""
    text = _PERCENT_WORDS.sub("%", text)
    if len(re.findall(r"\d+(?:[.,]\d+)?", text)) != 2:
        return None
    if "%" not in text and "porcentaje" not in text:
        return None
    for pattern in _WHOLE:
        found = pattern.search(text)
        if found:
            part, pct = found.groups() if pattern is _WHOLE[0] else found.groups()[::-1]
            return PercentTask("whole", number(pct), number(part))
    for pattern, reverse in _WHAT_PERCENT:
        found = pattern.search(text)
        if found:
            part, whole = found.groups()[::-1] if reverse else found.groups()
            if number(whole) == 0:
                return None
            return PercentTask("what", number(part), number(whole))
    pcts = _PCT.findall(text)
    if len(pcts) == 1 and (_DISCOUNT.search(text) or _INCREASE.search(text)):
        prices = _PRICE.findall(_PCT.sub(" ", text))
        if len(prices) == 1:
            mode = "discount" if _DISCOUNT.search(text) else "increase"
            asks = bool(_ASKS_AMOUNT.search(text))
            return PercentTask(mode, number(pcts[0]), number(prices[0]), asks)
    found = _OF.search(text)
    if found:
        return PercentTask("of", number(found.group(1)), number(found.group(2)))
    return None


def _fraction(p: sp.Rational) -> str:
    return f"{show(p)}\\% = \\frac{{{show(p)}}}{{100}} = {show(p / 100)}"


def solve(task: PercentTask) -> list[Draft]:
    return {"of": _of, "whole": _whole, "what": _what}.get(task.mode, _change)(task)


def _of(task: PercentTask) -> list[Draft]:
    p, base = task.a, task.b
    value = p / 100 * base
    ensure(value / base * 100 == p if base else value == 0, "part / whole gives the percent")
    head = f"{show(p)}\\% \\text{{ de }} {show(base)}"
    return [
        math_step("Planteamiento", head, "«De» en porcentajes significa multiplicar."),
        math_step("Escribimos el porcentaje como decimal", _fraction(p), "Por ciento = entre 100."),
        math_step("Multiplicamos", f"{show(p / 100)} \\times {show(base)} = {show(value)}"),
        math_step(
            "Comprobamos",
            f"\\frac{{{show(value)}}}{{{show(base)}}} \\times 100 = {show(p)}\\%",
            "Al dividir la parte entre el total recuperamos el porcentaje.",
        ),
        result_step(f"{head} = {show(value)}"),
    ]


def _whole(task: PercentTask) -> list[Draft]:
    p, part = task.a, task.b
    if p == 0:
        raise ValueError("0% of anything is 0")
    whole = part / (p / 100)
    ensure(p / 100 * whole == part, "the percent of the whole gives the part")
    return [
        math_step(
            "Planteamiento",
            f"{show(p)}\\% \\text{{ de }} N = {show(part)}",
            "Llamamos N al total que buscamos.",
        ),
        math_step("Escribimos el porcentaje como decimal", f"{show(p / 100)}\\,N = {show(part)}"),
        math_step(
            "Despejamos N",
            f"N = \\frac{{{show(part)}}}{{{show(p / 100)}}} = {show(whole)}",
            "Lo que multiplica a N pasa dividiendo.",
        ),
        math_step("Comprobamos", f"{show(p / 100)} \\times {show(whole)} = {show(part)}"),
        result_step(f"N = {show(whole)}"),
    ]


def _what(task: PercentTask) -> list[Draft]:
    part, whole = task.a, task.b
    pct = part / whole * 100
    ensure(pct / 100 * whole == part, "the percent of the whole gives the part")
    return [
        math_step(
            "Planteamiento",
            f"\\frac{{\\text{{parte}}}}{{\\text{{total}}}} \\times 100 = "
            f"\\frac{{{show(part)}}}{{{show(whole)}}} \\times 100",
            "El porcentaje dice cuántas partes de cada 100 representa la cantidad.",
        ),
        math_step("Dividimos", f"\\frac{{{show(part)}}}{{{show(whole)}}} = {show(part / whole)}"),
        math_step("Multiplicamos por 100", f"{show(part / whole)} \\times 100 = {show(pct)}\\%"),
        math_step("Comprobamos", f"{show(pct)}\\% \\text{{ de }} {show(whole)} = {show(part)}"),
        result_step(f"\\text{{Porcentaje}} = {show(pct)}\\%"),
    ]


def _change(task: PercentTask) -> list[Draft]:
    p, price = task.a, task.b
    down = task.mode == "discount"
    amount = p / 100 * price
    final = price - amount if down else price + amount
    factor = 1 - p / 100 if down else 1 + p / 100
    ensure(factor * price == final, "one-step factor gives the same final amount")
    name = "descuento" if down else "aumento"
    sign = "-" if down else "+"
    steps = [
        math_step(
            "Datos",
            f"\\text{{Precio}} = {show(price)},\\quad \\text{{{name}}} = {show(p)}\\%",
        ),
        math_step(
            f"Calculamos el {name}",
            f"{show(p)}\\% \\text{{ de }} {show(price)} = {show(p / 100)} \\times {show(price)} = "
            f"{show(amount)}",
        ),
        math_step(
            "Precio final",
            f"{show(price)} {sign} {show(amount)} = {show(final)}",
            "Al precio original le quitamos el descuento." if down else "Le sumamos el aumento.",
        ),
        math_step(
            "Comprobamos en un solo paso",
            f"{show(factor)} \\times {show(price)} = {show(final)}",
            f"Pagar con {show(p)}% de {name} es pagar el {show(factor * 100)}% del precio.",
        ),
    ]
    if task.asks_amount:
        return [*steps, result_step(f"\\text{{{name.capitalize()}}} = {show(amount)}")]
    return [*steps, result_step(f"\\text{{Precio final}} = {show(final)}")]
