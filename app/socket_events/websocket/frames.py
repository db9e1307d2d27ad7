"""Websocket frames, and the one writer of a connection's socket."""

from __future__ import annotations

import contextlib
import socket
import struct
from typing import Any

import gevent

TEXT, BINARY = 0x1, 0x2


def frame(payload: bytes, opcode: int = TEXT) -> bytes:
    """One final, unmasked websocket frame (a server's frames are never masked)."""
    size = len(payload)
    if size < 126:
        return bytes((0x80 | opcode, size)) + payload
    if size < 65536:
        return struct.pack("!BBH", 0x80 | opcode, 126, size) + payload
    return struct.pack("!BBQ", 0x80 | opcode, 127, size) + payload


def encoded_frame(data: str | bytes) -> bytes:
    """An encoded Engine.IO packet as its frame: text as text, bytes as binary."""
    if isinstance(data, str):
        return frame(data.encode(), TEXT)
    return frame(bytes(data), BINARY)


class FrameWriter:
    """The only writer of one connection: writes now what the kernel takes, keeps the rest.

    Never waits: what the kernel does not take at once is kept, in order, and written
    by one flusher greenlet, and every later write is appended behind it. A reader
    that stops reading is cut once more than `max_pending` bytes wait for it (its
    socket is shut down, so the connection's reader ends it the usual way)."""

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
