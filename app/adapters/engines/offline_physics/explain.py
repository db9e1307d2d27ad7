"""A physics answer step by step: data (with what is implied), conversions to SI, the
law, the unknown isolated, the substitution with units, the units of the result and the
value. Each value is checked by putting it back into its law, and each formula by
dimensional analysis before anything is sent."""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from app.adapters.engines.offline_core.decimals import is_exactly, show, significant
from app.adapters.engines.offline_core.drafts import (
    Draft,
    Unsupported,
    ensure,
    math_step,
    result_step,
)

from . import units as u
from .laws import DIMENSIONS, NAMES, POSITIVE, Law, a, tex, theta
from .reading import Reading

NO_DIMENSION: u.Dim = (0, 0, 0, 0)


@dataclass
class PhysicsTask:
    reading: Reading
    plan: list[tuple[Law, sp.Symbol]]
    kind: str = "physics"


def dimension(expr: sp.Expr) -> u.Dim:
    """Dimensional analysis of a formula: every term of a sum must agree."""
    if expr.is_Symbol:
        return DIMENSIONS[expr]
    if expr.is_number:
        return NO_DIMENSION
    if expr.is_Add:
        dims = {dimension(arg) for arg in expr.args}
        ensure(len(dims) == 1, "every term of a sum has the same units")
        return dims.pop()
    if expr.is_Mul:
        parts = [dimension(arg) for arg in expr.args]
        return tuple(sum(column) for column in zip(*parts, strict=True))  # type: ignore[return-value]
    if expr.is_Pow:
        ensure(expr.exp.is_Rational, "numeric exponent")
        scaled = [expr.exp * e for e in dimension(expr.base)]
        ensure(all(sp.Rational(e).q == 1 for e in scaled), "whole powers of units")
        return tuple(int(e) for e in scaled)  # type: ignore[return-value]
    if isinstance(expr, sp.cos):
        ensure(dimension(expr.args[0]) == NO_DIMENSION, "an angle has no units")
        return NO_DIMENSION
    raise Unsupported(f"no dimension for {expr}")


def _si_tex(symbol: sp.Symbol) -> str:
    return u.SI_UNIT_TEX[DIMENSIONS[symbol]]


def _unit_line(solution: sp.Expr) -> str:
    """One term of the solved formula with units in place of quantities (numbers dropped)."""
    term = sp.expand(solution).as_ordered_terms()[0].replace(sp.cos, lambda _: sp.Integer(1))
    term = sp.Mul(*(f for f in sp.Mul.make_args(term) if not f.is_number))
    names = {s: f"\\mathrm{{{_si_tex(s)}}}" for s in term.free_symbols}
    return sp.latex(term, symbol_names=names, mul_symbol="dot")


def _pick(
    solutions: list[sp.Expr], values: dict[sp.Symbol, sp.Expr], target: sp.Symbol
) -> tuple[sp.Expr, sp.Expr]:
    options = []
    for solution in solutions:
        value = sp.nsimplify(sp.simplify(solution.subs(values)))
        if value.is_real and value.is_finite:
            options.append((solution, value))
    if target in POSITIVE or len(options) > 1:
        options = [o for o in options if bool(o[1] >= 0)]
    if not options:
        raise Unsupported("no physical solution")
    return min(options, key=lambda o: abs(float(o[1])))


def _value_tex(value: sp.Expr, symbol: sp.Symbol) -> str:
    if symbol == theta:
        return f"{show(value * 180 / sp.pi)}^\\circ"
    return f"{show(value)}{u.unit_tex(_si_tex(symbol))}"


def _data(reading: Reading, used: set[sp.Symbol]) -> Draft:
    parts = [
        f"{tex(s)} = {show(q.value)}{u.unit_tex(q.unit)}"
        for s, q in reading.knowns.items()
        if q is not None
    ]
    notes = []
    for symbol, (value, why) in reading.implied.items():
        if symbol in used:
            parts.append(f"{tex(symbol)} = {show(value)}{u.unit_tex(_si_tex(symbol))}")
            notes.append(f"{NAMES[symbol]} = {show(value)} ({why})")
    parts.append(f"{tex(reading.unknown)} = \\;?")
    note = (
        f"Buscamos la {NAMES[reading.unknown]}."
        if NAMES[reading.unknown].endswith("a")
        else (f"Buscamos el {NAMES[reading.unknown]}.")
    )
    if notes:
        note += " Además: " + "; ".join(notes) + "."
    return math_step("Datos", ",\\quad ".join(parts), note)


def _conversion(symbol: sp.Symbol, q: u.Quantity) -> str:
    si = _si_tex(symbol)
    if q.unit == "km/h":
        factors = (
            "\\cdot \\frac{1000\\ \\mathrm{m}}{1\\ \\mathrm{km}}"
            " \\cdot \\frac{1\\ \\mathrm{h}}{3600\\ \\mathrm{s}}"
        )
    elif q.factor < 1:
        factors = (
            f"\\cdot \\frac{{1\\ \\mathrm{{{si}}}}}{{{show(1 / q.factor)}\\ \\mathrm{{{q.unit}}}}}"
        )
    else:
        factors = (
            f"\\cdot \\frac{{{show(q.factor)}\\ \\mathrm{{{si}}}}}{{1\\ \\mathrm{{{q.unit}}}}}"
        )
    return f"{show(q.value)}\\ \\mathrm{{{q.unit}}} {factors} = {show(q.si)}{u.unit_tex(si)}"


def _stated(symbol: sp.Symbol, value: sp.Expr) -> str:
    shown = significant(value)
    relation = "=" if is_exactly(value, shown) else "\\approx"
    return f"{tex(symbol)} {relation} {shown}{u.unit_tex(_si_tex(symbol))}"


def solve(task: PhysicsTask) -> list[Draft]:
    reading = task.reading
    values: dict[sp.Symbol, sp.Expr] = {s: q.si for s, q in reading.knowns.items() if q}
    values.update({s: value for s, (value, _) in reading.implied.items()})
    used = set().union(*(law.symbols for law, _ in task.plan))
    steps = [_data(reading, used)]
    conversions = [
        _conversion(s, q)
        for s, q in reading.knowns.items()
        if q is not None and q.factor != 1 and q.dim != u.ANGLE
    ]
    if conversions:
        steps.append(
            math_step(
                "Convertimos a unidades del SI",
                ",\\quad ".join(conversions),
                "Así todas las cantidades quedan en metros, kilogramos y segundos.",
            )
        )
    for law, target in task.plan:
        steps.extend(_apply(law, target, values))
    unknown = reading.unknown
    note = None
    if unknown == a and values[unknown] < 0:
        note = "El signo negativo indica que la velocidad disminuye: el móvil frena."
    return [*steps, result_step(_stated(unknown, values[unknown]), note)]


def _as_written(law: Law, target: sp.Symbol, solution: sp.Expr) -> sp.Expr:
    """The isolated formula as a teacher writes it: the law's own right-hand side when the
    target is already alone, one square root when the law has the target only squared."""
    if law.lhs == target:
        return law.rhs
    square = sp.Dummy("square")
    lhs, rhs = law.lhs.subs(target**2, square), law.rhs.subs(target**2, square)
    if not (lhs - rhs).has(target) and not solution.could_extract_minus_sign():
        (isolated,) = sp.solve(sp.Eq(lhs, rhs), square)
        return sp.Pow(isolated, sp.Rational(1, 2), evaluate=False)
    return solution


def _apply(law: Law, target: sp.Symbol, values: dict[sp.Symbol, sp.Expr]) -> list[Draft]:
    solution, value = _pick(sp.solve(sp.Eq(law.lhs, law.rhs), target), values, target)
    residual = (law.lhs - law.rhs).subs({**values, target: value})
    ensure(abs(complex(sp.N(residual, 30))) < 1e-9, f"{target} satisfies {law.name}")
    ensure(dimension(solution) == DIMENSIONS[target], "the formula gives the right units")
    values[target] = value
    solution = _as_written(law, target, solution)
    steps = [math_step(law.name, law.latex, law.note or None)]
    if law.lhs != target:
        steps.append(math_step(f"Despejamos {tex(target)}", f"{tex(target)} = {tex(solution)}"))
    shown = {
        s: _value_tex(values[s], s) if s == theta else f"\\left({_value_tex(values[s], s)}\\right)"
        for s in solution.free_symbols
    }
    steps.append(math_step("Sustituimos con unidades", f"{tex(target)} = {tex(solution, shown)}"))
    steps.append(
        math_step(
            "Unidades del resultado",
            f"{_unit_line(solution)} = \\mathrm{{{_si_tex(target)}}}",
            "Las unidades se multiplican y dividen igual que los números.",
        )
    )
    steps.append(math_step("Calculamos", _stated(target, value)))
    return steps
