"""What a question costs, and the idempotency keys of its holds and refunds.

One hold per part of an interaction (the question itself, the voice fee), each
under its own key, so a retry never charges twice and a refund happens once.
"""

from __future__ import annotations

from dataclasses import dataclass

QUESTION, VOICE = "question", "voice"


@dataclass(frozen=True)
class Prices:
    cached: int
    generated: int
    voice: int

    def question(self, cached: bool) -> int:
        return self.cached if cached else self.generated

    @property
    def cheapest_question(self) -> int:
        return min(self.cached, self.generated)


def question_action(cached: bool) -> str:
    """The ledger's action_type for a question's hold."""
    return "question_cached" if cached else "question_generated"


def charge_key(interaction_id: str, part: str = QUESTION) -> str:
    return f"charge:{part}:{interaction_id}"


def refund_key(interaction_id: str, part: str = QUESTION) -> str:
    return f"refund:{part}:{interaction_id}"
