"""Writing results the way a teacher does: exact when short, else rounded with ≈."""

from __future__ import annotations

import sympy as sp


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


def significant(value: sp.Expr, digits: int = 4) -> str:
    """A measured result: at most `digits` significant figures, ×10ⁿ when very big or small."""
    exact = show(value)
    if is_exactly(value, exact) and len(exact.replace("-", "").replace(".", "")) <= 9:
        return exact
    number = float(value)
    if number == 0:
        return "0"
    text = f"{number:.{digits}g}"
    if "e" in text and 1e-3 <= abs(number) < 1e9:
        text = f"{number:.{max(0, digits - 1 - int(f'{abs(number):e}'.split('e')[1]))}f}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"{mantissa} \\times 10^{{{int(exponent)}}}"
    return text


def is_exactly(value: sp.Expr, text: str) -> bool:
    """Whether the written decimal is the exact value (no rounding happened)."""
    try:
        return sp.Rational(text) == sp.nsimplify(value)
    except (TypeError, ValueError):
        return False
