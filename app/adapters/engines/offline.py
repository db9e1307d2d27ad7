"""The offline engines, in the order the flow should try them: math (the broadest
recognizer, so the most specific questions reach it first through its own topic
order), then physics and chemistry. Each refuses what is not its own, so the order only
decides who answers a question two of them could take."""

from __future__ import annotations

from app.adapters.engines.base import AnswerEngine
from app.adapters.engines.offline_chemistry import OfflineChemistryEngine
from app.adapters.engines.offline_core.engine import DEFAULT_BUDGET_S
from app.adapters.engines.offline_math import OfflineMathEngine
from app.adapters.engines.offline_physics import OfflinePhysicsEngine


def offline_engines(budget_s: float = DEFAULT_BUDGET_S) -> list[AnswerEngine]:
    """Math, physics and chemistry engines sharing one time budget per answer."""
    return [
        OfflineMathEngine(budget_s),
        OfflinePhysicsEngine(budget_s),
        OfflineChemistryEngine(budget_s),
    ]
