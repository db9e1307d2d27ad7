"""OfflinePhysicsEngine: physics problems with numbers, solved with units in SI."""

from __future__ import annotations

import re

from app.adapters.engines.offline_core.engine import DEFAULT_BUDGET_S, NotRecognized, OfflineEngine
from app.adapters.engines.offline_core.wording import fix_typos, normalize

from .explain import PhysicsTask, solve
from .plan import plan
from .reading import read
from .units import spread_ranges

MAX_QUESTION_CHARS = 600


class NotPhysics(NotRecognized):
    """Not a physics problem with numbers that these laws answer."""


def recognize(question: str) -> PhysicsTask:
    if not isinstance(question, str) or len(question) > MAX_QUESTION_CHARS:
        raise NotPhysics("not a question we take")
    cased = spread_ranges(normalize(question, lower=False))
    text = fix_typos(cased.lower())
    if not re.search(r"\d", text):
        raise NotPhysics("no numbers")
    reading = read(text, cased)
    if reading is None:
        raise NotPhysics("no physical quantities or nothing asked")
    steps = plan(reading)
    if steps is None:
        raise NotPhysics("no law connects the data with what is asked")
    return PhysicsTask(reading, steps)


class OfflinePhysicsEngine(OfflineEngine):
    """Kinematics, Newton's laws, work, energy, power, Ohm's law and momentum."""

    def __init__(self, budget_s: float = DEFAULT_BUDGET_S, isolate: bool | None = None) -> None:
        super().__init__(recognize, solve, budget_s, isolate)
