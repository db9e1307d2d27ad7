"""Equations in one unknown and linear systems, explained step by step."""

from __future__ import annotations

import sympy as sp

from .common import (
    Unsupported,
    eq_tex,
    math_step,
    needs_parens,
    plain,
    plot_range,
    result_step,
    solutions_tex,
    subst_tex,
    subtract_tex,
    tex,
    text_step,
)
from .layout import Curve, Draft, Plot
from .recognize import Task

MAX_DEGREE = 6
_TRIG = (sp.sin, sp.cos, sp.tan, sp.cot, sp.sec, sp.csc)


def _graph(f: sp.Expr, x: sp.Symbol, roots: list[sp.Expr]) -> Plot | None:
    if f.free_symbols != {x}:
        return None
    reals = [r for r in roots if r.is_real]
    low, high = plot_range(reals)
    marks = [(float(r), 0.0) for r in reals]
    return Plot(x, [Curve(f, f"y = {plain(f)}"[:60])], low, high, marks)


def _graph_step(f: sp.Expr, x: sp.Symbol, roots: list[sp.Expr]) -> list[Draft]:
    plot = _graph(f, x, roots)
    if plot is None:
        return []
    reals = [r for r in roots if r.is_real]
    if reals:
        note = "Las soluciones reales son los puntos donde la gráfica corta al eje x."
    else:
        note = "La gráfica no corta al eje x: por eso no hay soluciones reales."
    return [text_step("Gráfica", f"Graficamos y = {plain(f)}. {note}", plot=plot)]


def _verify(lhs: sp.Expr, rhs: sp.Expr, x: sp.Symbol, root: sp.Expr) -> Draft:
    left = sp.simplify(lhs.subs(x, root))
    right = sp.simplify(rhs.subs(x, root))
    latex = f"{subst_tex(lhs, x, root)} = {tex(left)}"
    if rhs.has(x):
        latex += f",\\quad {subst_tex(rhs, x, root)} = {tex(right)}"
    return math_step(
        "Comprobamos sustituyendo",
        latex,
        f"Con {x} = {plain(root)} ambos lados valen lo mismo, así que la solución es correcta.",
    )


def solve_equation(task: Task) -> list[Draft]:
    """Dispatch on the shape of the equation (linear, quadratic, polynomial, other)."""
    lhs, rhs = task.equations[0]
    x = task.var
    assert x is not None
    f = sp.expand(lhs - rhs)
    if x not in f.free_symbols:
        raise Unsupported("the unknown does not appear")
    first = math_step(
        "Planteamiento",
        eq_tex(lhs, rhs),
        f"Buscamos el valor de {x} que hace verdadera la igualdad.",
    )
    numer, denom = sp.fraction(sp.together(f))
    if denom.has(x):
        return [first, *_rational(lhs, rhs, x, numer, denom)]
    if f.is_polynomial(x):
        poly = sp.Poly(f, x)
        degree = poly.degree()
        if degree > MAX_DEGREE:
            raise Unsupported("degree too high")
        if degree == 1:
            return [first, *_linear(lhs, rhs, x)]
        if degree == 2 and all(cf.is_number for cf in poly.all_coeffs()):
            return [first, *_quadratic(lhs, rhs, x, poly)]
        if all(cf.is_number for cf in poly.all_coeffs()):
            return [first, *_by_factoring(lhs, rhs, x, f)]
    return [first, *_general(lhs, rhs, x)]


def _linear(lhs: sp.Expr, rhs: sp.Expr, x: sp.Symbol) -> list[Draft]:
    steps: list[Draft] = []
    left, right = sp.expand(lhs), sp.expand(rhs)
    if left != lhs or right != rhs:
        steps.append(math_step("Quitamos paréntesis y simplificamos", eq_tex(left, right)))
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
    if a != 1:
        note = (
            "Multiplicamos por -1 para cambiar el signo."
            if a == -1
            else f"{plain(a)} está multiplicando, así que pasa dividiendo."
        )
        if not a.is_number:
            note += f" Suponemos {plain(a)} ≠ 0."
        steps.append(
            math_step(
                f"Dividimos ambos lados entre {plain(a)}",
                f"\\frac{{{tex(a * x)}}}{{{tex(a)}}} = \\frac{{{tex(right)}}}{{{tex(a)}}}"
                f"\\quad\\Rightarrow\\quad {tex(x)} = {tex(value)}",
                note,
            )
        )
    else:
        steps.append(math_step("Despejamos la incógnita", f"{tex(x)} = {tex(value)}"))
    steps.append(_verify(lhs, rhs, x, value))
    steps.extend(_graph_step(sp.expand(lhs - rhs), x, [value]))
    steps.append(result_step(f"{tex(x)} = {tex(value)}"))
    return steps


def _quadratic(lhs: sp.Expr, rhs: sp.Expr, x: sp.Symbol, poly: sp.Poly) -> list[Draft]:
    a, b, c = poly.all_coeffs()
    f = poly.as_expr()
    disc = sp.simplify(b**2 - 4 * a * c)
    steps = [
        math_step(
            "Escribimos la forma general",
            f"{tex(f)} = 0\\qquad a = {tex(a)},\\; b = {tex(b)},\\; c = {tex(c)}",
            "Pasamos todo al lado izquierdo para tener a x² + b x + c = 0.",
        ),
        math_step(
            "Calculamos el discriminante",
            f"\\Delta = b^2 - 4ac = {needs_parens(b)}^2 - 4\\left({tex(a)}\\right)\\left({tex(c)}\\right)"
            f" = {tex(disc)}",
        ),
    ]
    if disc > 0:
        meaning = "El discriminante es positivo: hay dos soluciones reales distintas."
    elif disc == 0:
        meaning = "El discriminante es cero: hay una sola solución real (raíz doble)."
    else:
        meaning = (
            "El discriminante es negativo: no hay soluciones reales. Las dos soluciones son "
            "números complejos conjugados, usando la unidad imaginaria i, con i² = -1."
        )
    steps.append(text_step("Interpretamos el discriminante", meaning))
    root_disc = sp.sqrt(disc)
    formula = (
        f"x = \\frac{{-b \\pm \\sqrt{{\\Delta}}}}{{2a}} = "
        f"\\frac{{{tex(-b)} \\pm \\sqrt{{{tex(disc)}}}}}{{{tex(2 * a)}}}"
    )
    if disc < 0:
        formula += f",\\quad \\sqrt{{{tex(disc)}}} = {tex(root_disc)}"
    steps.append(
        math_step("Aplicamos la fórmula general", formula.replace("x =", f"{tex(x)} =", 1))
    )
    roots = [sp.simplify((-b + root_disc) / (2 * a)), sp.simplify((-b - root_disc) / (2 * a))]
    if disc == 0:
        roots = roots[:1]
        latex = f"{tex(x)} = \\frac{{{tex(-b)}}}{{{tex(2 * a)}}} = {tex(roots[0])}"
    else:
        latex = (
            f"{tex(x)}_1 = \\frac{{{tex(-b)} + {tex(root_disc)}}}{{{tex(2 * a)}}} = {tex(roots[0])},"
            f"\\quad {tex(x)}_2 = \\frac{{{tex(-b)} - {tex(root_disc)}}}{{{tex(2 * a)}}} = {tex(roots[1])}"
        )
    steps.append(math_step("Calculamos las soluciones", latex))
    steps.append(_verify(lhs, rhs, x, roots[0]))
    steps.extend(_graph_step(f, x, roots))
    steps.append(result_step(solutions_tex(x, roots)))
    return steps


def _roots_of(f: sp.Expr, x: sp.Symbol) -> list[sp.Expr]:
    found = sp.roots(sp.Poly(f, x))
    roots = list(found) if sum(found.values()) == sp.Poly(f, x).degree() else sp.solve(f, x)
    roots = [r.evalf(8) if r.has(sp.CRootOf) else r for r in roots]
    return sorted(set(roots), key=lambda r: (not r.is_real, sp.re(r).evalf(), sp.im(r).evalf()))


def _by_factoring(lhs: sp.Expr, rhs: sp.Expr, x: sp.Symbol, f: sp.Expr) -> list[Draft]:
    factored = sp.factor(f)
    steps = [] if rhs == 0 and lhs == f else [math_step("Pasamos todo a un lado", f"{tex(f)} = 0")]
    if factored != f:
        steps.append(
            math_step(
                "Factorizamos",
                f"{tex(factored)} = 0",
                "Un producto es cero cuando alguno de sus factores es cero.",
            )
        )
    roots = _roots_of(f, x)
    factors = [fa for fa, _ in sp.factor_list(f)[1]]
    parts = ",\\quad ".join(f"{tex(fa)} = 0" for fa in factors)
    steps.append(math_step("Igualamos cada factor a cero", parts))
    steps.append(math_step("Resolvemos cada factor", solutions_tex(x, roots)))
    steps.append(_verify(lhs, rhs, x, roots[0]))
    steps.extend(_graph_step(f, x, roots))
    steps.append(result_step(solutions_tex(x, roots)))
    return steps


def _rational(
    lhs: sp.Expr, rhs: sp.Expr, x: sp.Symbol, numer: sp.Expr, denom: sp.Expr
) -> list[Draft]:
    steps = [
        math_step(
            "Pasamos todo a un lado con común denominador",
            f"\\frac{{{tex(sp.expand(numer))}}}{{{tex(sp.factor(denom))}}} = 0",
        ),
        math_step(
            "Igualamos el numerador a cero",
            f"{tex(sp.expand(numer))} = 0",
            f"Una fracción vale cero cuando su numerador es cero, siempre que "
            f"{plain(sp.factor(denom))} ≠ 0.",
        ),
    ]
    candidates = sp.solve(numer, x)
    roots = [r for r in candidates if sp.simplify(denom.subs(x, r)) != 0]
    dropped = [r for r in candidates if r not in roots]
    if candidates:
        steps.append(
            math_step("Resolvemos la ecuación del numerador", solutions_tex(x, candidates))
        )
    if dropped:
        steps.append(
            text_step(
                "Descartamos valores prohibidos",
                "Descartamos "
                + ", ".join(plain(r) for r in dropped)
                + " porque anula el denominador.",
            )
        )
    if not roots:
        return [*steps, result_step("\\text{Sin solución}", "La ecuación no tiene solución.")]
    steps.append(_verify(lhs, rhs, x, roots[0]))
    steps.extend(_graph_step(lhs - rhs, x, roots))
    steps.append(result_step(solutions_tex(x, roots)))
    return steps


def _isolate(lhs: sp.Expr, rhs: sp.Expr, x: sp.Symbol) -> list[Draft]:
    """Undo one outer operation at a time (inverse operations), as far as it is simple."""
    steps: list[Draft] = []
    for _ in range(6):
        if lhs == x or not lhs.has(x) or rhs.has(x):
            break
        if lhs.is_Add:
            rest = sum((t for t in lhs.args if not t.has(x)), sp.Integer(0))
            if rest == 0:
                break
            lhs, rhs, title = (
                lhs - rest,
                sp.simplify(rhs - rest),
                "Pasamos la constante al otro lado",
            )
        elif lhs.is_Mul:
            coeff = sp.Mul(*(t for t in lhs.args if not t.has(x)))
            if coeff == 1:
                break
            lhs, rhs, title = (
                lhs / coeff,
                sp.simplify(rhs / coeff),
                f"Dividimos entre {plain(coeff)}",
            )
        elif isinstance(lhs, sp.exp):
            lhs, rhs, title = lhs.args[0], sp.log(rhs), "Aplicamos logaritmo natural en ambos lados"
        elif isinstance(lhs, sp.log):
            lhs, rhs, title = lhs.args[0], sp.exp(rhs), "Aplicamos la exponencial en ambos lados"
        elif lhs.is_Pow and lhs.exp == sp.Rational(1, 2):
            lhs, rhs, title = lhs.base, rhs**2, "Elevamos al cuadrado ambos lados"
        elif lhs.is_Pow and lhs.base.is_number and lhs.base.is_positive:
            lhs, rhs, title = (
                lhs.exp,
                sp.log(rhs) / sp.log(lhs.base),
                "Aplicamos logaritmo en ambos lados",
            )
        else:
            break
        steps.append(math_step(title, eq_tex(lhs, rhs)))
    return steps


def _general(lhs: sp.Expr, rhs: sp.Expr, x: sp.Symbol) -> list[Draft]:
    if not lhs.has(x) and rhs.has(x):
        lhs, rhs = rhs, lhs
    steps = _isolate(lhs, rhs, x)
    if not steps:
        steps.append(math_step("Pasamos todo a un lado", f"{tex(sp.simplify(lhs - rhs))} = 0"))
    roots = sp.solve(sp.Eq(lhs, rhs), x)
    roots = [r for r in roots if not r.has(sp.I) or not (lhs - rhs).has(*_TRIG, sp.exp, sp.log)]
    if not roots:
        raise Unsupported("no closed-form solution")
    periodic = (lhs - rhs).has(*_TRIG)
    note = (
        "Las funciones trigonométricas son periódicas: estas son las soluciones principales y "
        "se repiten sumando múltiplos del periodo."
        if periodic
        else None
    )
    steps.append(math_step("Despejamos la incógnita", solutions_tex(x, roots), note))
    steps.append(_verify(lhs, rhs, x, roots[0]))
    steps.extend(_graph_step(lhs - rhs, x, roots))
    steps.append(result_step(solutions_tex(x, roots), note))
    return steps


# --- systems -----------------------------------------------------------------


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
    check = ",\\quad ".join(
        f"{subst_tex_many(lhs, solution)} = {tex(rhs)}" for lhs, rhs in task.equations
    )
    final = ",\\quad ".join(f"{tex(v)} = {tex(solution[v])}" for v in vars_)
    return [
        first,
        ordered,
        *steps,
        math_step("Comprobamos en las ecuaciones originales", check),
        result_step(final),
    ]


def subst_tex_many(expr: sp.Expr, values: dict[sp.Symbol, sp.Expr]) -> str:
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
