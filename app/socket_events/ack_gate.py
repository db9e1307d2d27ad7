"""Ack-first ordering: a stream started by a handler waits until the handler's
ack (or the CONNECT packet) has been queued to the client.

python-socketio sends the ack after the handler returns, in the same thread,
and a background task could otherwise emit first. We wrap the server's
internal dispatch (pinned python-socketio) to open a gate right after it.
"""

from __future__ import annotations

import threading
from typing import Any

_gates: dict[int, threading.Event] = {}
_lock = threading.Lock()


def open_gate() -> threading.Event:
    """A gate for the current handler, set once its ack has been queued."""
    gate = threading.Event()
    with _lock:
        _gates[threading.get_ident()] = gate
    return gate


def _release() -> None:
    with _lock:
        gate = _gates.pop(threading.get_ident(), None)
    if gate is not None:
        gate.set()


def install(server: Any) -> None:
    """Wrap the dispatch methods that send ACK and CONNECT packets."""
    for name in ("_handle_event_internal", "_handle_connect"):
        original = getattr(server, name)
        if getattr(original, "_ack_gate", False):
            continue

        def wrapped(*args: Any, __original: Any = original, **kwargs: Any) -> Any:
            try:
                return __original(*args, **kwargs)
            finally:
                _release()

        wrapped._ack_gate = True  # type: ignore[attr-defined]
        setattr(server, name, wrapped)
