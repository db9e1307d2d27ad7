"""The Socket.IO side of the streamer's `Transport`: events to one socket, errors,
and credit notices to every socket of a user (through the message queue).

A planned event is encoded once (the Socket.IO text around its interaction id and
`seq`, kept with the event, which every stream of a cached answer shares) and handed
to the socket as text: no JSON encoding, packet object or room lookup per streamed
event. It goes into the socket's Engine.IO queue, behind its acks; on a websocket
that queue writes it at once (`websocket.connection.DirectQueue`).
Interaction events are always local: they never go through the message queue.
"""

from __future__ import annotations

import json
from typing import Any

from engineio import packet as eio_packet
from flask_socketio import SocketIO

from app.domain.errors import Refused
from app.domain.event_plan import PlannedEvent
from app.socket_events.ack_gate import AckGate
from app.socket_events.messages import error_payload
from app.use_cases.credits import CreditNote

NAMESPACE = "/"
ENCODED = "socket.io"  # this transport's key in PlannedEvent.encoded
TEXT = ""  # the gate's event name for an already encoded packet


def encode(event: PlannedEvent) -> tuple[str, str, str]:
    """The Socket.IO EVENT packet of `event` around its interaction id and seq."""
    body = json.dumps(event.payload, ensure_ascii=False, separators=(",", ":"))
    tail = ("," + body[1:] if len(body) > 2 else "}") + "]"
    head = "2" + json.dumps([event.name])[:-1] + ',{"interaction_id":"'
    return head, '","seq":', tail


class SocketTransport:
    def __init__(self, socketio: SocketIO, gate: AckGate) -> None:
        self.socketio = socketio
        self.gate = gate

    def send(self, sid: str, event: str, payload: dict[str, Any]) -> None:
        if not self.gate.defer(sid, event, payload):
            self.emit(sid, event, payload)

    def send_planned(self, sid: str, event: PlannedEvent, interaction_id: str, seq: int) -> None:
        wire = event.encoded.get(ENCODED)
        if wire is None:
            wire = event.encoded[ENCODED] = encode(event)
        head, mid, tail = wire
        text = head + interaction_id + mid + str(seq) + tail
        if not self.gate.defer(sid, TEXT, text):
            self._send_text(sid, text)

    def emit(self, sid: str, event: str, payload: Any) -> None:
        """To the local socket only: interaction events never need the queue."""
        if event == TEXT:
            self._send_text(sid, payload)
        else:
            self.socketio.emit(event, payload, to=sid, ignore_queue=True)

    def send_error(self, sid: str, error: Refused) -> None:
        self.send(sid, "error", error_payload(error))

    def notify_credits(self, user_id: str, note: CreditNote) -> None:
        self.socketio.emit(
            "credits_updated",
            {"balance": note.balance, "delta": note.delta, "action_type": note.action_type},
            to=f"user:{user_id}",
        )

    def _send_text(self, sid: str, text: str) -> None:
        server = self.socketio.server
        eio_sid = server.manager.eio_sid_from_sid(sid, NAMESPACE)
        if eio_sid is not None:  # gone: like emit, nothing is sent
            server._send_eio_packet(eio_sid, eio_packet.Packet(eio_packet.MESSAGE, text))
