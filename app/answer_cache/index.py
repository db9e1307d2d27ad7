"""The in-process vector index of stored questions (usearch HNSW, cosine).

Rebuilt at start from the vectors stored with the answers and kept in step by every
store of this instance; answers stored by another instance are picked up by
`refresh` (the cache calls it when the table has rows the index has not seen).
Keys are answer ids mapped to usearch's integer keys; each entry keeps the stored
normalized question, which the guard reads.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from usearch.index import Index


@dataclass(frozen=True)
class Neighbour:
    answer_id: str
    normalized_question: str
    similarity: float


class VectorIndex:
    """Thread-safe: one writer at a time, searches under the same lock (they are µs)."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        # expansion_add 32 instead of 128: 100k answers index in seconds, not a minute,
        # for a recall@1 of 0.95 instead of 0.97 (bench/bench_semantic_cache.py); a
        # neighbour not found is a miss, never a wrong answer.
        self._index = Index(ndim=dim, metric="cos", dtype="f32", connectivity=16, expansion_add=32)
        self._ids: list[str] = []
        self._questions: list[str] = []
        self._keys: dict[str, int] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, answer_id: str) -> bool:
        return answer_id in self._keys

    def add(self, answer_id: str, normalized_question: str, vector: np.ndarray) -> None:
        self.add_many([answer_id], [normalized_question], np.atleast_2d(vector))

    def add_many(self, answer_ids: list[str], questions: list[str], vectors: np.ndarray) -> None:
        with self._lock:
            fresh = [i for i, a in enumerate(answer_ids) if a not in self._keys]
            if not fresh:
                return
            keys = np.arange(len(self._ids), len(self._ids) + len(fresh), dtype=np.uint64)
            for key, i in zip(keys, fresh, strict=True):
                self._keys[answer_ids[i]] = int(key)
                self._ids.append(answer_ids[i])
                self._questions.append(questions[i])
            rows = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32)[fresh])
            self._index.add(
                keys, rows, threads=0 if len(fresh) > 10_000 else 1
            )  # small: deterministic

    def search(self, vector: np.ndarray, count: int = 4) -> list[Neighbour]:
        """The nearest stored questions, most similar first."""
        with self._lock:
            if not self._ids:
                return []
            found = self._index.search(np.asarray(vector, dtype=np.float32), count)
            return [
                Neighbour(self._ids[int(k)], self._questions[int(k)], 1.0 - float(d))
                for k, d in zip(found.keys, found.distances, strict=True)
            ]
