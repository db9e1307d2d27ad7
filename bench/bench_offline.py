"""The offline engines on the exam fixture set: coverage per area and time per question.

Every computable question of tests/data/exam_questions/ goes through `offline_engines()`
as the flow uses them: `can_answer` on each engine in order (the cheap check that runs
on every cache miss), then `generate` (solving in the forked time budget, layout, SymPy
checks) until its first step. That time, plus the flow's own work (a few ms, see
bench/peers.sh), is what the student waits for `explanation_start`; the goal is
explanation_start <= 1 s at p95. Several rounds over the set; one sequential client on
this machine's cores.

Writes bench/results/exam_coverage.json (answered / correct / wrong per area) and
bench/results/offline.json (time figures).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.adapters.engines.base import (  # noqa: E402
    CannotAnswer,
    GenerationContext,
    GenerationResult,
)
from app.adapters.engines.offline import offline_engines  # noqa: E402
from tests.support.exam_check import judge, load_items  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
TARGET_MS = 1000.0
RESULTS = ROOT / "bench" / "results"


def ask(engines: list, question: str) -> tuple[str | None, float, float, float]:
    """(closing step or None, can_answer ms, ms to the first step, ms to the last)."""
    start = time.perf_counter()
    checked = 0.0
    for engine in engines:
        if not engine.can_answer(question):
            continue
        checked = checked or (time.perf_counter() - start) * 1000
        steps, first = [], None
        try:
            for step in engine.generate(question, GenerationContext(), GenerationResult()):
                first = first or (time.perf_counter() - start) * 1000
                steps.append(step)
        except CannotAnswer:
            continue
        return steps[-1].content, checked, first, (time.perf_counter() - start) * 1000
    elapsed = (time.perf_counter() - start) * 1000
    return None, elapsed, elapsed, elapsed


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    items = [item for item in load_items() if item.computable]
    engines = offline_engines()
    coverage: dict[str, Counter] = {}
    checks, firsts, lasts = [], [], []
    for round_index in range(ROUNDS):
        for item in items:
            final, checked, first, last = ask(engines, item.question)
            checks.append(checked)
            firsts.append(first)
            lasts.append(last)
            if round_index:
                continue
            counts = coverage.setdefault(item.area, Counter())
            counts["total"] += 1
            if final is None:
                counts["unanswered"] += 1
            else:
                counts["answered"] += 1
                counts["correct" if judge(item.expect, final) else "wrong"] += 1
    areas = {
        area: {key: counts[key] for key in ("total", "answered", "correct", "wrong", "unanswered")}
        for area, counts in sorted(coverage.items())
    }
    totals = {key: sum(a[key] for a in areas.values()) for key in next(iter(areas.values()))}
    totals["correct_share"] = round(totals["correct"] / totals["total"], 4)
    timing = {
        "questions": len(items),
        "rounds": ROUNDS,
        "samples": len(firsts),
        "can_answer_ms": {
            "p50": round(statistics.median(checks), 1),
            "p95": round(percentile(checks, 0.95), 1),
        },
        "first_step_ms": {
            "p50": round(statistics.median(firsts), 1),
            "p95": round(percentile(firsts, 0.95), 1),
            "max": round(max(firsts), 1),
        },
        "whole_answer_ms": {
            "p50": round(statistics.median(lasts), 1),
            "p95": round(percentile(lasts, 0.95), 1),
        },
        "target_explanation_start_p95_ms": TARGET_MS,
        "cpus": os.cpu_count(),
    }
    print(f"{'area':14} total answered correct wrong")
    for area, row in areas.items():
        print(f"{area:14} {row['total']:5} {row['answered']:8} {row['correct']:7} {row['wrong']:5}")
    print(
        f"{'total':14} {totals['total']:5} {totals['answered']:8} {totals['correct']:7} "
        f"{totals['wrong']:5}  ({100 * totals['correct_share']:.1f} % correct)"
    )
    first = timing["first_step_ms"]
    print(
        f"first step: p50 {first['p50']} ms, p95 {first['p95']} ms, max {first['max']} ms "
        f"over {timing['samples']} answers; can_answer p95 {timing['can_answer_ms']['p95']} ms"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "exam_coverage.json").write_text(
        json.dumps({"areas": areas, "total": totals}, indent=2) + "\n"
    )
    (RESULTS / "offline.json").write_text(json.dumps(timing, indent=2) + "\n")


if __name__ == "__main__":
    main()
