"""One idle ask: ask_question -> ack and -> explanation_start on a quiet server.

The server runs as `shared/peers` runs it (gevent, real Postgres and Redis, a cached
answer, warnings-only logs); one websocket client asks, waits for
explanation_start, stops the explanation and rests REST_S before the next ask, so
every ask meets an idle server. Reports p50 / p90 / p99 over ASKS asks (after
WARM_UP asks) and the server CPU per ask (from /proc), and writes
bench/results/idle_ask.json.

Run: `.venv/bin/python bench/bench_idle_ask.py [ASKS]`.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import socketio  # noqa: E402

from tests.support.server import PgDatabase, RedisDb, dev_token, start_server  # noqa: E402

QUESTION = "¿Qué es una derivada? (pregunta en reposo)"
ANSWER = {
    "steps": [
        {"title": f"Paso {i}", "type": "text", "content": " ".join(["palabra"] * 40)}
        for i in range(5)
    ],
    "total_duration": 120,
}
WARM_UP = 20
REST_S = 0.1


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(url: str, asks: int, pid: int) -> dict[str, object]:
    client = socketio.Client(reconnection=False)
    started = threading.Event()
    client.on("explanation_start", lambda _data: started.set())
    client.connect(url, transports=["websocket"], auth={"token": dev_token(str(uuid.uuid4()))})
    acks: list[float] = []
    starts: list[float] = []
    cpu = 0.0
    try:
        for i in range(WARM_UP + asks):
            time.sleep(REST_S)
            started.clear()
            cpu_before = cpu_s(pid)
            t0 = time.perf_counter()
            ack = client.call("ask_question", {"question": QUESTION}, timeout=10)
            t_ack = time.perf_counter()
            if not (ack and ack.get("ok")) or not started.wait(10):
                raise RuntimeError(f"ask {i} failed: {ack}")
            t_start = time.perf_counter()
            client.call("stop_explanation", {}, timeout=10)
            if i >= WARM_UP:
                acks.append((t_ack - t0) * 1000)
                starts.append((t_start - t0) * 1000)
                cpu += cpu_s(pid) - cpu_before
    finally:
        client.disconnect()
    return {
        "asks": asks,
        "ack_ms": {
            q: round(percentile(acks, p), 2) for q, p in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99))
        },
        "start_ms": {
            q: round(percentile(starts, p), 2)
            for q, p in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99))
        },
        "start_mean_ms": round(statistics.fmean(starts), 2),
        "server_cpu_ms_per_ask_and_stop": round(cpu / asks * 1000, 2),
    }


def main() -> None:
    asks = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    pg, rds = PgDatabase("guia_idle"), RedisDb()
    try:
        pg.insert_answer(QUESTION, ANSWER)
        server = start_server(
            pg.url,
            rds.url,
            SOCKETIO_ASYNC_MODE="gevent",
            STREAM_PACE="0.094",
            DATABASE_POOL_SIZE="10",
            NEW_USER_CREDITS="1000000",
        )
        try:
            figures = measure(server.url, asks, server.pid)
        finally:
            server.stop()
    finally:
        rds.close()
        pg.close()
    result = {"bench": "idle_ask", "python": platform.python_version(), **figures}
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results" / "idle_ask.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
