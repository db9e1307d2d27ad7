"""Credit rules: prices, holds before paid work, refunds on failure, grants.

Every movement goes through `CreditRepository.apply_change`, which is atomic,
idempotent by key and never lets a balance go below zero.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.domain.records import CreditChange
from app.repositories.interfaces import UnitOfWork
from app.services.errors import ServiceError

UowFactory = Callable[[], UnitOfWork]


@dataclass(frozen=True)
class Prices:
    cached: int
    generated: int
    voice: int


def charge_key(interaction_id: str, part: str = "question") -> str:
    return f"charge:{part}:{interaction_id}"


def refund_key(interaction_id: str, part: str = "question") -> str:
    return f"refund:{part}:{interaction_id}"


def check_credits(uow_factory: UowFactory, user_id: str, credits_needed: int) -> bool:
    """True when the balance covers the price (a hint; the hold is the real check)."""
    with uow_factory() as uow:
        profile = uow.profiles.get(user_id)
    return profile is not None and profile.credits >= credits_needed


def consume_credits(
    uow: UnitOfWork,
    user_id: str,
    credits: int,
    action_type: str,
    interaction_id: str | None = None,
    idempotency_key: str | None = None,
) -> CreditChange:
    """Spend (hold) credits inside the caller's unit of work; refuses overdraft."""
    if credits <= 0:
        return CreditChange("applied", None)
    key = idempotency_key or (charge_key(interaction_id) if interaction_id else None)
    if key is None:
        raise ValueError("an idempotency key or an interaction id is required")
    change = uow.credits.apply_change(user_id, credits, action_type, key, interaction_id)
    if change.status in ("insufficient", "no_profile"):
        raise ServiceError("insufficient_credits", interaction_id=interaction_id)
    return change


def refund_credits(
    uow: UnitOfWork, user_id: str, interaction_id: str, part: str = "question"
) -> tuple[CreditChange, int] | None:
    """Give back what the interaction's charge took, exactly once.

    Returns the change and the amount given back; None if nothing was taken.
    """
    charge = uow.credits.find(user_id, charge_key(interaction_id, part))
    if charge is None:
        return None
    change = uow.credits.apply_change(
        user_id, -charge.credits, "refund", refund_key(interaction_id, part), interaction_id
    )
    return change, charge.credits


def grant_credits(
    uow: UnitOfWork,
    user_id: str,
    amount: int,
    idempotency_key: str,
    action_type: str = "grant",
    email: str | None = None,
) -> CreditChange:
    """Add credits, ledgered; a user with no profile gets one with exactly this amount."""
    if amount < 1:
        raise ValueError("amount must be at least 1")
    uow.credits.ensure_profile(user_id, email, 0)
    return uow.credits.apply_change(user_id, -amount, action_type, idempotency_key)


def ensure_profile(uow_factory: UowFactory, user_id: str, email: str | None, credits: int) -> int:
    """Make the profile on first sight (opening grant ledgered); return the balance."""
    with uow_factory() as uow:
        uow.credits.ensure_profile(user_id, email, credits)
        profile = uow.profiles.get(user_id)
        uow.commit()
    return profile.credits if profile else 0
