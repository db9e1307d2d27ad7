"""OfflineMathEngine: recognize, solve within a time budget, lay out, yield."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from app.adapters.engines.base import CannotAnswer, GenerationContext, GenerationResult
from app.domain.explanation import MAX_STEPS, Step

from .calculus import derivative, integral, limit
from .common import Unsupported
from .equations import solve_equation, solve_system
from .forms import arithmetic, expand_expression, factor_expression, simplify_expression
from .layout import Board, Draft
from .parser import MathParseError
from .recognize import NotMath, Task, recognize
from .sandbox import BudgetExceeded, ChildFailed, fork_available, run_with_budget

DEFAULT_BUDGET_S = 3.0

SOLVERS: dict[str, Callable[[Task], list[Draft]]] = {
    "equation": solve_equation,
    "system": solve_system,
    "derivative": derivative,
    "integral": integral,
    "limit": limit,
    "simplify": simplify_expression,
    "factor": factor_expression,
    "expand": expand_expression,
    "arithmetic": arithmetic,
}


def can_answer(question: str) -> bool:
    """Cheap check (regexes plus a safe parse, no solving) used to route questions."""
    try:
        recognize(question)
    except NotMath:
        return False
    return True


def _reading_seconds(step: dict[str, Any]) -> float:
    words = len(step["content"].split()) + len(step["title"].split())
    return 4.0 + 0.45 * words


def build_explanation(task: Task) -> list[dict[str, Any]]:
    """Solve and lay out one task; plain dicts so the result crosses a process boundary."""
    drafts = SOLVERS[task.kind](task)[:MAX_STEPS]
    board = Board(has_plot=any(d.plot is not None for d in drafts))
    return [
        {
            "title": d.title[:200],
            "type": d.type,
            "content": d.content[:4000],
            "canvas_commands": board.step(d),
        }
        for d in drafts
    ]


class OfflineMathEngine:
    """AnswerEngine for computable math; raises CannotAnswer for anything else."""

    name = "offline"

    def __init__(self, budget_s: float = DEFAULT_BUDGET_S, isolate: bool | None = None) -> None:
        self.budget_s = budget_s
        self.isolate = fork_available() if isolate is None else isolate

    def can_answer(self, question: str) -> bool:
        """Lets the flow refuse a question no engine can take before charging for it."""
        return can_answer(question)

    def _solve(self, task: Task) -> list[dict[str, Any]]:
        try:
            if self.isolate:
                return run_with_budget(build_explanation, (task,), self.budget_s)
            return build_explanation(task)
        except BudgetExceeded as exc:
            raise CannotAnswer("la operación tardó demasiado") from exc
        except ChildFailed as exc:
            raise CannotAnswer(f"no se pudo resolver: {exc.kind}") from exc
        except (Unsupported, MathParseError, NotMath) as exc:
            raise CannotAnswer(str(exc)) from exc
        except (ArithmeticError, ValueError, TypeError, NotImplementedError, RecursionError) as exc:
            raise CannotAnswer(f"no se pudo resolver: {type(exc).__name__}") from exc

    def generate(
        self, question: str, context: GenerationContext, result: GenerationResult
    ) -> Iterator[Step]:
        """Compute the whole explanation first (it is fast), then yield its steps."""
        try:
            task = recognize(question)
        except NotMath as exc:
            raise CannotAnswer(str(exc)) from exc
        raw_steps = self._solve(task)
        steps = [Step(**raw) for raw in raw_steps]
        if len(steps) < 3:
            raise CannotAnswer("explicación demasiado corta")
        result.engine = self.name
        result.total_duration = round(
            min(3600.0, max(10.0, sum(map(_reading_seconds, raw_steps)))), 1
        )
        result.extra["kind"] = task.kind
        yield from steps
