"""Recovery of held credits after a crash between hold and settle.

An interaction still 'streaming' long after it began either never streamed
(its hold is given back) or was interrupted mid-way (it stays charged, as a
disconnect would, and is closed as stopped).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.services.interaction_service import (
    UowFactory,
    fail_interaction,
    finish_interaction,
)


@dataclass(frozen=True)
class ReconcileReport:
    refunded: int
    stopped: int


def reconcile(uow_factory: UowFactory, older_than: datetime) -> ReconcileReport:
    with uow_factory() as uow:
        leftovers = uow.interactions.list_unsettled(older_than)
    refunded = stopped = 0
    for interaction in leftovers:
        if interaction.first_event_at is None:
            fail_interaction(uow_factory, interaction.user_id, interaction.id, "internal_error")
            refunded += 1
        else:
            finish_interaction(uow_factory, interaction.id, "stopped")
            stopped += 1
    return ReconcileReport(refunded, stopped)
