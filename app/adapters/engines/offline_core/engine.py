"""OfflineEngine: recognize a question, solve it within a time budget, lay it out, yield.

A domain gives two functions: `recognize(question)` (cheap: regexes and a safe parse,
never solving; raises NotRecognized) and `solve(task)` (returns checked drafts; raises
Unsupported). The engine runs the solving in a forked child with a hard deadline, so a
crafted question can never hold a server worker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

from app.adapters.engines.base import CannotAnswer, GenerationContext, GenerationResult
from app.domain.explanation import MAX_STEPS, Step

from .drafts import Draft, Unsupported
from .layout import Board
from .sandbox import BudgetExceeded, ChildFailed, fork_available, run_with_budget

DEFAULT_BUDGET_S = 3.0
MIN_STEPS = 3


class NotRecognized(ValueError):
    """The question is not one this domain handles."""


class Task(Protocol):
    kind: str


Recognizer = Callable[[str], Task]
Solver = Callable[[Any], list[Draft]]


def reading_seconds(step: dict[str, Any]) -> float:
    words = len(step["content"].split()) + len(step["title"].split())
    return 4.0 + 0.45 * words


def lay_out(solve: Solver, task: Task) -> list[dict[str, Any]]:
    """Solve and lay out one task; plain dicts so the result crosses a process boundary."""
    drafts = solve(task)[:MAX_STEPS]
    board = Board(has_panel=any(d.plot is not None or d.sketch for d in drafts))
    return [
        {
            "title": d.title[:200],
            "type": d.type,
            "content": d.content[:4000],
            "canvas_commands": board.step(d),
        }
        for d in drafts
    ]


class OfflineEngine:
    """AnswerEngine for one computable domain; raises CannotAnswer for anything else."""

    name = "offline"

    def __init__(
        self,
        recognize: Recognizer,
        solve: Solver,
        budget_s: float = DEFAULT_BUDGET_S,
        isolate: bool | None = None,
    ) -> None:
        self.recognize = recognize
        self.solve = solve
        self.budget_s = budget_s
        self.isolate = fork_available() if isolate is None else isolate

    def can_answer(self, question: str) -> bool:
        """Lets the flow refuse a question no engine can take before charging for it."""
        try:
            self.recognize(question)
        except NotRecognized:
            return False
        return True

    def _solve(self, task: Task) -> list[dict[str, Any]]:
        try:
            if self.isolate:
                return run_with_budget(lay_out, (self.solve, task), self.budget_s)
            return lay_out(self.solve, task)
        except BudgetExceeded as exc:
            raise CannotAnswer("la operación tardó demasiado") from exc
        except ChildFailed as exc:
            raise CannotAnswer(f"no se pudo resolver: {exc.kind}") from exc
        except (Unsupported, NotRecognized) as exc:
            raise CannotAnswer(str(exc)) from exc
        except (
            ArithmeticError,
            LookupError,
            ValueError,
            TypeError,
            NotImplementedError,
            RecursionError,
        ) as exc:
            raise CannotAnswer(f"no se pudo resolver: {type(exc).__name__}") from exc

    def generate(
        self, question: str, context: GenerationContext, result: GenerationResult
    ) -> Iterator[Step]:
        """Compute the whole explanation first (it is fast and checked), then yield it."""
        try:
            task = self.recognize(question)
        except NotRecognized as exc:
            raise CannotAnswer(str(exc)) from exc
        raw_steps = self._solve(task)
        steps = [Step(**raw) for raw in raw_steps]
        if len(steps) < MIN_STEPS:
            raise CannotAnswer("explicación demasiado corta")
        result.engine = self.name
        result.total_duration = round(
            min(3600.0, max(10.0, sum(map(reading_seconds, raw_steps)))), 1
        )
        result.extra["kind"] = task.kind
        yield from steps
