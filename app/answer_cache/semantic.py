"""The semantic lookup: the nearest stored questions, accepted only when similar enough
and when the guard agrees that nothing that changes the answer differs.

The question's canonical text (see `guard.read`) is embedded once per question: the
vector found at lookup is kept (briefly, by question hash) and reused when the same
question's generated answer is stored. Any failure here (an embeddings endpoint that
is down, say) is a miss, never a failed ask.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import structlog

from app.answer_cache import guard
from app.answer_cache.embedders import Embedder
from app.answer_cache.index import VectorIndex
from app.domain.questions import Question
from app.domain.records import AnswerVector
from app.repositories.interfaces import AnswerRepository

log = structlog.get_logger(__name__)

PENDING_VECTORS_MAX = 4096
REBUILD_BATCH = 256
# Answers stored by other instances (or `flask seed` after start) are picked up by a
# look at the newest rows at most this often, on a semantic lookup.
REFRESH_EVERY_S = 10.0
REFRESH_OVERLAP = timedelta(seconds=60)  # rows committed late with an older created_at


@dataclass(frozen=True)
class SemanticMatch:
    answer_id: str
    normalized_question: str
    similarity: float


class SemanticLookup:
    """One per server instance; safe to share across threads."""

    def __init__(
        self, embedder: Embedder, threshold: float | None = None, candidates: int = 8
    ) -> None:
        self.embedder = embedder
        self.threshold = embedder.threshold if threshold is None else threshold
        self.candidates = candidates
        self.index = VectorIndex(embedder.dim)
        self._pending: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._newest: datetime | None = None
        self._synced_at = time.monotonic()

    def find(self, answers: AnswerRepository, question: Question) -> SemanticMatch | None:
        """The stored question that shares this one's answer, or None."""
        self._refresh(answers)
        if not len(self.index):
            return None
        signature = guard.read(question.normalized)
        vector = self._vector(question, signature)
        if vector is None:
            return None
        for neighbour in self.index.search(vector, self.candidates):
            if neighbour.similarity < self.threshold:
                break
            reason = guard.difference(signature, guard.read(neighbour.normalized_question))
            if reason is None:
                return SemanticMatch(
                    neighbour.answer_id, neighbour.normalized_question, neighbour.similarity
                )
        return None

    def remember(self, answers: AnswerRepository, answer_id: str, question: Question) -> None:
        """Store the question's vector with its answer and add it to the index."""
        with self._lock:
            vector = self._pending.pop(question.hash, None)
        if vector is None:
            vector = self._embed([guard.read(question.normalized).text])
            if vector is None:
                return
            vector = vector[0]
        answers.set_embedding(answer_id, self.embedder.key, vector)
        self.index.add(answer_id, question.normalized, vector)

    def rebuild(self, answers: AnswerRepository) -> dict[str, Any]:
        """Load every stored vector into the index; embed (and store) the missing ones."""
        started = time.monotonic()
        rows = answers.list_vectors()
        loaded, embedded = self._add_rows(answers, rows, store=True)
        self._synced_at = time.monotonic()
        stats = {
            "answers": len(rows),
            "loaded": loaded,
            "embedded": embedded,
            "seconds": round(time.monotonic() - started, 3),
            "embedder": self.embedder.key,
        }
        log.info("semantic_index_built", **stats)
        return stats

    def _add_rows(
        self, answers: AnswerRepository, rows: list[AnswerVector], store: bool
    ) -> tuple[int, int]:
        """Index rows not indexed yet: their stored vectors, or new ones (stored when
        `store`). Returns (loaded, embedded)."""
        rows = [r for r in rows if r.id not in self.index]
        for row in rows:
            if row.created_at is not None and (
                self._newest is None or row.created_at > self._newest
            ):
                self._newest = row.created_at
        ready = [
            r
            for r in rows
            if r.embedding_model == self.embedder.key
            and r.embedding is not None
            and len(r.embedding) == self.index.dim
        ]
        ready_ids = {r.id for r in ready}
        stale = [r for r in rows if r.id not in ready_ids]
        if ready:
            self.index.add_many(
                [r.id for r in ready],
                [r.normalized_question for r in ready],
                np.stack([r.embedding for r in ready]),
            )
        for start in range(0, len(stale), REBUILD_BATCH):
            batch = stale[start : start + REBUILD_BATCH]
            vectors = self.embedder.embed([guard.read(r.normalized_question).text for r in batch])
            if store:
                for row, vector in zip(batch, vectors, strict=True):
                    answers.set_embedding(row.id, self.embedder.key, vector)
            self.index.add_many(
                [r.id for r in batch], [r.normalized_question for r in batch], vectors
            )
        return len(ready), len(stale)

    def _refresh(self, answers: AnswerRepository) -> None:
        """Pick up answers other instances stored since the last look (bounded rate)."""
        now = time.monotonic()
        with self._lock:
            if now - self._synced_at < REFRESH_EVERY_S:
                return
            self._synced_at = now
        since = self._newest - REFRESH_OVERLAP if self._newest is not None else None
        try:
            loaded, embedded = self._add_rows(answers, answers.list_vectors(since), store=False)
        except Exception as exc:  # noqa: BLE001 - a refresh that fails is retried later
            log.warning("semantic_index_refresh_failed", error=type(exc).__name__)
            return
        if loaded or embedded:
            log.info("semantic_index_refreshed", loaded=loaded, embedded=embedded)

    def _vector(self, question: Question, signature: guard.Signature) -> np.ndarray | None:
        vectors = self._embed([signature.text])
        if vectors is None:
            return None
        with self._lock:
            self._pending[question.hash] = vectors[0]
            while len(self._pending) > PENDING_VECTORS_MAX:
                self._pending.popitem(last=False)
        return vectors[0]

    def _embed(self, texts: list[str]) -> np.ndarray | None:
        try:
            return self.embedder.embed(texts)
        except Exception as exc:  # noqa: BLE001 - a cache that cannot embed misses
            log.warning("semantic_embed_failed", error=type(exc).__name__)
            return None
