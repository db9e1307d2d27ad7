"""Engine.IO's pings from timers instead of a sleeping greenlet per connection.

After each pong Engine.IO starts a background task that sleeps `ping_interval` and
then sends a ping: one greenlet per connection, alive nearly all the time. Here that
task is a libev timer, and only when it fires does a short greenlet send the ping
(with Engine.IO's own checks: nothing for a socket that closed meanwhile).
"""

from __future__ import annotations

import time
from typing import Any

import gevent
from engineio import packet as eio_packet
from engineio.socket import Socket

_SEND_PING = Socket._send_ping


def install(eio: Any) -> None:
    """`eio.start_background_task(socket._send_ping)` arms a timer instead."""
    start = eio.start_background_task

    def start_background_task(target: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(target, "__func__", None) is _SEND_PING and not args and not kwargs:
            return ping_later(target.__self__)
        return start(target, *args, **kwargs)

    eio.start_background_task = start_background_task


def ping_later(eio_socket: Any) -> Any:
    timer = gevent.get_hub().loop.timer(eio_socket.server.ping_interval)
    timer.start(_due, eio_socket, timer)
    return timer


def _due(eio_socket: Any, timer: Any) -> None:
    timer.close()
    gevent.spawn(_ping, eio_socket)  # a hub callback must not block: sending may


def _ping(eio_socket: Any) -> None:
    """`Socket._send_ping` after its sleep."""
    if not eio_socket.closing and not eio_socket.closed:
        eio_socket.last_ping = time.time()
        eio_socket.send(eio_packet.Packet(eio_packet.PING))
