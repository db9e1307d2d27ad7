"""A shared file of real payloads received by the integration tests.

Tests call `record_payloads(client.received)`; every recorded payload is validated
against docs/asyncapi.yaml (tests/support/asyncapi_check.py). The file is append-only JSON lines
`{"name": event or "ack:<event>", "data": payload}`, a few samples per shape.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

CAPTURE_PATH = Path(
    os.environ.get(
        "GUIA_CAPTURE_PATH", Path(tempfile.gettempdir()) / "guia_captured_payloads.jsonl"
    )
)
_PER_SHAPE = 5
_lock = threading.Lock()
_seen: dict[tuple[str, tuple[str, ...]], int] = {}
_items: list[tuple[str, Any]] = []  # what this process recorded
_started = False


def _shape(data: Any) -> tuple[str, ...]:
    if isinstance(data, dict):
        keys = sorted(data)
        if isinstance(data.get("error"), dict):
            keys.append("error:" + str(data["error"].get("code")))
        if isinstance(data.get("code"), str):
            keys.append("code:" + data["code"])
        return tuple(keys)
    return (type(data).__name__,)


def record_payloads(items: Iterable[Any]) -> int:
    """Append new shapes of (name, data) items (Received objects or pairs); return count."""
    global _started
    lines = []
    with _lock:
        for item in items:
            name, data = (item[0], item[1]) if isinstance(item, tuple) else (item.name, item.data)
            key = (name, _shape(data))
            if _seen.get(key, 0) >= _PER_SHAPE:
                continue
            _seen[key] = _seen.get(key, 0) + 1
            _items.append((name, data))
            lines.append(json.dumps({"name": name, "data": data}, ensure_ascii=False))
        if lines:
            mode = "a" if _started else "w"  # a fresh file for each test run
            _started = True
            with CAPTURE_PATH.open(mode, encoding="utf-8") as handle:
                handle.write("\n".join(lines) + "\n")
    return len(lines)


def recorded() -> list[tuple[str, Any]]:
    """The (name, payload) pairs this process recorded so far."""
    with _lock:
        return list(_items)


def read_payloads(path: Path = CAPTURE_PATH) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
