"""Numbers inside Spanish sentences: "2,5", "1 500", "tres"."""

from __future__ import annotations

import re

import sympy as sp

NUMBER = r"(\d+(?:[.,]\d+)?)"
_NUMBER_WORDS = {
    "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
    "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12, "quince": 15,
    "veinte": 20, "treinta": 30, "cuarenta": 40, "cincuenta": 50, "cien": 100,
}  # fmt: skip
_WORDS = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b")


def spell_out_numbers(text: str) -> str:
    """Digits for the few number words students write in word problems ("tres numeros")."""
    text = re.sub(r"(?<=\d) (?=\d{3}\b)", "", text)  # 1 500 -> 1500
    return _WORDS.sub(lambda m: str(_NUMBER_WORDS[m.group(1)]), text)


def number(text: str) -> sp.Rational:
    """An exact number from "2,5", "2.5" or "12"."""
    return sp.Rational(text.replace(",", "."))
