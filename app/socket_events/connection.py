"""connect / disconnect: token check, session open or takeover, `session_ready`."""

from __future__ import annotations

import threading
from typing import Any

import structlog
from flask import request
from flask_socketio import ConnectionRefusedError, join_room

from app import metrics
from app.auth.tokens import extract_token
from app.container import SocketContext
from app.extensions import socketio
from app.request_ids import bind_connection
from app.services.errors import MESSAGES_ES, ServiceError
from app.socket_events.ack_gate import open_gate
from app.socket_events.handling import container, send_error

log = structlog.get_logger(__name__)


TOO_MANY_CONNECTIONS_ES = (
    "Demasiados intentos de conexión desde tu red. Espera un minuto e inténtalo de nuevo."
)


def _refuse(reason: str, message: str = MESSAGES_ES["unauthorized"]) -> ConnectionRefusedError:
    """The protocol's one refusal shape; the message says what the student can do."""
    metrics.connect_refused.labels(reason=reason).inc()
    return ConnectionRefusedError("unauthorized", {"code": "unauthorized", "message": message})


@socketio.on("connect")
def on_connect(auth: Any = None) -> None:
    c = container()
    ip = request.remote_addr or "unknown"
    if c.connect_limiter.hit(ip) is not None:
        raise _refuse("rate_limited", TOO_MANY_CONNECTIONS_ES)
    claims = c.verifier.verify(extract_token(auth, request.headers))
    if not claims:
        raise _refuse("invalid_token")
    sid: str = request.sid  # type: ignore[attr-defined]
    bind_connection(sid, str(claims["sub"]))
    log.info("socket_connected")
    requested = auth.get("session_id") if isinstance(auth, dict) else None
    opened = c.session_service.open(claims, requested, sid)
    session_id = opened.session.session_id
    if opened.taken_over_sid:
        c.explanations.detach(session_id, opened.taken_over_sid)
        c.sockets.pop(opened.taken_over_sid, None)
    c.sockets[sid] = SocketContext(str(claims["sub"]), session_id, claims.get("email"))
    join_room(f"user:{claims['sub']}")
    metrics.connections.inc()
    active = c.explanations.active_interaction(session_id)
    if active is not None and opened.taken_over_sid:
        # The holder may stream on another instance until the relayed disconnect
        # lands; it records its final position when it stops. Here it is paused.
        active["paused"] = True
        c.explanations.mark_paused(active["interaction_id"])
    ready = {
        "session_id": session_id,
        "user_id": str(claims["sub"]),
        "credits": opened.credits,
        "active_interaction": active,
    }
    # The CONNECT packet goes out when this handler returns: send session_ready after it.
    socketio.start_background_task(_after_connect, open_gate(), sid, ready, opened.taken_over_sid)


def _after_connect(
    gate: threading.Event, sid: str, ready: dict[str, Any], old_sid: str | None
) -> None:
    gate.wait(timeout=5)
    socketio.emit("session_ready", ready, to=sid, ignore_queue=True)
    if old_sid:
        socketio.server.disconnect(old_sid)


@socketio.on("disconnect")
def on_disconnect(*_args: Any) -> None:
    c = container()
    sid: str = request.sid  # type: ignore[attr-defined]
    ctx = c.sockets.pop(sid, None)
    if ctx is None:
        return
    metrics.connections.dec()
    c.explanations.detach(ctx.session_id, sid)
    c.session_service.close(ctx.session_id, sid)


@socketio.on("*")
def on_unknown_event(event: str, *_args: Any) -> dict[str, Any]:
    return send_error(
        ServiceError("invalid_payload", f"Evento desconocido: {str(event)[:64]}"), "unknown"
    )
