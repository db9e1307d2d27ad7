"""Graceful shutdown under load: N live paced streams, SIGTERM, time to exit.

One gevent server (`python run.py`) on real Postgres and Redis; N raw websocket
clients (threads in a few processes) each ask a cached question at STREAM_PACE=1
and read their stream. Once every client has seen a few events, the server gets
SIGTERM; the bench measures how long the process takes to exit, reads the
`server_stopped` line, and checks in Redis that every session records its stream
paused exactly one past the last `seq` its client received (a resume without
`after_seq` would then lose nothing and repeat nothing). Writes
bench/results/shutdown.json.

    .venv/bin/python bench/bench_shutdown.py [--streams 500] [--workers 1]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import websocket  # noqa: E402

from tests.support.server import PgDatabase, RedisDb, dev_token, start_server  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "shutdown.json"
QUESTION = "Resuelve x^2 - 5x + 6 = 0"  # seeded (migration 003): a cached answer
CLIENT_PROCS = 4
WARM_EVENTS = 3


def client(url: str, started: Any, out: list[tuple[str, int]]) -> None:
    base = url.replace("http://", "ws://")
    ws = websocket.create_connection(f"{base}/socket.io/?EIO=4&transport=websocket", timeout=60)
    ws.recv()
    ws.send("40" + json.dumps({"token": dev_token()}))
    session_id, last = "", -1
    try:
        while True:
            message = ws.recv()
            if message == "2":
                ws.send("3")
            elif message.startswith("42"):
                name, data = json.loads(message[2:])[:2]
                if name == "session_ready":
                    session_id = data["session_id"]
                    ws.send("421" + json.dumps(["ask_question", {"question": QUESTION}]))
                elif "seq" in data:
                    last = data["seq"]
                    if last == WARM_EVENTS:
                        started.release()
            elif message == "":
                break
    except (websocket.WebSocketException, OSError):
        pass
    out.append((session_id, last))


def client_proc(url: str, count: int, ready: Any, results: Any) -> None:
    out: list[tuple[str, int]] = []
    started = threading.Semaphore(0)
    threads = [threading.Thread(target=client, args=(url, started, out)) for _ in range(count)]
    for thread in threads:
        thread.start()
        time.sleep(0.002)
    for _ in range(count):
        started.acquire()
    ready.release()
    for thread in threads:
        thread.join(120)
    results.put(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--streams", type=int, default=500)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    pg, rds = PgDatabase("guia_bench_stop"), RedisDb()
    try:
        env: dict[str, Any] = {"SOCKETIO_ASYNC_MODE": "gevent", "STREAM_PACE": 1}
        env.update(LOG_LEVEL="INFO", LOG_FORMAT="json", NEW_USER_CREDITS=5)
        if args.workers > 1:
            env.update(SERVER_WORKERS=args.workers, SOCKETIO_MESSAGE_QUEUE=rds.url)
        server = start_server(pg.dsn, rds.url, **env)
        ready, results = mp.Semaphore(0), mp.Queue()
        per = [args.streams // CLIENT_PROCS + (i < args.streams % CLIENT_PROCS) for i in range(4)]
        procs = [mp.Process(target=client_proc, args=(server.url, n, ready, results)) for n in per]
        for proc in procs:
            proc.start()
        for _ in procs:
            ready.acquire()
        began = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        code = server.proc.wait(30)
        took_ms = (time.monotonic() - began) * 1000
        seen = [item for _ in procs for item in results.get(timeout=120)]
        for proc in procs:
            proc.join(30)
        stopped = [
            json.loads(line)
            for line in server.log_path.read_text(errors="replace").splitlines()
            if line.startswith("{") and '"server_stopped"' in line
        ]
        exact = 0
        for session_id, last in seen:
            fields = rds.client.hmget(f"session:{session_id}", "next_seq", "paused")
            exact += fields == [str(last + 1), "1"]
        figures = {
            "streams": len(seen),
            "workers": args.workers,
            "exit_code": code,
            "exit_ms_after_sigterm": round(took_ms),
            "server_stopped": [
                {k: s[k] for k in ("paused_streams", "pause_ms", "ms")} for s in stopped
            ],
            "positions_exact": exact,
        }
        print(json.dumps(figures, indent=2))
        RESULTS.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        server.stop()
    finally:
        rds.close()
        pg.close()


if __name__ == "__main__":
    main()
