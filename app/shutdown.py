"""Graceful stop of one server instance on SIGTERM or SIGINT, within SHUTDOWN_TIMEOUT_S.

1. The listener closes (gevent mode), so new connections go to another instance.
2. The stream scheduler stops: no event is sent after this point.
3. The interaction owner pauses every live stream at its last event sent and records
   that position in the session (Redis), synchronously, so a client that reconnects
   anywhere sees `active_interaction.paused == true` and `resume_explanation`
   continues at exactly the next event (with or without `after_seq`).
4. The sockets' outgoing bytes (Engine.IO queues, websocket writers' pending frames) get
   a moment to flush (the events already sent, and the `explanation_paused` that names
   the position), and the background writer a moment to finish its row updates; both
   bounded by the budget.
5. The process exits. The sockets are closed by the exit, not by a Socket.IO
   disconnect, so clients see a transport close and reconnect by themselves.

A second signal during the stop changes nothing; whatever happens, the process is
gone when 90% of the budget has passed (a timer exits it).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import structlog
from flask import Flask

log = structlog.get_logger(__name__)

SIGNALS = (signal.SIGTERM, signal.SIGINT)
FLUSH_SHARE = 0.3  # of the budget: sockets' outgoing queues
DRAIN_SHARE = 0.5  # of the budget, cumulative: the background writer
HARD_SHARE = 0.9  # of the budget: the timer that exits regardless (the kernel then
# closes the sockets: ~0.1-0.2 s for 1,000 of them on 2 cores)
POLL_S = 0.01


def exit_now(code: int = 0) -> None:
    """Leave at once (no interpreter shutdown: pools and threads cannot delay it)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def _queues_empty(server: Any) -> bool:
    from app.socket_events.websocket import flushed

    sockets = getattr(getattr(server, "eio", None), "sockets", {}) or {}
    return all(flushed(sock) for sock in list(sockets.values()))


def stop_instance(app: Flask, started: float | None = None) -> dict[str, Any]:
    """Steps 2-4 above; returns what was done (also logged as `server_stopped`)."""
    from app.extensions import socketio

    c = app.extensions["guia"]
    started = time.monotonic() if started is None else started
    budget = c.settings.SHUTDOWN_TIMEOUT_S
    c.scheduler.stop()
    paused = c.interactions.pause_all()
    paused_at = time.monotonic()
    while not _queues_empty(socketio.server) and time.monotonic() < started + budget * FLUSH_SHARE:
        time.sleep(POLL_S)
    time.sleep(POLL_S)  # a writer may hold the last packet it took
    drained = c.worker.drain(max(0.0, started + budget * DRAIN_SHARE - time.monotonic()))
    done = {
        "paused_streams": paused,
        "pause_ms": int((paused_at - started) * 1000),
        "writes_drained": drained,
        "ms": int((time.monotonic() - started) * 1000),
    }
    log.info("server_stopped", pid=os.getpid(), **done)
    return done


def _stopper(app: Flask, before: Callable[[], None]) -> Callable[..., None]:
    """The signal's action: once, bounded by a timer that exits regardless."""
    lock = threading.Lock()
    budget = app.extensions["guia"].settings.SHUTDOWN_TIMEOUT_S

    def stop(*_args: Any) -> None:
        if not lock.acquire(blocking=False):
            return  # already stopping
        started = time.monotonic()
        timer = threading.Timer(budget * HARD_SHARE, exit_now, (1,))
        timer.daemon = True
        timer.start()
        try:
            before()
            stop_instance(app, started)
        except Exception:  # leaving is all that is left to do
            log.exception("shutdown_failed")
            exit_now(1)
        exit_now(0)

    return stop


def install_gevent(app: Flask, server: Any) -> None:
    """gevent mode: the stop runs in a greenlet of its own (gevent.signal_handler)."""
    import gevent

    stop = _stopper(app, server.close)
    for signum in SIGNALS:
        gevent.signal_handler(signum, stop)


def install_threading(app: Flask) -> None:
    """threading mode: the stop runs in a thread, so the signal handler returns at once."""
    stop = _stopper(app, lambda: None)

    def on_signal(_signum: int, _frame: Any) -> None:
        threading.Thread(target=stop, name="shutdown", daemon=True).start()

    for signum in SIGNALS:
        signal.signal(signum, on_signal)
