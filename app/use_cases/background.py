"""Store writes that must not hold up the stream scheduler run here, in order."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

import structlog

log = structlog.get_logger(__name__)


class Worker:
    """One background task draining a FIFO of calls; started on the first submit."""

    def __init__(self, start_task: Callable[..., Any]) -> None:
        self._start_task = start_task
        self._queue: queue.Queue[tuple[Callable[..., Any], tuple[Any, ...]] | None] = queue.Queue()
        self._started = False
        self._lock = threading.Lock()
        self._idle = threading.Condition()
        self._pending = 0

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        with self._idle:
            self._pending += 1
        self._queue.put((fn, args))
        with self._lock:
            if not self._started:
                self._started = True
                self._start_task(self._run)

    def drain(self, timeout: float) -> bool:
        """Wait until every submitted call ran (shutdown, tests); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self) -> None:
        self._queue.put(None)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            fn, args = item
            try:
                fn(*args)
            except Exception:  # a failed write is logged; the next ones still run
                log.exception("background_write_failed", call=getattr(fn, "__name__", "?"))
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()
