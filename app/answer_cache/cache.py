"""`AnswerCache`: lookup and store of explanations in `predefined_answers`.

Lookup is by the SHA-256 of the normalized question (exact) first; on a miss, when
a `SemanticLookup` is given, by the nearest stored questions that the guard accepts
(`semantic.py`, `guard.py`): no embedding is computed on an exact hit. A stored answer is
validated and planned once and kept in memory (LRU by id, re-prepared when the
row's JSON changes), since validation and planning cost more than the rest of an
ask. An exact hit is also remembered by question hash for `memo_s` seconds, so a
question asked again within that time costs no database round trip (a row changed or
removed meanwhile is seen once the memo expires). The repository is passed in by the
caller's unit of work, so the cache never opens a transaction of its own.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from app.answer_cache.semantic import SemanticLookup
from app.domain.event_plan import PlannedEvent, plan_steps
from app.domain.explanation import Explanation
from app.domain.questions import Question
from app.domain.records import PredefinedAnswer
from app.repositories.interfaces import AnswerRepository

PREPARED_ANSWERS_MAX = 512
EXACT_MEMO_S = 30.0


@dataclass(frozen=True)
class CachedAnswer:
    """A stored answer ready to stream: validated, its steps planned."""

    answer_id: str
    explanation: Explanation
    planned: list[list[PlannedEvent]]
    match: str = "exact"  # how the question found it
    matched_question: str | None = None  # the stored question, when not the same text
    similarity: float | None = None


@dataclass(frozen=True)
class _Prepared:
    raw: dict[str, Any]  # the JSON it was made from (a changed row is prepared anew)
    explanation: Explanation
    planned: list[list[PlannedEvent]]


class AnswerCache:
    """One per server instance; safe to share across threads."""

    def __init__(
        self,
        prepared_max: int = PREPARED_ANSWERS_MAX,
        semantic: SemanticLookup | None = None,
        memo_s: float = EXACT_MEMO_S,
    ) -> None:
        self.semantic = semantic
        self._prepared: OrderedDict[str, _Prepared] = OrderedDict()
        self._prepared_max = prepared_max
        self._memo_s = memo_s
        self._exact: OrderedDict[str, tuple[str, float]] = OrderedDict()  # hash → (id, until)
        self._lock = threading.Lock()

    def lookup(self, answers: AnswerRepository, question: Question) -> CachedAnswer | None:
        """The stored answer of this question, or None on a miss."""
        recent = self._recent(question.hash)
        if recent is not None:
            return recent
        row = answers.get_by_hash(question.hash)
        if row is not None:
            return self._remember(question.hash, self._ready(row))
        if self.semantic is None:
            return None
        match = self.semantic.find(answers, question)
        if match is None:
            return None
        row = answers.get(match.answer_id)
        if row is None:  # stored by a unit of work that did not commit
            return None
        return self._ready(row, "semantic", row.question, round(match.similarity, 4))

    def get(self, answers: AnswerRepository, answer_id: str) -> CachedAnswer | None:
        """A stored answer by id (an instance resuming a stream it did not start)."""
        row = answers.get(answer_id)
        return self._ready(row) if row is not None else None

    def store(
        self,
        answers: AnswerRepository,
        question: Question,
        explanation: Explanation,
        source: str,
    ) -> str:
        """Keep a fully valid answer; the first stored for a hash wins. Returns its id."""
        stored = answers.add_if_absent(
            question.hash, question.normalized, question.text, explanation.to_json_dict(), source
        )
        if self.semantic is not None:
            self.semantic.remember(answers, stored.id, question)
        return stored.id

    def rebuild(self, answers: AnswerRepository) -> dict[str, Any] | None:
        """Fill the semantic index from the table (at start); None without one."""
        return self.semantic.rebuild(answers) if self.semantic is not None else None

    def _recent(self, question_hash: str) -> CachedAnswer | None:
        """An exact hit remembered less than `memo_s` ago whose answer is still prepared."""
        with self._lock:
            entry = self._exact.get(question_hash)
            if entry is None or entry[1] < time.monotonic():
                return None
            prepared = self._prepared.get(entry[0])
        if prepared is None:
            return None
        return CachedAnswer(entry[0], prepared.explanation, prepared.planned)

    def _remember(self, question_hash: str, hit: CachedAnswer) -> CachedAnswer:
        if self._memo_s > 0:
            with self._lock:
                self._exact[question_hash] = (hit.answer_id, time.monotonic() + self._memo_s)
                self._exact.move_to_end(question_hash)
                while len(self._exact) > self._prepared_max:
                    self._exact.popitem(last=False)
        return hit

    def _ready(
        self,
        row: PredefinedAnswer,
        match: str = "exact",
        matched_question: str | None = None,
        similarity: float | None = None,
    ) -> CachedAnswer:
        prepared = self._prepare(row.id, row.answer)
        return CachedAnswer(
            row.id, prepared.explanation, prepared.planned, match, matched_question, similarity
        )

    def _prepare(self, answer_id: str, raw: dict[str, Any]) -> _Prepared:
        with self._lock:
            prepared = self._prepared.get(answer_id)
            if prepared is not None and prepared.raw == raw:
                self._prepared.move_to_end(answer_id)
                return prepared
        explanation = Explanation.model_validate(raw)
        prepared = _Prepared(raw, explanation, plan_steps(explanation.steps))
        with self._lock:
            self._prepared[answer_id] = prepared
            while len(self._prepared) > self._prepared_max:
                self._prepared.popitem(last=False)
        return prepared
