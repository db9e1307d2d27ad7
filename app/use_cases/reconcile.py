"""Recovery of held credits after a crash between hold and settle.

An interaction still 'streaming' long after it began either never streamed
(its hold is given back) or was interrupted mid-way (it stays charged, as a
disconnect would, and is closed as stopped).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from app.repositories.interfaces import UnitOfWork
from app.use_cases import settlement


@dataclass(frozen=True)
class ReconcileReport:
    refunded: int
    stopped: int


def reconcile(uow_factory: Callable[[], UnitOfWork], older_than: datetime) -> ReconcileReport:
    with uow_factory() as uow:
        leftovers = uow.interactions.list_unsettled(older_than)
    refunded = stopped = 0
    for interaction in leftovers:
        with uow_factory() as uow:
            if interaction.first_event_at is None:
                settlement.fail(uow, interaction.user_id, interaction.id, "internal_error")
                refunded += 1
            else:
                stopped += settlement.close(uow, interaction.id, "stopped")
            uow.commit()
    return ReconcileReport(refunded, stopped)
