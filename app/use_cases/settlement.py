"""How an interaction ends in the database: closed (charge kept) or failed (refunded).

The interaction owner and the crash reconciler both end interactions through
`close` and `fail`, inside the caller's unit of work (the caller commits);
`give_back` is `fail` for a request that could not start, committed at once.
Only an interaction still 'streaming' is ended, so each ends once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import structlog

from app.repositories.interfaces import StoreUnitOfWork, UnitOfWork
from app.use_cases import credits
from app.use_cases.credits import CreditNote

log = structlog.get_logger(__name__)


def now() -> datetime:
    return datetime.now(UTC)


def close(uow: UnitOfWork, interaction_id: str, status: str, alone: bool = False) -> bool:
    """completed or stopped: the charge stays (`alone`: the unit's only write)."""
    return uow.interactions.settle(interaction_id, status, completed_at=now(), alone=alone)


def fail(uow: UnitOfWork, user_id: str, interaction_id: str, code: str) -> list[CreditNote]:
    """Mark failed and give back every hold of the interaction, once."""
    if not uow.interactions.settle(
        interaction_id, "failed", error_code=code, credits_charged=0, completed_at=now()
    ):
        return []
    return credits.refund_all(uow, user_id, interaction_id)


# -- the same, each in a unit of work of its own (the owner's background writes); --------
# -- one statement each, so one round trip on Postgres (`alone`) ---------------------------


def close_now(uow_factory: Callable[[], StoreUnitOfWork], interaction_id: str, status: str) -> None:
    with uow_factory() as uow:
        close(uow, interaction_id, status, alone=True)
        uow.commit()


def fail_now(
    uow_factory: Callable[[], StoreUnitOfWork], user_id: str, interaction_id: str, code: str
) -> list[CreditNote]:
    with uow_factory() as uow:
        notes = fail(uow, user_id, interaction_id, code)
        uow.commit()
    return notes


def mark_started(uow_factory: Callable[[], StoreUnitOfWork], interaction_id: str) -> None:
    with uow_factory() as uow:
        uow.interactions.update(interaction_id, first_event_at=now(), alone=True)
        uow.commit()


def give_back(uow: UnitOfWork, user_id: str, interaction_id: str, code: str) -> list[CreditNote]:
    """An admitted request that could not start: fail it and refund its holds now, and
    commit. Best effort: if the database is unreachable too, the interaction stays
    'streaming' without a first event and `credits reconcile` refunds it later."""
    try:
        notes = fail(uow, user_id, interaction_id, code)
        uow.commit()
        return notes
    except Exception:
        log.warning("give_back_failed", interaction_id=interaction_id, exc_info=True)
        return []
