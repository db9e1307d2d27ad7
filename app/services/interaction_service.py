"""An interaction's life in the database: opened with its charge, then completed,
stopped or failed (failure gives the credits back)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from app.domain.records import CreditChange, Interaction
from app.repositories.interfaces import UnitOfWork
from app.services.credit_service import consume_credits, refund_credits

UowFactory = Callable[[], UnitOfWork]


def now() -> datetime:
    return datetime.now(UTC)


def open_interaction(
    uow_factory: UowFactory,
    interaction: Interaction,
    price: int,
    action_type: str,
    extra_charges: tuple[tuple[str, int, str], ...] = (),
) -> CreditChange | None:
    """Write the interaction row and hold its credits in one transaction.

    `extra_charges` are (part, credits, action_type) holds such as the voice fee.
    Raises ServiceError("insufficient_credits") and writes nothing when the
    balance does not cover every hold.
    """
    last: CreditChange | None = None
    with uow_factory() as uow:
        uow.interactions.add(interaction)
        for part, credits, action in (("question", price, action_type), *extra_charges):
            if credits > 0:
                last = consume_credits(
                    uow,
                    interaction.user_id,
                    credits,
                    action,
                    interaction.id,
                    idempotency_key=f"charge:{part}:{interaction.id}",
                )
        uow.commit()
    return last


def mark_started(uow_factory: UowFactory, interaction_id: str) -> None:
    with uow_factory() as uow:
        uow.interactions.update(interaction_id, first_event_at=now())
        uow.commit()


def finish_interaction(uow_factory: UowFactory, interaction_id: str, status: str) -> None:
    """completed or stopped: the charge stays."""
    with uow_factory() as uow:
        current = uow.interactions.get(interaction_id)
        if current is None or current.status in ("completed", "failed"):
            return
        uow.interactions.update(interaction_id, status=status, completed_at=now())
        uow.commit()


def fail_interaction(
    uow_factory: UowFactory, user_id: str, interaction_id: str, error_code: str
) -> list[tuple[CreditChange, int]]:
    """Mark failed and give back every hold of the interaction, once.

    Returns each applied refund with the amount it gave back.
    """
    changes: list[tuple[CreditChange, int]] = []
    with uow_factory() as uow:
        current = uow.interactions.get(interaction_id)
        if current is None or current.status == "failed":
            return changes
        for part in ("question", "voice"):
            refunded = refund_credits(uow, user_id, interaction_id, part)
            if refunded is not None and refunded[0].applied:
                changes.append(refunded)
        uow.interactions.update(
            interaction_id,
            status="failed",
            error_code=error_code,
            credits_charged=0,
            completed_at=now(),
        )
        uow.commit()
    return changes
