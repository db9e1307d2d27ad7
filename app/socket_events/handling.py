"""Shared plumbing of socket handlers: auth lookup, acks and protocol errors."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

import structlog
from flask import current_app, request

from app import metrics
from app.container import Container, SocketContext
from app.extensions import socketio
from app.request_ids import bind_connection
from app.services.errors import ServiceError
from app.services.explanation_service import Caller
from app.socket_events.ack_gate import open_gate

log = structlog.get_logger(__name__)


def container() -> Container:
    return current_app.extensions["guia"]


def current_caller() -> Caller:
    ctx: SocketContext | None = container().sockets.get(request.sid)  # type: ignore[attr-defined]
    if ctx is None:
        raise ServiceError("unauthorized")
    return Caller(ctx.user_id, ctx.session_id, request.sid)  # type: ignore[attr-defined]


def send_error(error: ServiceError, event: str) -> dict[str, Any]:
    """Emit `error` and return the failed ack, so clients with or without acks see it."""
    metrics.request_errors.labels(event=event, code=error.code).inc()
    payload = error.to_payload()
    socketio.emit("error", payload, to=request.sid, ignore_queue=True)  # type: ignore[attr-defined]
    return {"ok": False, "error": payload}


def socket_handler(event: str) -> Callable[[Callable[..., dict[str, Any]]], Callable[..., Any]]:
    """Register an authenticated handler whose dict result becomes `{ok: true, ...}`.

    The handler gets the caller, the payload and a gate that opens once the ack
    is queued, so a stream it starts never emits before the ack.
    """

    def decorate(fn: Callable[..., dict[str, Any]]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any) -> dict[str, Any]:
            started = time.perf_counter()
            # No payload at all is an empty object; an explicit null is not an object.
            payload = args[0] if args else {}
            try:
                caller = current_caller()
                bind_connection(caller.sid, caller.user_id)
                container().session_service.touch(caller.session_id)
                result = fn(caller, payload, open_gate())
                return {"ok": True, **result}
            except ServiceError as exc:
                return send_error(exc, event)
            except Exception:
                log.exception("handler_failed", socket_event=event)
                return send_error(ServiceError("internal_error"), event)
            finally:
                metrics.handler_seconds.labels(event=event).observe(time.perf_counter() - started)

        socketio.on_event(event, wrapper)
        return wrapper

    return decorate


def require_auth_socket(fn: Callable[..., Any]) -> Callable[..., Any]:
    """For plain handlers: refuse sockets that did not authenticate on connect."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            current_caller()
        except ServiceError as exc:
            return send_error(exc, fn.__name__)
        return fn(*args, **kwargs)

    return wrapper
