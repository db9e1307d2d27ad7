"""Numbers inside Spanish sentences: reading them ("2,5", "1 500", "tres") and writing
results the way a teacher does (exact when short, else rounded with ≈)."""

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


def show(value: sp.Expr, places: int = 4) -> str:
    """LaTeX for a result: integers and short decimals exactly, others rounded (≈)."""
    value = sp.nsimplify(value) if value.is_Rational else value
    if value.is_Integer:
        return str(value)
    if value.is_Rational:
        for digits in range(1, places + 1):
            if (value * 10**digits).q == 1:
                return f"{float(value):.{digits}f}"
    return f"{rounded(value, places)}"


def rounded(value: sp.Expr, places: int = 4) -> str:
    """A decimal with at most `places` decimals, trailing zeros dropped."""
    text = f"{float(value):.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def approx_tex(value: sp.Expr, places: int = 4) -> str:
    """ "= v" when exact, "\\approx v" when rounded."""
    shown = show(value, places)
    exact = value.is_Rational and sp.Rational(shown) == value
    return f"= {shown}" if exact else f"\\approx {shown}"
