"""Frames as gevent-websocket builds them; the writer keeps bytes in the order written
even when the kernel takes only part, and cuts a reader that stops."""

from __future__ import annotations

import gevent
import pytest
from gevent import socket as gsocket
from geventwebsocket.websocket import Header

from app.socket_events.websocket.frames import BINARY, TEXT, FrameWriter, frame


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 200_000])
@pytest.mark.parametrize("opcode", [TEXT, BINARY])
def test_frames_match_gevent_websocket(size: int, opcode: int) -> None:
    payload = b"x" * size
    assert frame(payload, opcode) == Header.encode_header(True, opcode, b"", size, 0) + payload


def pair(sndbuf: int = 4096) -> tuple[gsocket.socket, gsocket.socket]:
    a, b = gsocket.socketpair()
    a.setsockopt(gsocket.SOL_SOCKET, gsocket.SO_SNDBUF, sndbuf)
    b.setsockopt(gsocket.SOL_SOCKET, gsocket.SO_RCVBUF, sndbuf)
    return a, b


def read_exactly(sock: gsocket.socket, size: int) -> bytes:
    got = bytearray()
    while len(got) < size:
        chunk = sock.recv(65536)
        if not chunk:
            break
        got += chunk
    return bytes(got)


def test_small_writes_go_out_at_once_without_a_flusher() -> None:
    a, b = pair()
    writer = FrameWriter(a, max_pending=1 << 20)
    writer.write(b"hello")
    assert writer.idle
    assert b.recv(16) == b"hello"


def test_what_the_kernel_refuses_is_kept_in_order_and_flushed() -> None:
    a, b = pair()
    writer = FrameWriter(a, max_pending=1 << 24)
    parts = [bytes([i % 251]) * 3000 for i in range(400)]  # 1.2 MB, far over the buffers
    for part in parts:
        writer.write(part)
    assert not writer.idle  # the rest waits for the reader
    expected = b"".join(parts)
    reader = gevent.spawn(read_exactly, b, len(expected))
    writer.flush()
    assert writer.idle
    assert reader.get(timeout=10) == expected


def test_a_reader_that_stops_is_cut_past_the_limit() -> None:
    a, b = pair()
    writer = FrameWriter(a, max_pending=100_000)
    for _ in range(100):
        writer.write(b"y" * 2000)
    assert writer.dead
    writer.write(b"more")  # dropped, never raises
    assert writer.idle
    data = read_exactly(b, 10_000_000)  # the peer sees the connection end
    assert len(data) < 100 * 2000


def test_a_closed_peer_marks_the_writer_dead() -> None:
    a, b = pair()
    writer = FrameWriter(a, max_pending=1 << 20)
    b.close()
    for _ in range(3):
        writer.write(b"z" * 10)
    gevent.sleep(0)
    assert writer.dead
