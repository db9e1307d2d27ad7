"""Rows of the six tables as plain records, shared by both database backends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Subscription:
    id: str
    name: str
    monthly_credits: int
    price_mxn: float = 0.0


@dataclass(frozen=True)
class Profile:
    id: str
    email: str | None
    credits: int
    subscription_id: str | None
    subscription_renews_at: datetime | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class PredefinedAnswer:
    id: str
    question_hash: str
    normalized_question: str
    question: str
    answer: dict[str, Any]
    source: str
    created_at: datetime | None = None
    area: str | None = None  # exam area and topic id of a curated (answer bank) entry
    topic: str | None = None


@dataclass(frozen=True)
class AnswerVector:
    """A stored answer as the semantic index sees it."""

    id: str
    normalized_question: str
    embedding_model: str | None
    embedding: Any  # numpy float32 vector, or None when none is stored
    created_at: datetime | None = None


@dataclass(frozen=True)
class Interaction:
    id: str
    user_id: str
    session_id: str | None
    question: str
    question_hash: str | None
    answer_id: str | None
    source: str | None
    status: str
    input_type: str
    credits_charged: int
    request_id: str | None = None
    engine: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    error_code: str | None = None
    first_event_at: datetime | None = None
    created_at: datetime | None = None
    completed_at: datetime | None = None
    matched_question: str | None = None  # a semantic hit: the stored question it matched
    similarity: float | None = None  # and their cosine similarity


@dataclass(frozen=True)
class VoiceInteraction:
    id: str
    user_id: str
    interaction_id: str | None
    format: str
    bytes: int
    duration_s: float | None
    transcript: str | None
    status: str
    error_code: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class CreditMovement:
    id: int
    user_id: str
    credits: int
    action_type: str
    interaction_id: str | None
    idempotency_key: str
    balance_after: int
    created_at: datetime | None = None


@dataclass(frozen=True)
class CreditChange:
    """Outcome of one ledgered balance change."""

    status: str  # 'applied' | 'duplicate' | 'insufficient' | 'no_profile'
    balance: int | None
    ledger_id: int | None = None

    @property
    def applied(self) -> bool:
        return self.status == "applied"


@dataclass
class StreamState:
    """Identity and position of a session's active explanation (kept in Redis).

    The position describes the last event sent: `next_seq` is the next one to
    send, `step_index`/`chunk_index` those of the last sent (-1 when none).
    """

    interaction_id: str
    user_id: str
    session_id: str
    question: str
    question_hash: str
    source: str  # "cache" | "generated"
    answer_id: str = ""  # set for cached answers; generated ones follow the feed
    credits_charged: int = 0
    credits_remaining: int = 0
    next_seq: int = 0
    step_index: int = -1
    chunk_index: int = -1
    paused: bool = False

    def position(self) -> dict[str, Any]:
        return {
            "interaction_id": self.interaction_id,
            "step_index": self.step_index,
            "chunk_index": self.chunk_index,
            "next_seq": self.next_seq,
        }
