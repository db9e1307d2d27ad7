"""How `python run.py` serves: one process by default, or `SERVER_WORKERS` processes
sharing one listening socket (gevent mode), each a whole instance of the app.

In gevent mode the server is gevent's pywsgi with gevent-websocket's handler (one of
Flask-SocketIO's documented modes). Measured on the streaming workload, against
simple-websocket, it costs about a third of the memory per connection and 20–45 µs
less per event, since simple-websocket always negotiates permessage-deflate and runs
a reader greenlet of its own. The handler also turns on TCP_NODELAY (pywsgi does
not; without it small frames wait for the peer's delayed ACK) and reads through a
small buffer. After start-up, the objects the app made are frozen out of the
garbage collector's sight, and the young generation is collected every few thousand
allocations rather than every 700, with full collections rarer still.

With several workers, each binds its own listening socket to the same port with
SO_REUSEPORT and the kernel spreads new connections evenly over them (one shared
socket would let whichever worker wakes first take nearly all of them while the
load is light); a websocket connection stays on the worker that accepted it, so
websocket-only clients need no sticky routing. The workers share Redis (the message queue, sessions, stream
positions) and the database, exactly as instances on several machines do.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

from flask import Flask

READ_BUFFER_BYTES = 1024  # a websocket connection reads small frames; io's default is 8 KiB
LISTEN_BACKLOG = 2048
# Young collections every 20,000 net allocations: at 50,000 a collection took 14-46 ms at
# 500 streams (the p99 of an ask), at 5,000 they cost enough CPU to slow 1,000 streams
# (ask p50 197 vs 69 ms). Full collections only after 100 middle ones: what reaches the
# old generation here is connections and plans, nearly never garbage.
GC_THRESHOLDS = (20_000, 10, 100)
SUPERVISE_POLL_S = 0.01


def tune_gc() -> None:
    """Freeze what start-up made; collect less often (GC_THRESHOLDS)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def websocket_handler() -> type:
    """gevent-websocket's handler with TCP_NODELAY and a small read buffer."""
    from geventwebsocket.handler import WebSocketHandler

    class Handler(WebSocketHandler):  # type: ignore[misc]
        def __init__(self, sock: Any, address: Any, server: Any, rfile: Any = None) -> None:
            with contextlib.suppress(OSError):  # not TCP (a socketpair): nothing to tune
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if rfile is None:
                rfile = sock.makefile("rb", READ_BUFFER_BYTES)
            super().__init__(sock, address, server, rfile)

        def run_application(self) -> None:
            """A connection that was upgraded is never read as HTTP again.

            pywsgi's keep-alive loop reads the next request line from the socket after
            the application returns. Once the websocket has ended, whatever the peer
            still sends (its close frame, `\x88\x82...`) would be parsed as a request
            and logged as `Invalid HTTP method`; the connection is closed instead.
            (gevent-websocket's `_prepare_response` also marks it when it sends the 101;
            this does not depend on that.)
            """
            try:
                super().run_application()
            finally:
                if "wsgi.websocket_version" in self.environ or self.code == 101:
                    self.close_connection = True

        def log_request(self) -> None:
            """No access lines: the server runs with `log=None`, which gevent-websocket's
            own `log_request` ignores (it writes every HTTP request to the root logger)."""

    return Handler


def listen(host: str, port: int, reuse_port: bool = False) -> Any:
    from gevent import socket as gsocket

    listener = gsocket.socket(gsocket.AF_INET, gsocket.SOCK_STREAM)
    listener.setsockopt(gsocket.SOL_SOCKET, gsocket.SO_REUSEADDR, 1)
    if reuse_port:
        listener.setsockopt(gsocket.SOL_SOCKET, gsocket.SO_REUSEPORT, 1)
    listener.bind((host, port))
    listener.listen(LISTEN_BACKLOG)
    return listener


def serve_gevent(
    app_factory: Callable[[], Flask],
    host: str,
    port: int,
    workers: int,
    shutdown_timeout_s: float = 1.0,
) -> None:
    """Serve from `workers` processes, each on its own SO_REUSEPORT socket of the port."""
    from gevent import pywsgi

    # Bound before forking, so a port in use fails here; with workers, closed again
    # (a socket nobody accepts on would still be handed connections).
    listener = listen(host, port, reuse_port=workers > 1)
    if workers > 1:
        listener.close()

    def run_one() -> None:
        import gevent

        from app.shutdown import install_gevent

        nonlocal listener
        if workers > 1:
            listener = listen(host, port, reuse_port=True)
        app = app_factory()
        tune_gc()
        server = pywsgi.WSGIServer(listener, app, handler_class=websocket_handler(), log=None)
        install_gevent(app, server)
        server.serve_forever()
        # Closed by the graceful stop, which exits the process when it is done.
        gevent.sleep(app.extensions["guia"].settings.SHUTDOWN_TIMEOUT_S + 1)

    if workers <= 1:
        run_one()
        return
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # the child: an instance of its own
            try:
                run_one()
            finally:
                os._exit(0)
        children.append(pid)

    sys.exit(supervise(children, shutdown_timeout_s))


def supervise(children: list[int], shutdown_timeout_s: float) -> int:
    """Forward SIGTERM/SIGINT to every worker (each stops gracefully) and wait for them;
    a worker still alive `shutdown_timeout_s` + 0.5 s after the signal is killed."""
    deadline: list[float] = []

    def forward(signum: int, _frame: Any) -> None:
        if not deadline:
            deadline.append(time.monotonic() + shutdown_timeout_s + 0.5)
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, forward)
    status, alive = 0, set(children)
    while alive:
        for child in list(alive):
            pid, code = os.waitpid(child, os.WNOHANG)
            if pid:
                alive.discard(child)
                status = status or max(0, os.waitstatus_to_exitcode(code))
        if alive and deadline and time.monotonic() > deadline[0]:
            for child in alive:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGKILL)
        time.sleep(SUPERVISE_POLL_S)
    return status


def main() -> None:
    """`python run.py`: the settings decide the mode, the address and the workers."""
    from app import create_app
    from app.config import load_settings
    from app.extensions import socketio

    settings = load_settings()
    workers = settings.SERVER_WORKERS
    print(
        f"Guía IPN backend on http://{settings.HOST}:{settings.PORT} ({settings.APP_ENV}, "
        f"{settings.SOCKETIO_ASYNC_MODE}, {workers} worker{'s' if workers > 1 else ''})",
        flush=True,
    )
    if settings.SOCKETIO_ASYNC_MODE == "gevent":
        serve_gevent(create_app, settings.HOST, settings.PORT, workers, settings.SHUTDOWN_TIMEOUT_S)
        return
    from app.shutdown import install_threading

    app = create_app()
    install_threading(app)
    socketio.run(
        app,
        host=settings.HOST,
        port=settings.PORT,
        allow_unsafe_werkzeug=True,
        use_reloader=False,
        log_output=False,
    )
