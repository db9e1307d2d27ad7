"""Ack-first ordering, kept out of the services: while a handler of a socket runs,
events to that socket wait; they go out right after the handler's ack (or, for
`connect`, the CONNECT packet) has been queued.

python-socketio sends the ack after the handler returns, in the same thread (or
greenlet), so a stream started by the handler could otherwise emit first. We wrap
the server's internal dispatch (pinned python-socketio) to release the held
events right after it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

Send = Callable[[str, str, Any], None]


class AckGate:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[str, tuple[int, list[tuple[str, Any]]]] = {}
        self._mine: dict[int, list[str]] = {}

    def hold(self, sid: str) -> None:
        """Hold events to `sid` until the current handler's dispatch returns."""
        with self._lock:
            count, queued = self._held.get(sid, (0, []))
            self._held[sid] = (count + 1, queued)
            self._mine.setdefault(threading.get_ident(), []).append(sid)

    def defer(self, sid: str, event: str, payload: Any) -> bool:
        """Queue the event if `sid` is held; False if it may go out now."""
        with self._lock:
            held = self._held.get(sid)
            if held is None:
                return False
            held[1].append((event, payload))
            return True

    def release(self, send: Send) -> None:
        """The dispatch of this thread's handler returned: flush what it held."""
        with self._lock:
            sids = self._mine.pop(threading.get_ident(), [])
            ready: list[tuple[str, list[tuple[str, Any]]]] = []
            for sid in sids:
                count, queued = self._held[sid]
                if count > 1:
                    self._held[sid] = (count - 1, queued)
                else:
                    del self._held[sid]
                    ready.append((sid, queued))
            # Send inside the lock: a concurrent defer() must not overtake these.
            for sid, queued in ready:
                for event, payload in queued:
                    send(sid, event, payload)

    def install(self, server: Any, send: Send) -> None:
        """Wrap the dispatch methods that send ACK and CONNECT packets."""
        for name in ("_handle_event_internal", "_handle_connect"):
            original = getattr(server, name)
            if getattr(original, "_ack_gate", False):
                continue

            def wrapped(*args: Any, __original: Any = original, **kwargs: Any) -> Any:
                try:
                    return __original(*args, **kwargs)
                finally:
                    self.release(send)

            wrapped._ack_gate = True  # type: ignore[attr-defined]
            setattr(server, name, wrapped)
