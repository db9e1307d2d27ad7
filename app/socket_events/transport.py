"""The Socket.IO side of the streamer's `Transport`: events to one socket, errors,
and credit notices to every socket of a user (through the message queue)."""

from __future__ import annotations

from typing import Any

from flask_socketio import SocketIO

from app.domain.errors import Refused
from app.socket_events.ack_gate import AckGate
from app.socket_events.messages import error_payload
from app.use_cases.credits import CreditNote


class SocketTransport:
    def __init__(self, socketio: SocketIO, gate: AckGate) -> None:
        self.socketio = socketio
        self.gate = gate

    def send(self, sid: str, event: str, payload: dict[str, Any]) -> None:
        if not self.gate.defer(sid, event, payload):
            self.emit(sid, event, payload)

    def emit(self, sid: str, event: str, payload: dict[str, Any]) -> None:
        """To the local socket only: interaction events never need the queue."""
        self.socketio.emit(event, payload, to=sid, ignore_queue=True)

    def send_error(self, sid: str, error: Refused) -> None:
        self.send(sid, "error", error_payload(error))

    def notify_credits(self, user_id: str, note: CreditNote) -> None:
        self.socketio.emit(
            "credits_updated",
            {"balance": note.balance, "delta": note.delta, "action_type": note.action_type},
            to=f"user:{user_id}",
        )
