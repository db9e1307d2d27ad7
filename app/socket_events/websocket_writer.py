"""Packets written straight to a websocket connection (gevent mode).

Engine.IO puts every outgoing packet in a queue per connection, which a writer
greenlet per connection empties into gevent-websocket: each streamed event costs a
queue put, a wake-up and a switch to that greenlet, a queue get with a timeout, and
gevent-websocket's framing. With many paced streams that was the largest share of
the server's CPU (py-spy at 500-1,000 streams: ~40 % in the queue put and ~20 % in
the writer greenlets).

Once a connection is a websocket, `install` has its packets framed here and written
to the socket at once by whichever greenlet sends them, without waiting: what the
kernel does not take now is kept, in order, and written by one flusher greenlet,
and every later frame is appended behind it. All bytes to the connection go through
its `FrameWriter`, gevent-websocket's own close and pong frames included, so frames
never interleave. Packets Engine.IO queued before the websocket handler started (the
open packet, the Socket.IO connect) still go out through its writer greenlet, and a
packet sent while that queue holds anything is queued behind it, so the order on the
wire is always the order of the sends.

A client that stops reading while frames pile up for it is cut once more than
`max_pending` bytes wait (the reader then ends the connection the usual way).
"""

from __future__ import annotations

import contextlib
import socket
import struct
from typing import Any

import gevent
from engineio import packet as eio_packet

TEXT, BINARY = 0x1, 0x2
_MESSAGE = str(eio_packet.MESSAGE)


def frame(payload: bytes, opcode: int = TEXT) -> bytes:
    """One final, unmasked websocket frame (a server's frames are never masked)."""
    size = len(payload)
    if size < 126:
        return bytes((0x80 | opcode, size)) + payload
    if size < 65536:
        return struct.pack("!BBH", 0x80 | opcode, 126, size) + payload
    return struct.pack("!BBQ", 0x80 | opcode, 127, size) + payload


class FrameWriter:
    """The only writer of one connection: writes now what the kernel takes, keeps the rest."""

    __slots__ = ("_sock", "_os_sock", "_pending", "_flusher", "_max_pending", "dead")

    def __init__(self, gevent_sock: Any, max_pending: int) -> None:
        self._sock = gevent_sock
        self._os_sock = gevent_sock._sock  # gevent keeps it non-blocking
        self._pending: bytearray | None = None
        self._flusher: Any = None
        self._max_pending = max_pending
        self.dead = False

    def write(self, data: bytes) -> None:
        if self.dead:
            return
        if self._pending is not None:
            self._pending += data
            if len(self._pending) > self._max_pending:
                self._cut()
            return
        try:
            sent = self._os_sock.send(data)
        except BlockingIOError:
            sent = 0
        except OSError:
            self.dead = True
            return
        if sent < len(data):
            self._pending = bytearray(memoryview(data)[sent:])
            self._flusher = gevent.spawn(self._flush)

    @property
    def idle(self) -> bool:
        return self._pending is None or self.dead

    def flush(self) -> None:
        """Wait until everything written so far has reached the kernel (or failed)."""
        flusher = self._flusher
        if flusher is not None and flusher is not gevent.getcurrent():
            flusher.join()

    def _flush(self) -> None:
        try:
            while self._pending:
                chunk, self._pending = self._pending, bytearray()
                self._sock.sendall(chunk)
        except OSError:
            self.dead = True
        finally:
            self._pending = None
            self._flusher = None

    def _cut(self) -> None:
        self.dead = True
        self._pending = bytearray()
        with contextlib.suppress(OSError):
            self._os_sock.shutdown(socket.SHUT_RDWR)


def flushed(eio_socket: Any) -> bool:
    """Nothing of this socket waits in Engine.IO's queue or in its writer."""
    writer = getattr(eio_socket, "frame_writer", None)
    return eio_socket.queue.empty() and (writer is None or writer.idle)


def send_message(eio_socket: Any, text: str) -> bool:
    """Write an Engine.IO MESSAGE packet now, if `eio_socket` has a writer and
    nothing queued ahead of it; False when it must go through `eio_socket.send`."""
    writer = getattr(eio_socket, "frame_writer", None)
    if writer is None or not _direct(eio_socket):
        return False
    if eio_socket.check_ping_timeout():
        writer.write(frame((_MESSAGE + text).encode()))
    return True


def _direct(eio_socket: Any) -> bool:
    """Nothing is queued ahead, and the connection is a websocket (not polling, and
    not in the middle of an upgrade, while Engine.IO holds packets back)."""
    return (
        eio_socket.upgraded
        and not eio_socket.upgrading
        and not eio_socket.closed
        and eio_socket.queue.empty()
    )


def websocket_class(max_pending: int) -> type:
    """engineio's gevent-websocket wrapper, writing through a `FrameWriter`."""

    class WebSocketWSGI:
        def __init__(self, handler: Any, server: Any) -> None:
            self.app = handler

        def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
            ws = environ.get("wsgi.websocket")
            if ws is None:
                raise RuntimeError("not served by gevent-websocket's handler (see serving.py)")
            self._sock = ws
            self.environ = environ
            self.writer = FrameWriter(ws.handler.socket, max_pending)
            ws.raw_write = self.writer.write  # its close and pong frames too
            eio_socket = self.app.__self__  # the Engine.IO socket whose handler this is
            eio_socket.frame_writer = self.writer
            direct_packets(eio_socket)
            return self.app(self)

        def send(self, message: str | bytes) -> None:
            if isinstance(message, str):
                self.writer.write(frame(message.encode(), TEXT))
            else:
                self.writer.write(frame(bytes(message), BINARY))

        def wait(self) -> Any:
            return self._sock.receive()

        def close(self) -> None:
            self.writer.flush()
            self._sock.close()
            self.writer.flush()

    return WebSocketWSGI


def direct_packets(eio_socket: Any) -> None:
    """Every packet of this socket (pings, acks, events, close) is written at once
    when nothing is queued ahead of it; otherwise Engine.IO queues it as before."""
    queued_send = eio_socket.send

    def send(pkt: Any) -> None:
        writer = eio_socket.frame_writer
        if not _direct(eio_socket):
            queued_send(pkt)
        elif eio_socket.check_ping_timeout():
            data = pkt.encode()
            if isinstance(data, str):
                writer.write(frame(data.encode(), TEXT))
            else:
                writer.write(frame(data, BINARY))

    eio_socket.send = send


def install(sio_server: Any, max_pending: int) -> None:
    """Websocket connections of this server write through a `FrameWriter`."""
    eio = sio_server.eio
    eio._async = {**eio._async, "websocket": websocket_class(max_pending)}
