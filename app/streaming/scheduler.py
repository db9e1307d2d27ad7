"""One scheduler per process: a heap of (deadline, stream), one task that wakes at
the earliest deadline and lets every due stream send what is due.

Instead of a greenlet (or thread) and a timer per stream, which is what costs the
most memory and CPU with many paced streams. Between two passes it waits at least
`tick_s`, so the events that fall due together go out in one pass (each at most one
tick late; pacing is by deadline, so lateness never accumulates); a stream that must
start now (a new question, a resume, a rewind) wakes it at once.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

import structlog

from app.streaming.stream import LiveStream

log = structlog.get_logger(__name__)

IDLE_WAIT_S = 1.0
DEFAULT_TICK_S = 0.005


class Scheduler:
    def __init__(
        self,
        start_task: Callable[..., Any],
        clock: Callable[[], float] = time.monotonic,
        tick_s: float = DEFAULT_TICK_S,
    ) -> None:
        self._start_task = start_task
        self._clock = clock
        self._tick_s = tick_s
        self._next_pass = 0.0  # no pass before this, unless a stream must start now
        self._urgent = False
        self._heap: list[tuple[float, int, LiveStream]] = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._running = False
        self._stopping = False

    def wake(self, stream: LiveStream, at: float | None = None) -> None:
        """Let `stream` send at `at` (default: now); a later wake replaces an earlier one."""
        when = self._clock() if at is None else at
        with self._cond:
            stream.due_at = when
            heapq.heappush(self._heap, (when, next(self._order), stream))
            if at is None:
                self._urgent = True
            if not self._running:
                self._running = True
                self._start_task(self._run)
            elif at is None or self._heap[0][2] is stream:
                self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify()

    def pending(self) -> int:
        with self._cond:
            return len(self._heap)

    def _due(self) -> list[LiveStream]:
        """Wait for the earliest deadline; pop every entry due by then."""
        with self._cond:
            while not self._stopping:
                now = self._clock()
                ready = self._urgent or now >= self._next_pass
                if ready and self._heap and self._heap[0][0] <= now:
                    self._urgent = False
                    self._next_pass = now + self._tick_s
                    due = []
                    while self._heap and self._heap[0][0] <= now:
                        at, _, stream = heapq.heappop(self._heap)
                        if stream.due_at == at:  # else superseded by a later wake
                            stream.due_at = None
                            due.append(stream)
                    return due
                if not self._heap:
                    self._cond.wait(IDLE_WAIT_S)
                else:
                    self._cond.wait(max(self._heap[0][0], self._next_pass) - now)
            return []

    def _run(self) -> None:
        while not self._stopping:
            for stream in self._due():
                try:
                    at = stream.tick(self._clock())
                except Exception:  # one broken stream must not stop the others
                    log.exception("stream_tick_failed", interaction_id=stream.interaction_id)
                    stream.fail("internal_error")
                    at = self._clock()
                if at is not None:
                    with self._cond:
                        if stream.due_at is None or at < stream.due_at:
                            stream.due_at = at
                            heapq.heappush(self._heap, (at, next(self._order), stream))
