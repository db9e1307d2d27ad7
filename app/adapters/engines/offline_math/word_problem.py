"""A word problem once translated: unknowns with their meaning, equations with the
sentence each one comes from; explained by the equation and system solvers."""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from app.adapters.engines.offline_core.drafts import (
    Draft,
    Unsupported,
    ensure,
    math_step,
    result_step,
    text_step,
)

from .common import eq_tex, same_value, tex
from .equations import solve_equation
from .systems import solve_system
from .task import Task


@dataclass
class Statement:
    """One equation of the story: its sides, the sentence it says, how it reads typed."""

    lhs: sp.Expr
    rhs: sp.Expr
    sentence: str
    shown: str | None = None

    @property
    def latex(self) -> str:
        return self.shown or eq_tex(self.lhs, self.rhs)


@dataclass
class WordProblem:
    """unknowns: symbol -> what it stands for; equations: what the story says;
    answers: what to report, (label, expression in the unknowns)."""

    unknowns: dict[sp.Symbol, str]
    equations: list[Statement]
    answers: list[tuple[str, sp.Expr]] = field(default_factory=list)
    positive: bool = True
    kind: str = "word_problem"


def solve(problem: WordProblem) -> list[Draft]:
    names = ",\\quad ".join(
        f"{tex(s)} = \\text{{{meaning}}}" for s, meaning in problem.unknowns.items()
    )
    steps = [
        math_step(
            "Definimos las incógnitas",
            names,
            "Le damos una letra a cada cantidad que no conocemos.",
        ),
        math_step(
            "Traducimos el enunciado a ecuaciones",
            ",\\quad ".join(e.latex for e in problem.equations),
            " ".join(f"«{e.sentence}» → {eq_tex(e.lhs, e.rhs)}." for e in problem.equations)[:400],
        ),
    ]
    equations = [(e.lhs, e.rhs) for e in problem.equations]
    symbols = list(problem.unknowns)
    if len(symbols) == 1:
        algebra = solve_equation(Task("equation", "", equations=equations, var=symbols[0]))
        roots = sp.solve([sp.Eq(lhs, rhs) for lhs, rhs in equations], symbols[0], dict=True)
    else:
        algebra = solve_system(Task("system", "", equations=equations))
        roots = sp.solve([sp.Eq(lhs, rhs) for lhs, rhs in equations], symbols, dict=True)
    every = len(roots)
    if problem.positive:
        roots = [r for r in roots if all(v.is_real and v > 0 for v in r.values())]
    if len(roots) != 1:
        raise Unsupported("the problem has no single sensible solution")
    solution = roots[0]
    for lhs, rhs in equations:
        ensure(same_value(lhs.subs(solution), rhs.subs(solution)), "the answer fits the story")
    work = [d for d in algebra[1:] if not d.final and d.title != "Gráfica"]
    answers = problem.answers or [(m, s) for s, m in problem.unknowns.items()]
    values = [(label, sp.simplify(expr.subs(solution))) for label, expr in answers]
    dropped = " Descartamos la otra solución: no tiene sentido en el problema." if every > 1 else ""
    check = text_step(
        "Respondemos la pregunta",
        "; ".join(f"{label}: {sp.sstr(value)}" for label, value in values) + "." + dropped,
    )
    final = ",\\quad ".join(f"\\text{{{label}}} = {tex(value)}" for label, value in values)
    return [*steps, *work, check, result_step(final)]
