"""LaTeX and Spanish wording helpers shared by the math solvers."""

from __future__ import annotations

import re

import sympy as sp

from app.adapters.engines.offline_core.drafts import Draft, text_step
from app.adapters.engines.offline_core.plot import Curve, Plot

_PLACEHOLDER = sp.Symbol("zzsubst")


def tex(expr: sp.Basic) -> str:
    """LaTeX of an expression (SymPy's printer, natural log as ln)."""
    return sp.latex(expr, ln_notation=True)


def plain(expr: sp.Basic) -> str:
    """Plain-text math for notes a student reads (x^2, 2·x), never code syntax."""
    text = sp.sstr(expr).replace("**", "^").replace("*", "·")
    text = re.sub(r"\bpi\b", "π", text).replace("sqrt(", "√(")
    return re.sub(r"(?<![\w.])(\d+)·([a-z])\b", r"\1\2", text)


def typed_tex(expr: sp.Basic) -> str | None:
    """LaTeX of an unevaluated tree in the order typed, or None when it would read oddly."""
    latex = sp.latex(expr, order="none", ln_notation=True)
    return None if re.search(r"(?<![\d.])1 (?:\\frac|\\cdot)", latex) else latex


def eq_tex(lhs: sp.Basic, rhs: sp.Basic) -> str:
    return f"{tex(lhs)} = {tex(rhs)}"


def subst_tex(expr: sp.Expr, var: sp.Symbol, value: sp.Expr) -> str:
    """`expr` with `var` shown replaced by `value`, without evaluating it.

    Parentheses are added only where the value sits in a product or a power: as the
    argument of a function or a numerator/denominator it already has its own.
    """
    mark = tex(_PLACEHOLDER)
    shown = tex(expr.xreplace({var: _PLACEHOLDER}))
    bare = tex(value)
    shown = shown.replace(f"\\left({mark} \\right)", f"\\left({bare} \\right)")
    shown = shown.replace(f"{{{mark}}}", f"{{{bare}}}")
    return shown.replace(mark, f"\\left({bare}\\right)")


def subtract_tex(side: str, term: sp.Expr) -> str:
    """`side - term` written with the right sign."""
    if term.could_extract_minus_sign():
        return f"{side} + {tex(-term)}"
    return f"{side} - {tex(term)}"


def needs_parens(expr: sp.Expr) -> str:
    return (
        f"\\left({tex(expr)}\\right)"
        if expr.is_Add or expr.could_extract_minus_sign()
        else tex(expr)
    )


def solutions_tex(var: sp.Symbol, roots: list[sp.Expr]) -> str:
    if len(roots) == 1:
        return f"{tex(var)} = {tex(roots[0])}"
    return ",\\quad ".join(f"{tex(var)}_{{{i + 1}}} = {tex(r)}" for i, r in enumerate(roots))


def plot_range(
    points: list[sp.Expr], default: tuple[float, float] = (-5.0, 5.0)
) -> tuple[float, float]:
    """An x range that shows the interesting real points with some margin."""
    reals = []
    for p in points:
        value = complex(sp.N(p))
        if abs(value.imag) < 1e-9 and abs(value.real) < 1e6:
            reals.append(value.real)
    if not reals:
        return default
    low, high = min(reals), max(reals)
    margin = max(2.0, 0.4 * (high - low))
    return min(default[0], low - margin) if abs(low) < 5 else low - margin, (
        max(default[1], high + margin) if abs(high) < 5 else high + margin
    )


def plot_step(
    x: sp.Symbol,
    curves: list[Curve],
    note: str,
    low: float = -5.0,
    high: float = 5.0,
    shade: tuple[float, float] | None = None,
    marks: list[tuple[float, float]] | None = None,
) -> list[Draft]:
    """A "Gráfica" step, or nothing when a curve has other symbols than x."""
    if any(c.expr.free_symbols - {x} for c in curves):
        return []
    plot = Plot(x, curves, low, high, marks=marks or [], shade=shade)
    return [text_step("Gráfica", note, plot=plot)]


def same_value(a: sp.Expr, b: sp.Expr) -> bool:
    """Exact comparison, with a numeric fallback for forms simplify cannot close."""
    difference = sp.simplify(a - b)
    if difference == 0:
        return True
    value = complex(sp.N(difference, 30))
    return abs(value) < 1e-12 * max(1.0, abs(complex(sp.N(a))))
