"""OfflineMathEngine: the offline engine for math questions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.adapters.engines.offline_core.drafts import Draft
from app.adapters.engines.offline_core.engine import DEFAULT_BUDGET_S, OfflineEngine

from . import (
    analytic,
    functions,
    geometry,
    percent,
    proportion,
    triangles,
    trig_values,
    word_problem,
)
from .arithmetic import arithmetic
from .derivatives import derivative
from .equations import solve_equation
from .forms import expand_expression, factor_expression, simplify_expression
from .integrals import integral
from .limits import limit
from .recognize import recognize
from .systems import solve_system
from .task import NotMath

SOLVERS: dict[str, Callable[[Any], list[Draft]]] = {
    "equation": solve_equation,
    "system": solve_system,
    "derivative": derivative,
    "integral": integral,
    "limit": limit,
    "simplify": simplify_expression,
    "factor": factor_expression,
    "expand": expand_expression,
    "arithmetic": arithmetic,
    "percent": percent.solve,
    "proportion": proportion.solve,
    "geometry": geometry.solve,
    "right_triangle": triangles.solve,
    "angles": triangles.solve,
    "function": functions.solve,
    "analytic": analytic.solve,
    "trig_value": trig_values.solve,
    "word_problem": word_problem.solve,
}


def solve(task: Any) -> list[Draft]:
    return SOLVERS[task.kind](task)


def can_answer(question: str) -> bool:
    """Cheap check (regexes plus a safe parse, no solving) used to route questions."""
    try:
        recognize(question)
    except NotMath:
        return False
    return True


class OfflineMathEngine(OfflineEngine):
    """Computable math: algebra, functions, geometry, trigonometry, calculus, arithmetic."""

    def __init__(self, budget_s: float = DEFAULT_BUDGET_S, isolate: bool | None = None) -> None:
        super().__init__(recognize, solve, budget_s, isolate)
