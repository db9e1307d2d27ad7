"""connect / disconnect: token check, session open or takeover, `session_ready`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import structlog
from flask import request
from flask_socketio import ConnectionRefusedError, join_room

from app import metrics
from app.auth.tokens import extract_token
from app.domain.errors import Refused
from app.extensions import socketio
from app.repositories.outages import is_store_outage
from app.request_ids import bind_connection
from app.socket_events.handling import SocketContext, container, send_error, sid, unavailable
from app.socket_events.messages import describe, error_payload
from app.use_cases.connect_limits import Refusal, authenticate
from app.use_cases.identity import Caller
from app.use_cases.sessions import OpenSession, close_session, open_session

if TYPE_CHECKING:
    from app.container import Container

log = structlog.get_logger(__name__)


def _refuse(reason: str, error: Refused) -> ConnectionRefusedError:
    """The protocol's one refusal shape; the message says what the student can do."""
    metrics.connect_refused.labels(reason=reason).inc()
    return ConnectionRefusedError(
        "unauthorized", {"code": "unauthorized", "message": describe(error)}
    )


@socketio.on("connect")
def on_connect(auth: Any = None) -> None:
    c = container()
    try:
        _connect(c, auth)
    except Exception as exc:
        if not is_store_outage(exc):
            raise
        # Not `unauthorized`: the token may be fine, and a client must not sign out.
        log.warning("connect_store_unavailable", error=type(exc).__name__)
        if c.sockets.pop(sid(), None) is not None:  # it failed after it was counted
            metrics.connections.dec()
        metrics.connect_refused.labels(reason="service_unavailable").inc()
        error = unavailable(c, "connect")
        raise ConnectionRefusedError("service_unavailable", error_payload(error)) from None


def _connect(c: Container, auth: Any) -> None:
    try:
        claims = authenticate(
            extract_token(auth, request.headers),
            request.remote_addr or "unknown",
            c.connect_limits,
            c.verifier.verify,
        )
    except Refusal as refusal:
        raise _refuse(refusal.reason, refusal.error) from None
    user_id = str(claims["sub"])
    bind_connection(sid(), user_id)
    log.info("socket_connected")
    c.gate.hold(sid())  # session_ready goes out after the CONNECT packet
    opened = open_session(
        OpenSession(
            user_id=user_id,
            email=claims.get("email"),
            sid=sid(),
            requested_session_id=auth.get("session_id") if isinstance(auth, dict) else None,
            new_user_credits=c.settings.NEW_USER_CREDITS,
        ),
        c.uow(),
        lambda held_by: bool(c.settings.SOCKETIO_MESSAGE_QUEUE) or held_by in c.sockets,
    )
    caller = Caller(user_id, opened.session.session_id, sid())
    c.sockets[sid()] = SocketContext(user_id, caller.session_id, claims.get("email"))
    join_room(f"user:{user_id}")
    metrics.connections.inc()
    active = c.interactions.attach(caller, opened.session, bool(opened.taken_over_sid))
    c.transport.send(
        sid(),
        "session_ready",
        {
            "session_id": caller.session_id,
            "user_id": user_id,
            "credits": opened.credits,
            "active_interaction": active,
        },
    )
    if opened.taken_over_sid:
        socketio.start_background_task(socketio.server.disconnect, opened.taken_over_sid)


@socketio.on("disconnect")
def on_disconnect(*_args: Any) -> None:
    c = container()
    ctx = c.sockets.pop(sid(), None)
    if ctx is None:
        return
    metrics.connections.dec()
    c.interactions.detach(ctx.session_id, sid())
    c.clips.drop_socket(ctx.session_id, sid())
    close_session(ctx.session_id, sid(), c.uow())


@socketio.on("*")
def on_unknown_event(event: str, *_args: Any) -> dict[str, Any]:
    return send_error(
        container(), Refused("invalid_payload", "event", event=str(event)[:64]), "unknown"
    )
