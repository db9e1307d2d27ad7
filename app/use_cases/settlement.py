"""How an interaction ends in the database: closed (charge kept) or failed (refunded).

The interaction owner and the crash reconciler both end interactions through
these two functions, inside the caller's unit of work (the caller commits).
Only an interaction still 'streaming' is ended, so each ends once.
"""

from __future__ import annotations

from datetime import UTC, datetime

from app.repositories.interfaces import UnitOfWork
from app.use_cases import credits
from app.use_cases.credits import CreditNote


def now() -> datetime:
    return datetime.now(UTC)


def close(uow: UnitOfWork, interaction_id: str, status: str) -> bool:
    """completed or stopped: the charge stays."""
    return uow.interactions.settle(interaction_id, status, completed_at=now())


def fail(uow: UnitOfWork, user_id: str, interaction_id: str, code: str) -> list[CreditNote]:
    """Mark failed and give back every hold of the interaction, once."""
    if not uow.interactions.settle(
        interaction_id, "failed", error_code=code, credits_charged=0, completed_at=now()
    ):
        return []
    return credits.refund_all(uow, user_id, interaction_id)
