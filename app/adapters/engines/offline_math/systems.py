"""Linear systems of two or three equations: 2x2 by substitution, 3x3 by
elimination, singular ones through the determinant."""

from __future__ import annotations

import sympy as sp

from app.adapters.engines.offline_core.drafts import (
    Draft,
    Unsupported,
    ensure,
    math_step,
    result_step,
    text_step,
)

from .common import eq_tex, plain, same_value, subst_tex, tex
from .task import Task


def _system_tex(rows: list[tuple[sp.Expr, sp.Expr]]) -> str:
    body = " \\\\ ".join(eq_tex(lhs, rhs) for lhs, rhs in rows)
    return f"\\begin{{cases}} {body} \\end{{cases}}"


def solve_system(task: Task) -> list[Draft]:
    """Linear 2x2 by substitution, 3x3 by elimination; singular ones by the determinant."""
    exprs = [sp.expand(lhs - rhs) for lhs, rhs in task.equations]
    vars_ = sorted(set().union(*(e.free_symbols for e in exprs)), key=lambda s: s.name)
    if len(vars_) != len(exprs):
        raise Unsupported("need as many equations as unknowns")
    try:
        matrix, consts = sp.linear_eq_to_matrix(exprs, vars_)
    except (sp.PolynomialError, ValueError) as exc:
        raise Unsupported("only linear systems") from exc
    rows = [
        (sp.expand((matrix.row(i) * sp.Matrix(vars_))[0]), consts[i]) for i in range(len(exprs))
    ]
    first = math_step(
        "Planteamiento",
        _system_tex(task.equations),
        "Buscamos valores de "
        + ", ".join(v.name for v in vars_)
        + " que cumplan todas las ecuaciones.",
    )
    ordered = math_step("Ordenamos las ecuaciones", _system_tex(rows))
    det = matrix.det()
    if det == 0:
        return [first, ordered, *_singular(matrix, consts, vars_, exprs)]
    if len(vars_) == 2:
        solution, steps = _substitution(rows, vars_)
    else:
        solution, steps = _elimination(matrix, consts, vars_)
    for lhs, rhs in task.equations:
        ensure(
            same_value(lhs.subs(solution), rhs.subs(solution)), "the solution satisfies the system"
        )
    check = ",\\quad ".join(
        f"{_subst_tex_many(lhs, solution)} = {_subst_tex_many(rhs, solution)}"
        for lhs, rhs in task.equations
    )
    final = ",\\quad ".join(f"{tex(v)} = {tex(solution[v])}" for v in vars_)
    return [
        first,
        ordered,
        *steps,
        math_step("Comprobamos en las ecuaciones originales", check),
        result_step(final),
    ]


def _subst_tex_many(expr: sp.Expr, values: dict[sp.Symbol, sp.Expr]) -> str:
    marks = {v: sp.Symbol(f"zzv{i}") for i, v in enumerate(values)}
    shown = tex(expr.xreplace(marks))
    for v, mark in marks.items():
        shown = shown.replace(tex(mark), f"\\left({tex(values[v])}\\right)")
    return shown


def _substitution(
    rows: list[tuple[sp.Expr, sp.Expr]], vars_: list[sp.Symbol]
) -> tuple[dict[sp.Symbol, sp.Expr], list[Draft]]:
    # Prefer an unknown whose coefficient is 1 or -1 (no fractions appear).
    choices = [
        (abs(row[0].coeff(v)) != 1, i, v)
        for i, row in enumerate(rows)
        for v in vars_
        if row[0].coeff(v) != 0
    ]
    _, i, v = min(choices, key=lambda t: (t[0], t[1], t[2].name))
    other_var = vars_[1] if v == vars_[0] else vars_[0]
    lhs, rhs = rows[i]
    isolated = sp.expand(sp.solve(sp.Eq(lhs, rhs), v)[0])
    o_lhs, o_rhs = rows[1 - i]
    substituted = sp.expand(o_lhs.subs(v, isolated))
    value = sp.solve(sp.Eq(substituted, o_rhs), other_var)[0]
    back = sp.simplify(isolated.subs(other_var, value))
    steps = [
        math_step(
            f"Despejamos {v} de la ecuación {i + 1}",
            f"{tex(v)} = {tex(isolated)}",
            "Usamos el método de sustitución.",
        ),
        math_step(
            "Sustituimos en la otra ecuación",
            f"{subst_tex(o_lhs, v, isolated)} = {tex(o_rhs)}"
            f"\\quad\\Rightarrow\\quad {eq_tex(substituted, o_rhs)}",
        ),
        math_step(
            f"Resolvemos para {other_var}",
            f"{tex(other_var)} = {tex(value)}",
            "Es una ecuación de una sola incógnita.",
        ),
        math_step(
            f"Sustituimos {other_var} = {plain(value)} para obtener {v}",
            f"{tex(v)} = {subst_tex(isolated, other_var, value)} = {tex(back)}",
        ),
    ]
    return {
        vars_[0]: back if v == vars_[0] else value,
        vars_[1]: back if v == vars_[1] else value,
    }, steps


def _row_tex(row: list[sp.Expr], vars_: list[sp.Symbol]) -> tuple[sp.Expr, sp.Expr]:
    return sp.expand(sum(c * v for c, v in zip(row[:-1], vars_, strict=True))), row[-1]


def _elimination(
    matrix: sp.Matrix, consts: sp.Matrix, vars_: list[sp.Symbol]
) -> tuple[dict[sp.Symbol, sp.Expr], list[Draft]]:
    n = len(vars_)
    aug = [[*list(matrix.row(i)), consts[i]] for i in range(n)]
    steps: list[Draft] = []
    for col in range(n - 1):
        pivot = min(
            (r for r in range(col, n) if aug[r][col] != 0), key=lambda r: (abs(aug[r][col]) != 1, r)
        )
        aug[col], aug[pivot] = aug[pivot], aug[col]
        for r in range(col + 1, n):
            factor = (
                sp.Rational(aug[r][col], aug[col][col])
                if aug[r][col].is_Rational
                else aug[r][col] / aug[col][col]
            )
            if factor != 0:
                aug[r] = [
                    sp.simplify(a - factor * b) for a, b in zip(aug[r], aug[col], strict=True)
                ]
        steps.append(
            math_step(
                f"Eliminamos {vars_[col]} de las ecuaciones de abajo",
                _system_tex([_row_tex(row, vars_) for row in aug]),
                "A cada ecuación le restamos un múltiplo de la ecuación pivote (método de eliminación).",
            )
        )
    solution: dict[sp.Symbol, sp.Expr] = {}
    lines = []
    for r in range(n - 1, -1, -1):
        known = sum(aug[r][k] * solution[vars_[k]] for k in range(r + 1, n))
        solution[vars_[r]] = sp.simplify((aug[r][-1] - known) / aug[r][r])
        lines.append(f"{tex(vars_[r])} = {tex(solution[vars_[r]])}")
    steps.append(
        math_step(
            "Sustitución hacia atrás",
            ",\\quad ".join(lines),
            "Despejamos la última incógnita y sustituimos hacia arriba.",
        )
    )
    return solution, steps


def _singular(
    matrix: sp.Matrix, consts: sp.Matrix, vars_: list[sp.Symbol], exprs: list[sp.Expr]
) -> list[Draft]:
    solutions = sp.linsolve(exprs, vars_)
    det_step = math_step(
        "Calculamos el determinante de los coeficientes",
        f"\\det {tex(matrix)} = 0",
        "Si el determinante es cero, el sistema no tiene una solución única.",
    )
    if solutions == sp.EmptySet:
        text = "Las ecuaciones se contradicen: el sistema no tiene solución (incompatible)."
        return [det_step, text_step("Analizamos", text), result_step("\\text{Sin solución}", text)]
    (solution,) = tuple(solutions)
    text = "Hay infinitas soluciones (sistema compatible indeterminado)."
    final = ",\\quad ".join(
        f"{tex(v)} = {tex(val)}" for v, val in zip(vars_, solution, strict=True)
    )
    return [det_step, text_step("Analizamos", text), result_step(final, text)]
