"""A websocket connection without Engine.IO's queue: packets written in the order put
(what was queued before first), None closes, pings from timers, and a packet sent on
the socket is on the wire at once."""

from __future__ import annotations

import time

import gevent
from engineio import packet as eio_packet
from gevent import socket as gsocket
from gevent.queue import JoinableQueue

from app.socket_events.websocket import flushed, pings
from app.socket_events.websocket.connection import DirectQueue
from app.socket_events.websocket.frames import FrameWriter, frame


def pair() -> tuple[gsocket.socket, gsocket.socket]:
    return gsocket.socketpair()


def read(sock: gsocket.socket, size: int) -> bytes:
    got = b""
    while len(got) < size:
        got += sock.recv(65536)
    return got


def test_what_engineio_queued_goes_first_then_each_put_at_once() -> None:
    a, b = pair()
    writer = FrameWriter(a, 1 << 20)
    queued = JoinableQueue()
    queued.put(eio_packet.Packet(eio_packet.OPEN, {"sid": "x"}))
    queued.put(eio_packet.Packet(eio_packet.MESSAGE, "0{}"))
    closed = []
    queue = DirectQueue(queued, writer, lambda: closed.append(True))
    assert queued.empty() and queued.unfinished_tasks == 0  # a join() would not hang
    queue.put(eio_packet.Packet(eio_packet.MESSAGE, "2[1]"))
    queue.put(eio_packet.Packet(eio_packet.MESSAGE, "2[2]"))
    expected = [
        frame(eio_packet.Packet(eio_packet.OPEN, {"sid": "x"}).encode().encode()),
        frame(b"40{}"),
        frame(b"42[1]"),
        frame(b"42[2]"),
    ]
    assert read(b, sum(map(len, expected))) == b"".join(expected)
    assert queue.empty()
    queue.put(None)  # the socket closed: the websocket closes, nothing more is written
    queue.put(eio_packet.Packet(eio_packet.MESSAGE, "2[3]"))
    assert closed == [True]
    a.close()
    assert b.recv(10) == b""


class FakeServer:
    ping_interval = 0.05


class FakeEioSocket:
    def __init__(self, queue: object) -> None:
        self.server = FakeServer()
        self.queue = queue
        self.closed = self.closing = False
        self.last_ping: float | None = None
        self.sent: list[eio_packet.Packet] = []

    def check_ping_timeout(self) -> bool:
        return True

    def send(self, pkt: eio_packet.Packet) -> None:
        self.sent.append(pkt)


def test_a_ping_is_sent_when_its_timer_fires_and_not_to_a_closed_socket() -> None:
    open_socket, closed_socket = FakeEioSocket(None), FakeEioSocket(None)
    closed_socket.closed = True
    pings.ping_later(open_socket)
    pings.ping_later(closed_socket)
    assert open_socket.sent == []
    started = time.monotonic()
    while not open_socket.sent and time.monotonic() - started < 2:
        gevent.sleep(0.01)
    assert [p.packet_type for p in open_socket.sent] == [eio_packet.PING]
    assert open_socket.last_ping is not None
    gevent.sleep(0.1)
    assert closed_socket.sent == []


def test_the_ping_task_of_engineio_becomes_a_timer_and_other_tasks_still_start() -> None:
    class Eio:
        def __init__(self) -> None:
            self.started: list[object] = []

        def start_background_task(self, target: object, *args: object) -> str:
            self.started.append(target)
            return "task"

    from engineio.socket import Socket

    eio = Eio()
    pings.install(eio)
    sock = Socket.__new__(Socket)
    sock.server = FakeServer()
    sock.closing = sock.closed = True  # nothing to send when the timer fires
    timer = eio.start_background_task(sock._send_ping)
    assert eio.started == [] and timer.active
    timer.close()
    assert eio.start_background_task(print) == "task" and eio.started == [print]


def test_a_packet_sent_on_a_direct_socket_is_on_the_wire_at_once() -> None:
    from engineio import Server
    from engineio.socket import Socket

    a, b = pair()
    sock = Socket(Server(async_mode="gevent"), "sid")
    sock.queue = DirectQueue(sock.queue, FrameWriter(a, 1 << 20), lambda: None)
    sock.send(eio_packet.Packet(eio_packet.MESSAGE, "2[1]"))  # what every emit ends in
    assert read(b, len(frame(b"42[1]"))) == frame(b"42[1]")
    assert flushed(sock)
    polling = FakeEioSocket(JoinableQueue())
    assert flushed(polling)
    polling.queue.put("a packet")
    assert not flushed(polling)
