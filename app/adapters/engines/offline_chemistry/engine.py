"""OfflineChemistryEngine: chemistry problems with numbers and balancing equations."""

from __future__ import annotations

from collections.abc import Callable

from app.adapters.engines.offline_core.drafts import Draft
from app.adapters.engines.offline_core.engine import DEFAULT_BUDGET_S, OfflineEngine

from . import molar
from .balance import balance
from .recognize import ChemistryTask, recognize

SOLVERS: dict[str, Callable[[ChemistryTask], list[Draft]]] = {
    "molar_mass": molar.molar_mass,
    "moles": molar.moles,
    "grams": molar.grams,
    "particles": molar.particles,
    "molarity": molar.molarity,
    "percent": molar.percent,
    "balance": balance,
}


def solve(task: ChemistryTask) -> list[Draft]:
    return SOLVERS[task.kind](task)


class OfflineChemistryEngine(OfflineEngine):
    """Molar mass, moles, particles, molarity, percent composition, balancing."""

    def __init__(self, budget_s: float = DEFAULT_BUDGET_S, isolate: bool | None = None) -> None:
        super().__init__(recognize, solve, budget_s, isolate)
