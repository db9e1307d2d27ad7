"""What oversized events cost the server: ack time and resident memory.

Starts `python run.py` (SQLite, in-process Redis, default limits: MAX_MESSAGE_BYTES
16 MiB, MAX_EVENT_BYTES 64 KiB) and sends, from three clients at once, one 15 MB
`ask_question` each, then one 15 MB `pause_explanation` and one 15 MB `voice_chunk`
(every one under the transport's limit, over its event's ceiling). Prints each ack's
code and time and the server's RSS before and after; writes
bench/results/big_messages.json.
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.server import RecordingClient, ServerProcess, base_env, new_user  # noqa: E402

SIZE = 15_000_000
CLIENTS = 3


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def timed_call(client: RecordingClient, event: str, payload: dict[str, Any]) -> dict[str, Any]:
    started = time.monotonic()
    ack = client.call(event, payload, timeout=60)
    return {"code": ack["error"]["code"], "ack_s": round(time.monotonic() - started, 3)}


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="guia_bench_big_"))
    env = base_env(DATABASE_URL=f"sqlite:///{folder / 'guia.db'}", REDIS_URL="memory://bench")
    server = ServerProcess(env).wait_ready()
    try:
        clients = [RecordingClient(server.url, new_user()[1]) for _ in range(CLIENTS)]
        for client in clients:
            client.connect()
        before = rss_mb(server.pid)
        results: list[dict[str, Any]] = [{} for _ in clients]

        def ask(i: int) -> None:
            results[i] = timed_call(clients[i], "ask_question", {"question": "x" * SIZE})

        threads = [threading.Thread(target=ask, args=(i,)) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        after_asks = rss_mb(server.pid)
        pause = timed_call(clients[0], "pause_explanation", {"interaction_id": "x" * SIZE})
        chunk = timed_call(
            clients[0], "voice_chunk", {"voice_id": "v", "seq": 0, "data": "A" * SIZE}
        )
        report = {
            "message_bytes": SIZE,
            "rss_mb_before": round(before, 1),
            "rss_mb_after_3_asks": round(after_asks, 1),
            "rss_mb_after_all": round(rss_mb(server.pid), 1),
            "ask_question": results,
            "pause_explanation": pause,
            "voice_chunk": chunk,
            "connected_after": all(c.connected for c in clients),
        }
        for client in clients:
            client.disconnect()
    finally:
        server.stop()
    print(json.dumps(report, indent=2))
    out = ROOT / "bench" / "results" / "big_messages.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
