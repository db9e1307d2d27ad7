"""Admission of a question, typed or spoken: the checks and holds before it streams.

request id → rate limit → answer cache → credit hold, in one unit of work, in the
protocol's order. The result is the cached answer to stream, or a generation to
start or join (single flight per question hash); a refusal is a `Refused`, and a
refused request charges nothing and leaves its request id free for a retry.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from app.answer_cache import AnswerCache, CachedAnswer
from app.domain.errors import Refused
from app.domain.pricing import QUESTION, Prices, question_action
from app.domain.questions import GenerationContext, Question
from app.domain.records import Interaction
from app.repositories.interfaces import StoreUnitOfWork
from app.use_cases import credits, lifecycle_log, settlement
from app.use_cases.credits import CreditNote
from app.use_cases.identity import Caller


@dataclass(frozen=True)
class AdmissionRules:
    prices: Prices
    cache: AnswerCache
    can_generate: Callable[[str], bool]  # False: no engine would take it
    refusal_text: Callable[[str], str]  # what the student reads then


@dataclass(frozen=True)
class Admit:
    caller: Caller
    question: Question
    context: GenerationContext
    request_id: str | None = None
    input_type: str = "text"
    voice_fee: int = 0  # held already, with the clip (see `voice.admit_clip`)
    counted: bool = False  # request id and rate limit already taken with the clip
    interaction_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    received_at: float = field(default_factory=time.monotonic)  # for the lifecycle log


@dataclass(frozen=True)
class Admitted:
    interaction: Interaction
    cached: CachedAnswer | None  # None: a generation streams it
    balance: int
    notes: tuple[CreditNote, ...]
    leads_generation: bool = False  # True: start the generation; False on a miss: join it


@dataclass(frozen=True)
class Repeated:
    """The same request id was seen: its first interaction, nothing else done."""

    interaction_id: str


def admit(cmd: Admit, uow: StoreUnitOfWork, rules: AdmissionRules) -> Admitted | Repeated:
    """Admit or refuse `cmd`; the lifecycle log hears the outcome here, once."""
    user_id, iid, at = cmd.caller.user_id, cmd.interaction_id, cmd.received_at
    lifecycle_log.emit(
        "question_received",
        user_id,
        at,
        interaction_id=iid,
        input_type=cmd.input_type,
        request_id=bool(cmd.request_id),
    )
    try:
        result = _admit(cmd, uow, rules)
    except Refused as exc:
        lifecycle_log.emit(
            "question_refused", user_id, at, interaction_id=iid, code=exc.code, reason=exc.reason
        )
        raise
    except Exception as exc:
        lifecycle_log.emit(
            "question_refused", user_id, at, interaction_id=iid, code=None, error=type(exc).__name__
        )
        raise
    if isinstance(result, Repeated):
        lifecycle_log.emit("question_repeated", user_id, at, interaction_id=result.interaction_id)
    else:
        lifecycle_log.emit(
            "question_admitted",
            user_id,
            at,
            interaction_id=iid,
            source=result.interaction.source,
            credits_charged=result.interaction.credits_charged,
            credits_remaining=result.balance,
            leads_generation=result.leads_generation,
        )
    return result


def _admit(cmd: Admit, uow: StoreUnitOfWork, rules: AdmissionRules) -> Admitted | Repeated:
    user_id = cmd.caller.user_id
    with uow:
        if cmd.request_id and not cmd.counted:
            earlier = uow.requests.claim(user_id, cmd.request_id, cmd.interaction_id)
            if earlier:
                return Repeated(earlier)
        if not cmd.counted:
            retry_after = uow.question_limits.hit(user_id)
            if retry_after is not None:
                raise Refused("rate_limited", retry_after=retry_after)
        cached = rules.cache.lookup(uow.answers, cmd.question)
        if cached is None and not rules.can_generate(cmd.question.text):
            raise Refused("ai_unavailable", text=rules.refusal_text(cmd.question.text))
        price = rules.prices.question(cached is not None)
        interaction = _interaction(cmd, cached, price + cmd.voice_fee)
        action = question_action(cached is not None)
        note = credits.hold_new(uow, interaction, price, action, QUESTION)
        balance = note.balance if note else credits.balance(uow, user_id)
        uow.commit()
        try:
            leads = cached is None and uow.feeds.try_lead(cmd.question.hash, interaction.id) is None
        except Exception:  # Redis failed after the hold was committed: give it back now
            settlement.give_back(uow, user_id, interaction.id, "service_unavailable")
            raise
    return Admitted(interaction, cached, balance, (note,) if note else (), leads)


def _interaction(cmd: Admit, cached: CachedAnswer | None, charged: int) -> Interaction:
    return Interaction(
        id=cmd.interaction_id,
        user_id=cmd.caller.user_id,
        session_id=cmd.caller.session_id,
        question=cmd.question.text,
        question_hash=cmd.question.hash,
        answer_id=cached.answer_id if cached else None,
        source="cache" if cached else "generated",
        status="streaming",
        input_type=cmd.input_type,
        credits_charged=charged,
        request_id=cmd.request_id,
        matched_question=cached.matched_question if cached else None,
        similarity=cached.similarity if cached else None,
    )
