"""Linear equations in one unknown, with the inverse operations a teacher writes:
clear parentheses, clear denominators, gather the unknown, isolate it."""

from __future__ import annotations

import sympy as sp

from app.adapters.engines.offline_core.drafts import Draft, math_step, result_step, text_step

from .common import eq_tex, plain, subtract_tex, tex, typed_tex
from .equation_parts import graph_step, verify_step


def _denominators_lcm(exprs: list[sp.Expr], x: sp.Symbol) -> int:
    """The lcm of the denominators of the (numeric) coefficients, 1 when not all numeric."""
    coefficients = [coeff for e in exprs for coeff in sp.Poly(e, x).all_coeffs()]
    if not all(coeff.is_Rational for coeff in coefficients):
        return 1
    return int(sp.ilcm(*(coeff.q for coeff in coefficients), 1))


def _times_terms(factor: int, side: sp.Expr) -> str:
    """factor · side distributed term by term, each product written out."""
    terms = [sp.expand(factor * term) for term in sp.Add.make_args(side)]
    return sp.latex(sp.Add(*terms, evaluate=False), order="none")


def solve_linear(
    lhs: sp.Expr,
    rhs: sp.Expr,
    x: sp.Symbol,
    typed: tuple[sp.Expr, sp.Expr] | None = None,
) -> list[Draft]:
    steps: list[Draft] = []
    shown_left, shown_right = typed or (lhs, rhs)
    shown = f"{typed_tex(shown_left)} = {typed_tex(shown_right)}"
    left, right = sp.expand(lhs), sp.expand(rhs)
    lcm = _denominators_lcm([left, right], x)
    if lcm > 1:
        distributed = f"{_times_terms(lcm, shown_left)} = {_times_terms(lcm, shown_right)}"
        steps.append(
            math_step(
                f"Multiplicamos ambos lados por {lcm}",
                f"{lcm}\\left({typed_tex(shown_left)}\\right) = {lcm}\\left({typed_tex(shown_right)}\\right)"
                f"\\quad\\Rightarrow\\quad {distributed}",
                f"{lcm} es el mínimo común múltiplo de los denominadores: así desaparecen "
                "las fracciones.",
            )
        )
        shown = distributed
        left, right = sp.expand(lcm * left), sp.expand(lcm * right)
    if (
        (typed is not None or lcm > 1)
        and eq_tex(left, right) != shown
        or (typed is None and lcm == 1 and (left != lhs or right != rhs))
    ):
        steps.append(math_step("Quitamos paréntesis y reducimos términos", eq_tex(left, right)))
    a1, a2 = left.coeff(x, 1), right.coeff(x, 1)
    b1, b2 = sp.expand(left - a1 * x), sp.expand(right - a2 * x)
    if a2 != 0:
        term = a2 * x
        verb = "Sumamos" if term.could_extract_minus_sign() else "Restamos"
        shown = term if not term.could_extract_minus_sign() else -term
        new_left, right = sp.expand(left - term), b2
        steps.append(
            math_step(
                f"{verb} {plain(shown)} en ambos lados",
                f"{subtract_tex(tex(left), term)} = {subtract_tex(tex(a2 * x + b2), term)}"
                f"\\quad\\Rightarrow\\quad {eq_tex(new_left, right)}",
                "Lo que está sumando en un lado pasa restando al otro, y viceversa.",
            )
        )
        left = new_left
    a = sp.expand(left.coeff(x, 1))
    if a == 0:
        holds = sp.simplify(b1 - right) == 0
        text = (
            "La igualdad se cumple para cualquier valor: hay infinitas soluciones."
            if holds
            else "Queda una igualdad falsa: la ecuación no tiene solución."
        )
        return [*steps, text_step("Analizamos", text), result_step(eq_tex(b1, right), text)]
    if b1 != 0:
        verb = "Sumamos" if b1.could_extract_minus_sign() else "Restamos"
        new_right = sp.expand(right - b1)
        steps.append(
            math_step(
                f"{verb} {plain(-b1 if b1.could_extract_minus_sign() else b1)} en ambos lados",
                f"{subtract_tex(tex(left), b1)} = {subtract_tex(tex(right), b1)}"
                f"\\quad\\Rightarrow\\quad {eq_tex(a * x, new_right)}",
                "Así dejamos solo el término con la incógnita en el lado izquierdo.",
            )
        )
        right = new_right
    value = sp.simplify(right / a)
    if a != 1 or b1 == 0:
        steps.append(_isolate(a, x, right, value))
    steps.append(verify_step(lhs, rhs, x, value))
    steps.extend(graph_step(sp.expand(lhs - rhs), x, [value]))
    steps.append(result_step(f"{tex(x)} = {tex(value)}"))
    return steps


def _isolate(a: sp.Expr, x: sp.Symbol, right: sp.Expr, value: sp.Expr) -> Draft:
    """The last move: undo the coefficient of the unknown."""
    if a == 1:
        return math_step("Despejamos la incógnita", f"{tex(x)} = {tex(value)}")
    if a == -1:
        return math_step(
            "Multiplicamos ambos lados por -1",
            f"-{tex(x)} = {tex(right)}\\quad\\Rightarrow\\quad {tex(x)} = {tex(value)}",
            "Así cambiamos el signo de los dos lados.",
        )
    note = f"{plain(a)} está multiplicando, así que pasa dividiendo."
    if not a.is_number:
        note += f" Suponemos {plain(a)} ≠ 0."
    return math_step(
        f"Dividimos ambos lados entre {plain(a)}",
        f"\\frac{{{tex(a * x)}}}{{{tex(a)}}} = \\frac{{{tex(right)}}}{{{tex(a)}}}"
        f"\\quad\\Rightarrow\\quad {tex(x)} = {tex(value)}",
        note,
    )
