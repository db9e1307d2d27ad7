"""The semantic cache on its evaluation set (tests/data/semantic_cache/eval.yaml).

Prints hit rate on paraphrases, false hits on near misses and lookup latency for the
embedded model (wordllama) and for the OpenAI path (the real `openai` client against
the local fake server's `/v1/embeddings`), each at its calibrated threshold, plus a
threshold sweep and the same embedders without the guard (what similarity alone
would do). Writes bench/results/eval_cache.json. `make eval-cache` runs it.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.answer_cache import guard  # noqa: E402
from app.answer_cache.embedders import OpenAIEmbedder, WordLlamaEmbedder  # noqa: E402
from tests.support.cache_eval import run_eval  # noqa: E402
from tests.support.fake_openai import FakeOpenAI  # noqa: E402

SWEEP = (0.5, 0.7, 0.8, 0.9, 0.95)


def _line(name: str, summary: dict) -> str:
    return (
        f"{name:<34} threshold {summary['threshold']:.2f}  hits {summary['hits']:>3}/"
        f"{summary['paraphrases']:<3} ({summary['hit_rate']:.3f})  false hits "
        f"{summary['false_hits']:>2}/{summary['near_misses']:<3} lookup p50 "
        f"{summary['lookup_ms_p50']:.3f} ms p99 {summary['lookup_ms_p99']:.3f} ms"
    )


def measure(name: str, embedder) -> dict:
    main = run_eval(embedder).summary()
    print(_line(name, main))
    for missed in main["missed"]:
        print(f"    missed: {missed}")
    sweep = {}
    for threshold in SWEEP:
        summary = run_eval(embedder, threshold).summary()
        sweep[str(threshold)] = {k: summary[k] for k in ("hits", "hit_rate", "false_hits")}
    print(
        "    sweep: "
        + ", ".join(f"{t}: {v['hits']} hits / {v['false_hits']} false" for t, v in sweep.items())
    )
    with mock.patch.object(guard, "difference", lambda a, b: None):
        unguarded = {}
        for threshold in SWEEP:
            summary = run_eval(embedder, threshold).summary()
            unguarded[str(threshold)] = {k: summary[k] for k in ("hits", "hit_rate", "false_hits")}
    print(
        "    without the guard: "
        + ", ".join(
            f"{t}: {v['hits']} hits / {v['false_hits']} false" for t, v in unguarded.items()
        )
    )
    return {**main, "sweep": sweep, "without_guard": unguarded}


def main() -> int:
    for name in ("httpx", "httpx2", "openai"):
        logging.getLogger(name).setLevel(logging.WARNING)
    results = {"wordllama": measure("embedded (wordllama)", WordLlamaEmbedder())}
    with FakeOpenAI() as fake:
        embedder = OpenAIEmbedder("sk-fake", fake.base_url)
        results["openai_double"] = measure("OpenAI path (fake /v1/embeddings)", embedder)
    out = ROOT / "bench" / "results" / "eval_cache.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written {out.relative_to(ROOT)}")
    ok = all(r["hit_rate"] >= 0.85 and r["false_hits"] == 0 for r in results.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
