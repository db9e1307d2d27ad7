"""A minimal Socket.IO v5 client over one raw websocket, for fuzzing.

It writes EVENT packets itself, so it can send what the libraries' clients will not:
any JSON value as the packet's data (no name, a number as the name, reserved names,
several arguments, none), and it reads the socket in one thread: the ack of a call
and every `error` event that arrived before it, pings answered on the way.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

import websocket

ABSENT = object()  # "no payload at all" (the packet's data holds only the name)


@dataclass
class Answer:
    ack: Any  # the ack's arguments (a list), or None if none came
    errors: list[dict[str, Any]] = field(default_factory=list)  # `error` events meanwhile
    events: int = 0  # other server events meanwhile (stream events, credits_updated...)


class RawSocketIO:
    def __init__(self, url: str, token: str, timeout: float = 10.0) -> None:
        base = url.replace("http://", "ws://")
        self.ws = websocket.create_connection(
            f"{base}/socket.io/?EIO=4&transport=websocket", timeout=timeout
        )
        self.ids = itertools.count(1)
        opened = self.ws.recv()
        assert opened.startswith("0"), opened
        self.ws.send("40" + json.dumps({"token": token}))
        self.session_ready: dict[str, Any] | None = None
        while self.session_ready is None:
            kind, data = self._read()
            if kind == "event" and data[0] == "session_ready":
                self.session_ready = data[1]
            elif kind == "connect_error":
                raise ConnectionError(data)

    def call_raw(self, data: Any) -> Answer:
        """Send an EVENT packet whose data is `data` (any JSON value), with an ack id."""
        ack_id = next(self.ids)
        encoded = json.dumps(data, ensure_ascii=False)
        if encoded[:1].isdigit() or encoded[:1] == "-":
            # `421` + `0` reads as ack id 10, `421` + `-5` as 1 attachment and id 5:
            # JSON may start with a space, the packet header may not.
            encoded = " " + encoded
        self.ws.send(f"42{ack_id}{encoded}")
        answer = Answer(ack=None)
        while True:
            kind, body = self._read()
            if kind == "ack" and body[0] == ack_id:
                answer.ack = body[1]
                return answer
            if kind == "event" and isinstance(body, list) and body and body[0] == "error":
                answer.errors.append(body[1])
            elif kind == "event":
                answer.events += 1

    def call(self, event: Any, *args: Any) -> Answer:
        return self.call_raw([event, *(a for a in args if a is not ABSENT)])

    def close(self) -> None:
        self.ws.close(timeout=0.2)

    def _read(self) -> tuple[str, Any]:
        """The next Socket.IO packet: ("event", data), ("ack", (id, data)), or another kind."""
        while True:
            message = self.ws.recv()
            if message == "2":  # Engine.IO ping
                self.ws.send("3")
                continue
            if not isinstance(message, str) or not message.startswith("4"):
                continue
            body = message[1:]
            if body.startswith("2"):
                return "event", json.loads(body[1:])
            if body.startswith("3"):
                digits = "".join(itertools.takewhile(str.isdigit, body[1:]))
                return "ack", (int(digits), json.loads(body[1 + len(digits) :]))
            if body.startswith("4"):
                return "connect_error", json.loads(body[1:])
            if body.startswith("0"):
                continue  # CONNECT accepted
            return "other", body
