"""AckGate: while a handler of a socket runs, events to that socket wait; they go out,
in order, once the last handler holding it has returned (its ack is queued).

The stream side (a stream started by the handler sends nothing before the ack) is
`test_first_event_waits_for_the_ack` in test_live_stream.py.
"""

from __future__ import annotations

import threading
from typing import Any

from app.socket_events.ack_gate import AckGate

WAIT_S = 10.0


class Socket:
    """What the gate flushes: (sid, event, payload) in order."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sent: list[tuple[str, str, dict[str, Any]]] = []

    def __call__(self, sid: str, event: str, payload: dict[str, Any]) -> None:
        with self.lock:
            self.sent.append((sid, event, payload))


def test_ack_gate_defers_a_held_sid_and_release_flushes_in_order() -> None:
    gate, socket = AckGate(), Socket()
    assert gate.defer("sid-1", "e0", {"n": 0}) is False  # not held: goes out now
    gate.hold("sid-1")
    for n in range(1, 4):
        assert gate.defer("sid-1", f"e{n}", {"n": n}) is True
    assert gate.defer("sid-2", "other", {}) is False  # only the held sid waits
    assert socket.sent == []
    gate.release(socket)
    assert socket.sent == [("sid-1", f"e{n}", {"n": n}) for n in range(1, 4)]
    assert gate.defer("sid-1", "after", {}) is False  # released: no longer held
    gate.release(socket)  # nothing held by this thread: nothing sent
    assert len(socket.sent) == 3


def test_ack_gate_two_concurrent_holds_flush_after_both_released() -> None:
    """Two handlers of one socket run at once (engine.io may do that): the events wait
    for the later ack, then all go out in order, once."""
    gate, socket = AckGate(), Socket()
    first_held, second_held = threading.Event(), threading.Event()
    release_first, release_second = threading.Event(), threading.Event()
    first_done, second_done = threading.Event(), threading.Event()

    def handler(held: threading.Event, go: threading.Event, done: threading.Event) -> None:
        gate.hold("sid-1")
        held.set()
        go.wait(WAIT_S)
        gate.release(socket)
        done.set()

    threads = [
        threading.Thread(target=handler, args=(first_held, release_first, first_done)),
        threading.Thread(target=handler, args=(second_held, release_second, second_done)),
    ]
    for thread in threads:
        thread.start()
    assert first_held.wait(WAIT_S) and second_held.wait(WAIT_S)
    assert gate.defer("sid-1", "a", {"n": 1}) is True
    release_first.set()
    assert first_done.wait(WAIT_S)
    assert gate.defer("sid-1", "b", {"n": 2}) is True  # still held by the second handler
    assert socket.sent == []
    release_second.set()
    assert second_done.wait(WAIT_S)
    for thread in threads:
        thread.join(WAIT_S)
    assert socket.sent == [("sid-1", "a", {"n": 1}), ("sid-1", "b", {"n": 2})]
    assert gate.defer("sid-1", "c", {}) is False


def test_ack_gate_one_thread_holding_two_sids_flushes_both() -> None:
    gate, socket = AckGate(), Socket()
    gate.hold("sid-1")
    gate.hold("sid-2")
    gate.hold("sid-1")  # held twice by the same dispatch
    assert gate.defer("sid-1", "x", {}) and gate.defer("sid-2", "y", {})
    gate.release(socket)
    assert sorted(socket.sent, key=lambda s: s[0]) == [("sid-1", "x", {}), ("sid-2", "y", {})]
    assert gate.defer("sid-1", "z", {}) is False and gate.defer("sid-2", "z", {}) is False
