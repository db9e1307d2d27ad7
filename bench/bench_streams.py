"""Streaming capacity of one server process, on loopback only.

(a) 200 connected clients ask cached questions at random moments over a few
    seconds: ask_question → explanation_start latency, p50 / p99 (target p99
    <= 15 ms).
(b) The reference workload: one cached explanation of 5 steps × (40 one-word
    chunks + 3 canvas commands) = 227 events, words 50 ms apart. Levels of
    50, 100, 200, 300, 400, 600, 800, 1000 concurrent streams until one fails: a level passes
    when every stream got every event (seq 0..226, none missing or repeated)
    and p99 of actual / nominal duration is <= 1.10. Also server CPU per event
    (/proc/<pid>/stat) and memory per connection (RSS delta / connections).

Clients speak Engine.IO v4 / Socket.IO v5 directly over websocket-client (one
thread per connection) in several processes, so the client side is cheap and
not the bottleneck. Each async mode gets its own fresh server process, one
after the other in the same run (`--async-mode both`, the default), so the
ratio between them is measured under the same machine load. Writes
bench/results/streams.json. Bounded: < 8 minutes per mode.

    .venv/bin/python bench/bench_streams.py [--async-mode both|threading|gevent]
        [--max-level 1000] [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import multiprocessing as mp
import os
import random
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import websocket  # noqa: E402

from app.domain.event_plan import EventPlan, unit_ms  # noqa: E402
from app.domain.explanation import Explanation  # noqa: E402
from tests.support.server import (  # noqa: E402
    PgDatabase,
    RedisDb,
    ServerProcess,
    dev_token,
    start_server,
)

RESULTS = ROOT / "bench" / "results" / "streams.json"
WORD_SPACING_MS = 50.0
TOTAL_DURATION_S = 27.0  # keeps unit_ms inside [MIN_UNIT_MS, MAX_UNIT_MS]; pace scales it
CLIENT_PROCS = 4
TOLERANCE = 1.10


# -- the workload -----------------------------------------------------------------


def reference_answer() -> dict[str, Any]:
    steps = []
    for s in range(5):
        words = " ".join(f"palabra{s}_{w}" for w in range(40))
        steps.append(
            {
                "title": f"Paso {s + 1}",
                "type": "text",
                "content": words,
                "canvas_commands": [
                    {"op": "text", "x": 40, "y": 60 + 100 * s, "text": f"Paso {s + 1}"},
                    {"op": "line", "x1": 40, "y1": 80 + 100 * s, "x2": 600, "y2": 80 + 100 * s},
                    {"op": "circle", "x": 700, "y": 70 + 100 * s, "r": 20, "color": "#1f77b4"},
                ],
            }
        )
    return {"total_duration": TOTAL_DURATION_S, "steps": steps}


def plan_of(answer: dict[str, Any]) -> EventPlan:
    explanation = Explanation.model_validate(answer)
    plan = EventPlan(header={}, unit_ms=unit_ms(explanation.steps, explanation.total_duration))
    for step in explanation.steps:
        plan.add_step(step)
    plan.finish()
    return plan


# -- a minimal Socket.IO client -----------------------------------------------------


class RawClient:
    """Engine.IO v4 + Socket.IO v5 over one websocket; records seq'd event arrivals."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.token = token
        self.ws: websocket.WebSocket | None = None
        self.asked_at = 0.0
        self.start_at: float | None = None
        self.complete_at: float | None = None
        self.seqs: list[int] = []
        self.error: str | None = None
        self.done = threading.Event()
        self.ready = threading.Event()

    def connect(self) -> None:
        self.ws = websocket.create_connection(
            f"ws://127.0.0.1:{self.port}/socket.io/?EIO=4&transport=websocket", timeout=60
        )
        opening = self.ws.recv()
        assert opening.startswith("0"), opening
        self.ws.send("40" + json.dumps({"token": self.token}))

    def ask(self, question: str) -> None:
        assert self.ws is not None
        self.asked_at = time.perf_counter()
        self.ws.send("421" + json.dumps(["ask_question", {"question": question}]))

    def read_loop(self) -> None:
        ws = self.ws
        assert ws is not None
        try:
            while not self.done.is_set():
                raw = ws.recv()
                now = time.perf_counter()
                if not raw:
                    break
                if raw == "2":
                    ws.send("3")
                    continue
                if raw.startswith("44"):
                    self.error = f"connect refused: {raw[:200]}"
                    break
                if raw.startswith("43"):
                    ack = json.loads(raw[raw.index("[") :])[0]
                    if not ack.get("ok"):
                        self.error = f"ask refused: {ack}"
                        break
                    continue
                if not raw.startswith("42"):
                    continue
                name, data = json.loads(raw[2:])[:2]
                if name == "session_ready":
                    self.ready.set()
                    continue
                seq = data.get("seq") if isinstance(data, dict) else None
                if seq is None:
                    continue
                self.seqs.append(seq)
                if name == "explanation_start":
                    self.start_at = now
                elif name == "explanation_complete":
                    self.complete_at = now
                    break
        except Exception as exc:  # noqa: BLE001 - recorded as a failed stream
            self.error = repr(exc)
        finally:
            self.done.set()

    def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):  # already closed
                self.ws.close(timeout=0.1)


def client_worker(
    port: int,
    tokens: list[str],
    question: str,
    ask_window_s: float,
    go_at: float,
    stream_timeout_s: float,
    out: Any,
    ready_counter: Any,
) -> None:
    """One process: connect its clients, ask at go_at + random offset, report per stream."""
    clients = [RawClient(port, t) for t in tokens]
    threads = []
    for c in clients:
        try:
            c.connect()
        except Exception as exc:  # noqa: BLE001
            c.error = f"connect failed: {exc!r}"
            c.done.set()
            continue
        th = threading.Thread(target=c.read_loop, daemon=True)
        th.start()
        threads.append(th)
    for c in clients:
        c.ready.wait(30)
    with ready_counter.get_lock():
        ready_counter.value += sum(1 for c in clients if c.ready.is_set())
    rng = random.Random()
    offsets = sorted((rng.uniform(0, ask_window_s), c) for c in clients if c.error is None)
    while time.time() < go_at:
        time.sleep(0.005)
    base = time.perf_counter()
    for offset, c in offsets:
        delay = base + offset - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        try:
            c.ask(question)
        except Exception as exc:  # noqa: BLE001
            c.error = f"ask failed: {exc!r}"
    deadline = time.perf_counter() + stream_timeout_s
    for c in clients:
        c.done.wait(max(0.0, deadline - time.perf_counter()))
    results = []
    for c in clients:
        results.append(
            {
                "error": c.error,
                "seqs": c.seqs,
                "start_latency_ms": (
                    (c.start_at - c.asked_at) * 1000 if c.start_at and c.asked_at else None
                ),
                "duration_ms": (
                    (c.complete_at - c.start_at) * 1000 if c.complete_at and c.start_at else None
                ),
            }
        )
    for c in clients:
        c.close()
    out.put(results)


# -- server measurements -------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))
    return ordered[k]


def run_round(
    server: ServerProcess,
    n: int,
    question: str,
    ask_window_s: float,
    stream_timeout_s: float,
    sample: Any = None,
) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """Connect n clients over CLIENT_PROCS processes, ask, collect per-stream results."""
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    ready = ctx.Value("i", 0)
    tokens = [dev_token(str(uuid.uuid4())) for _ in range(n)]
    procs_n = min(CLIENT_PROCS, n)
    chunks = [tokens[i::procs_n] for i in range(procs_n)]
    rss_before = rss_bytes(server.pid)
    connect_budget = 10 + n / 40
    go_at = time.time() + connect_budget
    procs = [
        ctx.Process(
            target=client_worker,
            args=(server.port, chunk, question, ask_window_s, go_at, stream_timeout_s, out, ready),
        )
        for chunk in chunks
    ]
    for p in procs:
        p.start()
    while time.time() < go_at - 0.3 and ready.value < n:
        time.sleep(0.05)
    rss_connected = rss_bytes(server.pid)
    connected = ready.value
    while time.time() < go_at:
        time.sleep(0.01)
    cpu0 = cpu_seconds(server.pid)
    results: list[dict[str, Any]] = []
    for _ in procs:
        results += out.get(timeout=connect_budget + ask_window_s + stream_timeout_s + 60)
    cpu1 = cpu_seconds(server.pid)
    for p in procs:
        p.join(30)
    meta = {
        "connected": connected,
        "rss_before": rss_before,
        "rss_connected": rss_connected,
        "cpu_s": cpu1 - cpu0,
    }
    return results, meta


# -- the two benchmarks ----------------------------------------------------------------


def bench_latency(server: ServerProcess, question: str, clients: int) -> dict[str, Any]:
    results, meta = run_round(server, clients, question, ask_window_s=4.0, stream_timeout_s=2.0)
    latencies = [r["start_latency_ms"] for r in results if r["start_latency_ms"] is not None]
    return {
        "clients": clients,
        "connected": meta["connected"],
        "answered": len(latencies),
        "p50_ms": round(percentile(latencies, 0.50), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "max_ms": round(max(latencies), 2) if latencies else None,
        "target_p99_ms": 15,
        "pass": bool(latencies) and len(latencies) == clients and percentile(latencies, 0.99) <= 15,
    }


def bench_level(
    server: ServerProcess, question: str, n: int, total_events: int, nominal_ms: float
) -> dict[str, Any]:
    results, meta = run_round(
        server, n, question, ask_window_s=1.0, stream_timeout_s=nominal_ms / 1000 * 2 + 10
    )
    expected = list(range(total_events))
    complete = [r for r in results if r["seqs"] == expected and r["duration_ms"] is not None]
    missing = sum(total_events - len(set(r["seqs"]) & set(expected)) for r in results)
    errors = [r["error"] for r in results if r["error"]][:3]
    ratios = [r["duration_ms"] / nominal_ms for r in complete]
    events = sum(len(r["seqs"]) for r in results)
    p99 = percentile(ratios, 0.99) if ratios else float("inf")
    level = {
        "streams": n,
        "connected": meta["connected"],
        "complete": len(complete),
        "events_missing": missing,
        "p50_ratio": round(percentile(ratios, 0.5), 4) if ratios else None,
        "p99_ratio": round(p99, 4) if ratios else None,
        "events": events,
        "server_cpu_s": round(meta["cpu_s"], 3),
        "cpu_us_per_event": round(meta["cpu_s"] / events * 1e6, 1) if events else None,
        "rss_per_connection_kb": round(
            (meta["rss_connected"] - meta["rss_before"]) / max(1, meta["connected"]) / 1024, 1
        ),
        "errors": errors,
    }
    level["pass"] = len(complete) == n and missing == 0 and p99 <= TOLERANCE
    return level


LEVELS = (50, 100, 200, 300, 400, 600, 800, 1000)
MODE_BUDGET_S = 420  # per async mode; a level is not started after this


def bench_mode(
    mode: str, args: argparse.Namespace, pg: PgDatabase, question: str, pace: float
) -> dict[str, Any]:
    """(a) and (b) against one fresh server process in `mode`."""
    started = time.monotonic()
    plan = plan_of(reference_answer())
    nominal_ms = plan.offsets[-1] * pace
    total_events = len(plan)
    seed = json.loads((ROOT / "migrations" / "seed_data.json").read_text(encoding="utf-8"))
    cached_question = seed["answers"][11]["question"]
    rds = RedisDb()
    server: ServerProcess | None = None
    try:
        server = start_server(
            pg.dsn,
            rds.url,
            STREAM_PACE=f"{pace:.6f}",
            NEW_USER_CREDITS=1000,
            LOG_LEVEL="ERROR",
            SOCKETIO_ASYNC_MODE=mode,
        )
        print(
            f"[{mode}] server pid {server.pid}, pace {pace:.4f}, {total_events} events, "
            f"nominal {nominal_ms / 1000:.2f} s",
            flush=True,
        )
        latency = bench_latency(server, cached_question, args.latency_clients)
        print(
            f"[{mode}] (a) ask → explanation_start over {latency['clients']} clients: "
            f"p50 {latency['p50_ms']} ms, p99 {latency['p99_ms']} ms",
            flush=True,
        )
        levels = []
        best = 0
        for n in LEVELS:
            if n > args.max_level or time.monotonic() - started > MODE_BUDGET_S:
                break
            level = bench_level(server, question, n, total_events, nominal_ms)
            levels.append(level)
            print(
                f"[{mode}] (b) {n} streams: complete {level['complete']}/{n}, missing "
                f"{level['events_missing']}, p50 {level['p50_ratio']}, p99 {level['p99_ratio']}, "
                f"{level['cpu_us_per_event']} µs CPU/event, {level['rss_per_connection_kb']} KB/conn"
                f" → {'pass' if level['pass'] else 'FAIL'}",
                flush=True,
            )
            if not level["pass"]:
                break
            best = n
            if args.quick and n >= 100:
                break
    finally:
        if server is not None:
            server.stop()
        rds.close()
    passing = [lv for lv in levels if lv["pass"]]
    measured = passing or levels
    return {
        "async_mode": mode,
        "latency": latency,
        "levels": levels,
        "max_streams_within_10pct": best,
        "cpu_us_per_event": (
            round(
                statistics.median(
                    [lv["cpu_us_per_event"] for lv in measured if lv["cpu_us_per_event"]]
                ),
                1,
            )
            if levels
            else None
        ),
        "rss_per_connection_kb": (
            round(statistics.median([lv["rss_per_connection_kb"] for lv in measured]), 1)
            if levels
            else None
        ),
        "elapsed_s": round(time.monotonic() - started, 1),
    }


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-level", type=int, default=LEVELS[-1])
    parser.add_argument("--latency-clients", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="levels 50 and 100 only")
    parser.add_argument(
        "--async-mode",
        choices=("both", "threading", "gevent"),
        default="both",
        help="server async mode(s); 'both' measures threading then gevent in one run",
    )
    args = parser.parse_args()
    modes = ["threading", "gevent"] if args.async_mode == "both" else [args.async_mode]
    started = time.monotonic()

    answer = reference_answer()
    plan = plan_of(answer)
    pace = WORD_SPACING_MS / plan.unit_ms
    pg = PgDatabase("guia_bench")
    results: dict[str, dict[str, Any]] = {}
    try:
        question = f"Explicación de referencia para el banco de pruebas {uuid.uuid4().hex[:6]}"
        pg.insert_answer(question, answer)
        for mode in modes:
            results[mode] = bench_mode(mode, args, pg, question, pace)
    finally:
        pg.close()
    report: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count()},
        "workload": {
            "steps": 5,
            "chunks_per_step": 40,
            "canvas_per_step": 3,
            "events": len(plan),
            "word_spacing_ms": WORD_SPACING_MS,
            "stream_pace": round(pace, 6),
            "nominal_s": round(plan.offsets[-1] * pace / 1000, 3),
            "tolerance": TOLERANCE,
            "levels": [n for n in LEVELS if n <= args.max_level],
        },
        "modes": results,
        "elapsed_s": round(time.monotonic() - started, 1),
    }
    if "threading" in results and "gevent" in results:
        t, g = results["threading"], results["gevent"]
        report["gevent_vs_threading"] = {
            "streams_kept": ratio(g["max_streams_within_10pct"], t["max_streams_within_10pct"]),
            "cpu_per_event": ratio(g["cpu_us_per_event"], t["cpu_us_per_event"]),
            "latency_p99": ratio(g["latency"]["p99_ms"], t["latency"]["p99_ms"]),
            "rss_per_connection": ratio(g["rss_per_connection_kb"], t["rss_per_connection_kb"]),
        }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    summary = {mode: {k: v for k, v in r.items() if k != "levels"} for mode, r in results.items()}
    print(
        json.dumps(
            {
                "modes": summary,
                **{k: v for k, v in report.items() if k not in ("modes", "workload")},
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
