"""What the account API shows a user about themselves."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from app.repositories.interfaces import UnitOfWork
from app.use_cases.credits import ensure_profile

UowFactory = Callable[[], UnitOfWork]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def me(uow_factory: UowFactory, claims: dict[str, Any], new_user_credits: int) -> dict[str, Any]:
    user_id = str(claims["sub"])
    with uow_factory() as uow:
        ensure_profile(uow, user_id, claims.get("email"), new_user_credits)
        uow.commit()
        profile = uow.profiles.get(user_id)
        plan = (
            uow.subscriptions.get(profile.subscription_id)
            if profile and profile.subscription_id
            else None
        )
    return {
        "user_id": user_id,
        "email": (profile.email if profile else None) or claims.get("email"),
        "credits": profile.credits if profile else 0,
        "subscription": (
            {"id": plan.id, "name": plan.name, "monthly_credits": plan.monthly_credits}
            if plan
            else None
        ),
    }


def history(
    uow_factory: UowFactory, user_id: str, limit: int, before: tuple[datetime, str] | None
) -> tuple[list[dict[str, Any]], tuple[datetime, str] | None]:
    """One page, newest first, plus the keyset of its last row when more may follow."""
    with uow_factory() as uow:
        rows = uow.interactions.list_for_user(user_id, limit + 1, before)
    page = rows[:limit]
    items = [
        {
            "interaction_id": r.id,
            "question": r.question,
            "source": r.source,
            "status": r.status,
            "input_type": r.input_type,
            "credits_charged": r.credits_charged,
            "created_at": _iso(r.created_at),
            "completed_at": _iso(r.completed_at),
            "matched_question": r.matched_question,
            "similarity": r.similarity,
        }
        for r in page
    ]
    last = (page[-1].created_at, page[-1].id) if len(rows) > limit and page[-1].created_at else None
    return items, last


def usage(
    uow_factory: UowFactory, user_id: str, limit: int, before_id: int | None
) -> tuple[list[dict[str, Any]], int | None]:
    with uow_factory() as uow:
        rows = uow.credits.list_for_user(user_id, limit + 1, before_id)
    page = rows[:limit]
    items = [
        {
            "id": r.id,
            "credits": r.credits,
            "action_type": r.action_type,
            "interaction_id": r.interaction_id,
            "balance_after": r.balance_after,
            "created_at": _iso(r.created_at),
        }
        for r in page
    ]
    return items, (page[-1].id if len(rows) > limit else None)
