"""Client EVENT packets that name a reserved event, or no event, are refused.

python-socketio dispatches every EVENT packet by its first element through
`Server._handle_event` → `_trigger_event(name, ...)`, which looks the name up
among the registered handlers, lifecycle ones included: a client that emits an
event called `disconnect` runs the disconnect handler (its session ends while
the socket stays open), and `connect` runs the connect handler again. A packet
whose data is not a list starting with a string name raises inside the library.

`install` wraps the server's `_handle_event` (pinned python-socketio) so such a
packet is answered like any bad request, with `invalid_payload` in the ack and
an `error` event, and reaches no handler.
"""

from __future__ import annotations

from typing import Any

from socketio import packet

from app import metrics
from app.domain.errors import Refused
from app.socket_events.messages import error_payload

# Socket.IO's lifecycle names on either side (server, JS and Python clients), and
# the events only the server sends: no client may trigger them.
RESERVED_EVENTS = frozenset(
    {
        "connect",
        "connect_error",
        "disconnect",
        "disconnecting",
        "__disconnect_final",
        "error",
        "message",
        "newListener",
        "removeListener",
        "ping",
        "pong",
    }
)
NAME_SHOWN_CHARS = 64


def refusal(data: Any) -> Refused | None:
    """Why an EVENT packet's data may not be dispatched, or None when it may."""
    if not isinstance(data, list) or not data or not isinstance(data[0], str):
        return Refused("invalid_payload", "unnamed_event")
    if data[0] in RESERVED_EVENTS:
        return Refused("invalid_payload", "reserved_event", event=data[0][:NAME_SHOWN_CHARS])
    return None


def answer_refusal(
    server: Any,
    eio_sid: str,
    namespace: str | None,
    ack_id: int | None,
    error: Refused,
    event: str,
) -> None:
    """Send the protocol's failure to one client: the `error` event, then the ack if asked."""
    metrics.request_errors.labels(event=event, code=error.code).inc()
    body = error_payload(error)
    server._send_packet(
        eio_sid, server.packet_class(packet.EVENT, namespace=namespace, data=["error", body])
    )
    if ack_id is not None:
        server._send_packet(
            eio_sid,
            server.packet_class(
                packet.ACK, namespace=namespace, id=ack_id, data=[{"ok": False, "error": body}]
            ),
        )


def install(server: Any) -> None:
    """Wrap the server's EVENT dispatch with the refusal above (idempotent)."""
    original = server._handle_event
    if getattr(original, "_event_guard", False):
        return

    def guarded(eio_sid: str, namespace: str | None, ack_id: int | None, data: Any) -> Any:
        error = refusal(data)
        if error is None:
            return original(eio_sid, namespace, ack_id, data)
        sid = server.manager.sid_from_eio_sid(eio_sid, namespace or "/")
        if sid is None or not server.manager.is_connected(sid, namespace or "/"):
            return None  # like the library: events of a socket not connected are dropped
        answer_refusal(server, eio_sid, namespace, ack_id, error, "reserved")
        return None

    guarded._event_guard = True  # type: ignore[attr-defined]
    server._handle_event = guarded
