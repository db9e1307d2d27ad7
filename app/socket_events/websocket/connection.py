"""A websocket connection served without Engine.IO's packet queue and writer greenlet.

Engine.IO puts every outgoing packet in a queue per connection, which a writer
greenlet per connection empties into gevent-websocket: each streamed event cost a
queue put, a wake-up of and a switch to that greenlet, a queue get with a timeout,
and gevent-websocket's framing, and every connection kept the writer's greenlet,
queue and timers. With many paced streams that was the largest share of the
server's CPU (py-spy at 500-1,000 streams: ~40 % in the queue put and ~20 % in the
writer greenlets).

Here a connection that is a websocket from its first request (the clients of the
contract connect so) is served by `serve`, Engine.IO's websocket loop without the
writer: its queue is replaced by a `DirectQueue`, which frames each packet put in it
and hands it to the connection's `FrameWriter` at once, in the order of the puts
(what Engine.IO queued before, the open packet and the Socket.IO connect, first).
A connection that upgrades from long-polling keeps Engine.IO's own handler and
queue; its bytes still go through its `FrameWriter`. gevent-websocket's own close
and pong frames go through the writer too, so frames never interleave.
"""

from __future__ import annotations

from typing import Any

from engineio import exceptions
from engineio import packet as eio_packet

from app.socket_events.websocket.frames import FrameWriter, encoded_frame


class DirectQueue:
    """Stands in for the packet queue of a websocket connection's Engine.IO socket:
    a packet put is written at once; None (the socket closed) closes the websocket,
    as Engine.IO's writer does when it takes it."""

    __slots__ = ("writer", "_close", "ended")

    def __init__(self, queued: Any, writer: FrameWriter, close: Any) -> None:
        self.writer = writer
        self._close = close
        self.ended = False
        while not queued.empty():  # what Engine.IO queued before the websocket began
            self.put(queued.get_nowait())
            queued.task_done()

    def put(self, pkt: Any, *_args: Any, **_kwargs: Any) -> None:
        if self.ended:
            return
        if pkt is None:
            self.ended = True
            self._close()
            return
        self.writer.write(encoded_frame(pkt.encode()))

    def empty(self) -> bool:
        return True

    def task_done(self) -> None:
        pass

    def join(self) -> None:
        self.writer.flush()

    def get(self, *_args: Any, **_kwargs: Any) -> Any:
        raise exceptions.QueueEmpty()  # only long-polling reads the queue


def serve(eio_socket: Any, ws: Any) -> list[Any]:
    """Engine.IO's websocket loop (`Socket._websocket_handler`, pinned python-engineio)
    for a connection that is a websocket from the start, minus the writer greenlet."""
    server = eio_socket.server
    eio_socket.connected = True
    eio_socket.upgraded = True
    eio_socket.queue = DirectQueue(eio_socket.queue, ws.writer, ws.close)
    server.logger.info("%s: Upgrade to websocket successful", eio_socket.sid)
    while True:
        try:
            data = ws.wait()
            if data and len(data) > server.max_http_buffer_size:
                raise ValueError("packet is too large")
        except Exception as exc:
            if not eio_socket.closed:
                server.logger.info(
                    '%s: Unexpected error "%s", closing connection', eio_socket.sid, exc
                )
            break
        if data is None:  # closed by the client
            break
        try:
            eio_socket.receive(eio_packet.Packet(encoded_packet=data))
        except exceptions.UnknownPacketError:
            pass
        except exceptions.SocketIsClosedError:
            server.logger.info("Receive error -- socket is closed")
            break
        except Exception:
            server.logger.exception("Unknown receive error")
            break
    eio_socket.queue.put(None)
    eio_socket.close(wait=False, abort=True, reason=server.reason.TRANSPORT_CLOSE)
    return []


def websocket_class(max_pending: int) -> type:
    """Engine.IO's gevent-websocket wrapper (its `_async['websocket']`), writing
    through a `FrameWriter` and serving new websocket connections with `serve`."""

    class WebSocketWSGI:
        def __init__(self, handler: Any, server: Any) -> None:
            self.app = handler  # the Engine.IO socket's _websocket_handler

        def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
            ws = environ.get("wsgi.websocket")
            if ws is None:
                raise RuntimeError("not served by gevent-websocket's handler (see serving.py)")
            self._sock = ws
            self.environ = environ
            self.writer = FrameWriter(ws.handler.socket, max_pending)
            ws.raw_write = self.writer.write  # its close and pong frames too
            eio_socket = self.app.__self__
            eio_socket.frame_writer = self.writer
            if eio_socket.connected:  # an upgrade from long-polling: Engine.IO's own way
                return self.app(self)
            return serve(eio_socket, self)

        def send(self, message: str | bytes) -> None:
            self.writer.write(encoded_frame(message))

        def wait(self) -> Any:
            return self._sock.receive()

        def close(self) -> None:
            self.writer.flush()
            self._sock.close()
            self.writer.flush()

    return WebSocketWSGI
