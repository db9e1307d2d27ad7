"""How packets reach a websocket client in gevent mode: frames written straight to
the socket (`frames`), connections served without Engine.IO's queue and writer
greenlet (`connection`), pings from timers (`pings`)."""

from __future__ import annotations

from typing import Any

from app.socket_events.websocket import pings
from app.socket_events.websocket.connection import websocket_class


def install(sio_server: Any, max_pending: int) -> None:
    """Websocket connections of this Socket.IO server are served this way."""
    eio = sio_server.eio
    eio._async = {**eio._async, "websocket": websocket_class(max_pending)}
    pings.install(eio)


def flushed(eio_socket: Any) -> bool:
    """Nothing of this socket waits in Engine.IO's queue or in its writer."""
    writer = getattr(eio_socket, "frame_writer", None)
    return eio_socket.queue.empty() and (writer is None or writer.idle)
