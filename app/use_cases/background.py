"""Store writes that must not hold up the stream scheduler run here, in order.

A write that failed because a store is unreachable is tried again later (backoff
of 1, 2, 4, ... s, for about RETRY_FOR_S), so a stream that finished from memory
during an outage is still settled once the store is back, without a restart.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import structlog

from app.repositories.outages import is_store_outage

log = structlog.get_logger(__name__)

RETRY_DELAYS_S = (1, 2, 4, 8, 15, 30, 30)  # about RETRY_FOR_S in all
RETRY_FOR_S = sum(RETRY_DELAYS_S)

Item = tuple[Callable[..., Any], tuple[Any, ...], int]


class Worker:
    """One background task draining a FIFO of calls; started on the first submit."""

    def __init__(
        self, start_task: Callable[..., Any], sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._start_task = start_task
        self._sleep = sleep
        self._queue: queue.Queue[Item | None] = queue.Queue()
        self._started = False
        self._lock = threading.Lock()
        self._idle = threading.Condition()
        self._pending = 0

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        with self._idle:
            self._pending += 1
        self._queue.put((fn, args, 0))
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
            fn, args, attempt = item
            name = getattr(fn, "__name__", "?")
            try:
                fn(*args)
            except Exception as exc:  # a failed write is logged; the next ones still run
                if is_store_outage(exc) and attempt < len(RETRY_DELAYS_S):
                    log.warning("background_write_retried", call=name, attempt=attempt + 1)
                    self._start_task(self._later, (fn, args, attempt + 1))
                    continue  # still pending
                log.exception("background_write_failed", call=name)
            self._done()

    def _later(self, item: Item) -> None:
        self._sleep(RETRY_DELAYS_S[item[2] - 1])
        self._queue.put(item)

    def _done(self) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()
