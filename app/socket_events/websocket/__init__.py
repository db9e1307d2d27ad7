"""How packets reach a websocket client in gevent mode: frames written straight to
the socket (`frames`), connections served without Engine.IO's queue and writer
greenlet (`connection`), pings from timers (`pings`)."""

from __future__ import annotations

from typing import Any

from app.socket_events.websocket import pings
from app.socket_events.websocket.connection import DirectQueue, websocket_class


def install(sio_server: Any, max_pending: int) -> None:
    """Websocket connections of this Socket.IO server are served this way."""
    eio = sio_server.eio
    eio._async = {**eio._async, "websocket": websocket_class(max_pending)}
    pings.install(eio)


def send_message(eio_socket: Any, text: str) -> bool:
    """Write an Engine.IO MESSAGE packet of already encoded text now, if the socket is
    a websocket served by `connection.serve`; False when it must go through
    Engine.IO (long-polling, or an upgraded connection)."""
    queue = eio_socket.queue
    if type(queue) is not DirectQueue:
        return False
    if not eio_socket.closed and eio_socket.check_ping_timeout():
        queue.put_text(text)
    return True  # a closed socket: nothing is sent, as with an emit to it


def flushed(eio_socket: Any) -> bool:
    """Nothing of this socket waits in Engine.IO's queue or in its writer."""
    writer = getattr(eio_socket, "frame_writer", None)
    return eio_socket.queue.empty() and (writer is None or writer.idle)
