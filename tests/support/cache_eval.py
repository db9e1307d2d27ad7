"""The semantic cache's evaluation set run through the real `AnswerCache` on SQLite.

Used by `bench/eval_cache.py` (prints and writes the figures) and by
`tests/unit/test_semantic_eval.py` (asserts them). Every group's first question and
every near miss's `stored` question is stored in one database, each with an answer of
its own; then every other question is looked up. A paraphrase that finds its group's
answer is a hit; any question that finds an answer not of its own group is a false hit.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from app.answer_cache import AnswerCache
from app.answer_cache.embedders import Embedder
from app.answer_cache.semantic import SemanticLookup
from app.domain.explanation import Explanation
from app.domain.questions import Question
from app.repositories.sql import SqliteDatabase

EVAL_SET = Path(__file__).resolve().parents[1] / "data" / "semantic_cache" / "eval.yaml"


def load_eval_set(path: Path = EVAL_SET) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {"groups": data["groups"], "near_misses": data["near_misses"]}


def _answer(label: str) -> Explanation:
    return Explanation.model_validate(
        {"steps": [{"title": label[:60], "type": "text", "content": label}], "total_duration": 5}
    )


@dataclass
class EvalResult:
    embedder: str
    threshold: float
    paraphrases: int = 0
    hits: int = 0
    near_misses: int = 0
    false_hits: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    @property
    def hit_rate(self) -> float:
        return self.hits / self.paraphrases if self.paraphrases else 0.0

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies_ms)
        return {
            "embedder": self.embedder,
            "threshold": self.threshold,
            "paraphrases": self.paraphrases,
            "hits": self.hits,
            "hit_rate": round(self.hit_rate, 4),
            "near_misses": self.near_misses,
            "false_hits": self.false_hits,
            "lookup_ms_p50": round(statistics.median(ordered), 3),
            "lookup_ms_p99": round(ordered[int(0.99 * (len(ordered) - 1))], 3),
            "missed": self.missed,
            "false_hit_questions": self.wrong,
        }


def run_eval(
    embedder: Embedder, threshold: float | None = None, data: dict[str, Any] | None = None
) -> EvalResult:
    data = data or load_eval_set()
    semantic = SemanticLookup(embedder, threshold)
    cache = AnswerCache(semantic=semantic)
    result = EvalResult(embedder.key, semantic.threshold)
    with tempfile.TemporaryDirectory() as folder:
        db = SqliteDatabase(Path(folder) / "eval.db")
        owner: dict[str, str] = {}  # answer id → the group label it belongs to
        stored: list[tuple[str, str]] = [(g[0], f"group:{g[0]}") for g in data["groups"]]
        stored += [(m["stored"], f"group:{m['stored']}") for m in data["near_misses"]]
        with db.unit_of_work() as uow:
            for text, label in stored:
                question = Question.of(text)
                if uow.answers.get_by_hash(question.hash) is None:
                    answer_id = cache.store(uow.answers, question, _answer(label), "seed")
                    owner[answer_id] = label
            uow.commit()
        probes: list[tuple[str, str, bool]] = []  # (question, the label it may find, paraphrase?)
        for group in data["groups"]:
            probes += [(q, f"group:{group[0]}", True) for q in group[1:]]
        probes += [(m["asked"], f"near-miss:{m['asked']}", False) for m in data["near_misses"]]
        with db.unit_of_work() as uow:
            for text, label, paraphrase in probes:
                question = Question.of(text)
                started = time.perf_counter()
                found = cache.lookup(uow.answers, question)
                result.latencies_ms.append((time.perf_counter() - started) * 1000)
                found_label = owner.get(found.answer_id) if found else None
                if paraphrase:
                    result.paraphrases += 1
                else:
                    result.near_misses += 1
                if found_label == label:
                    result.hits += 1
                elif found_label is not None:
                    result.false_hits += 1
                    result.wrong.append(f"{text} -> {found_label}")
                elif paraphrase:
                    result.missed.append(text)
        db.close()
    return result
