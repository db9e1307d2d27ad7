"""Small helpers shared by the solvers: LaTeX snippets and Spanish wording."""

from __future__ import annotations

import sympy as sp

from .layout import Draft, Plot

_PLACEHOLDER = sp.Symbol("zzsubst")
MAX_RESULT_LATEX = 450


class Unsupported(ValueError):
    """The request is math, but not something these solvers explain well."""


def tex(expr: sp.Basic) -> str:
    """LaTeX of an expression (SymPy's printer, natural log as ln)."""
    return sp.latex(expr, ln_notation=True)


def plain(expr: sp.Basic) -> str:
    """Plain-text math for notes a student reads (x^2, 2·x), never code syntax."""
    return sp.sstr(expr).replace("**", "^").replace("*", "·")


def eq_tex(lhs: sp.Basic, rhs: sp.Basic) -> str:
    return f"{tex(lhs)} = {tex(rhs)}"


def subst_tex(expr: sp.Expr, var: sp.Symbol, value: sp.Expr) -> str:
    """`expr` with `var` shown replaced by `(value)`, without evaluating it."""
    shown = tex(expr.xreplace({var: _PLACEHOLDER}))
    return shown.replace(tex(_PLACEHOLDER), f"\\left({tex(value)}\\right)")


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


def check_size(latex: str) -> str:
    if len(latex) > MAX_RESULT_LATEX:
        raise Unsupported("result too long to explain on the board")
    return latex


def math_step(title: str, latex: str, note: str | None = None) -> Draft:
    """A `math` step: LaTeX content, written on the board with an optional note."""
    lines = [("math", latex)]
    if note:
        lines.append(("text", note))
    return Draft(title=title, type="math", content=latex, lines=lines)


def text_step(title: str, text: str, plot: Plot | None = None) -> Draft:
    return Draft(title=title, type="text", content=text, lines=[("text", text)], plot=plot)


def result_step(latex: str, note: str | None = None) -> Draft:
    """The closing step: states the result, framed on the board."""
    lines = [("math", check_size(latex))]
    if note:
        lines.append(("text", note))
    return Draft(title="Resultado", type="math", content=latex, lines=lines, final=True)


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


def is_real_number(value: sp.Expr) -> bool:
    return bool(value.is_real) and value.is_finite is not False
