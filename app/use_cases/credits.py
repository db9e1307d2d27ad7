"""Holding, refunding and granting credits inside a caller's unit of work.

Every movement goes through `CreditRepository.apply_change`, which is atomic,
idempotent by key and never lets a balance go below zero.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.errors import Refused
from app.domain.pricing import QUESTION, VOICE, charge_key, refund_key
from app.domain.records import CreditChange, Interaction
from app.repositories.interfaces import UnitOfWork


@dataclass(frozen=True)
class CreditNote:
    """A balance change to tell the user's sockets about (`credits_updated`)."""

    balance: int
    delta: int
    action_type: str


def hold(
    uow: UnitOfWork, user_id: str, interaction_id: str, credits: int, action: str, part: str
) -> CreditNote | None:
    """Spend `credits` for one part of an interaction; refuses overdraft. None if free."""
    if credits <= 0:
        return None
    change = uow.credits.apply_change(
        user_id, credits, action, charge_key(interaction_id, part), interaction_id
    )
    return _held(change, interaction_id, credits, action)


def hold_new(
    uow: UnitOfWork, interaction: Interaction, credits: int, action: str, part: str
) -> CreditNote | None:
    """Add `interaction` and spend `credits` for it in one atomic step (one statement,
    one round trip on Postgres); refuses overdraft, and then the interaction is not
    added."""
    if credits <= 0:
        uow.interactions.add(interaction)
        return None
    key = charge_key(interaction.id, part)
    change = uow.credits.hold_new(interaction, credits, action, key)
    return _held(change, interaction.id, credits, action)


def _held(
    change: CreditChange, interaction_id: str, credits: int, action: str
) -> CreditNote | None:
    if change.status in ("insufficient", "no_profile"):
        raise Refused("insufficient_credits", interaction_id=interaction_id)
    return _note(change, -credits, action) if change.applied else None


def refund(uow: UnitOfWork, user_id: str, interaction_id: str, part: str) -> CreditNote | None:
    """Give back what one hold took, exactly once; None if nothing was taken or given."""
    charge = uow.credits.find(user_id, charge_key(interaction_id, part))
    if charge is None:
        return None
    change = uow.credits.apply_change(
        user_id, -charge.credits, "refund", refund_key(interaction_id, part), interaction_id
    )
    return _note(change, charge.credits, "refund") if change.applied else None


def refund_all(uow: UnitOfWork, user_id: str, interaction_id: str) -> list[CreditNote]:
    notes = (refund(uow, user_id, interaction_id, part) for part in (QUESTION, VOICE))
    return [note for note in notes if note is not None]


def grant(
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


def ensure_profile(uow: UnitOfWork, user_id: str, email: str | None, credits: int) -> int:
    """Make the profile on first sight (its opening grant ledgered); return the balance.

    The caller commits."""
    return uow.credits.open_profile(user_id, email, credits)


def balance(uow: UnitOfWork, user_id: str) -> int:
    profile = uow.profiles.get(user_id)
    return profile.credits if profile else 0


def _note(change: CreditChange, delta: int, action: str) -> CreditNote | None:
    return CreditNote(change.balance, delta, action) if change.balance is not None else None
