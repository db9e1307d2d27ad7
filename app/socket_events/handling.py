"""Shared plumbing of socket handlers: who is calling, typed commands, acks and errors.

`socket_handler(event, Command)` registers a handler that receives the caller and
the parsed command and returns the ack's fields; a `Refused` (or any failure)
becomes the protocol's failed ack plus an `error` event: `service_unavailable`
with `retry_after` when a store is unreachable (`repositories.outages`), else
`internal_error`. Events to the calling
socket wait until its ack is queued (see `ack_gate`).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import structlog
from flask import current_app, request

from app import metrics
from app.domain.commands import Command
from app.domain.errors import Refused
from app.extensions import socketio
from app.repositories.outages import is_store_outage
from app.request_ids import bind_connection
from app.socket_events.messages import error_payload
from app.socket_events.parsing import parse
from app.use_cases import lifecycle_log
from app.use_cases.identity import Caller

if TYPE_CHECKING:
    from app.container import Container

log = structlog.get_logger(__name__)

SESSION_RENEW_EVERY_S = 60.0


@dataclass
class SocketContext:
    """What the server knows about one connected socket."""

    user_id: str
    session_id: str
    email: str | None = None
    renewed_at: float = field(default_factory=time.monotonic)


def container() -> Container:
    return current_app.extensions["guia"]


def sid() -> str:
    return request.sid  # type: ignore[attr-defined, no-any-return]


def current_caller(c: Container) -> Caller:
    ctx = c.sockets.get(sid())
    if ctx is None:
        raise Refused("unauthorized")
    now = time.monotonic()
    if now - ctx.renewed_at >= SESSION_RENEW_EVERY_S:  # activity renews the session
        ctx.renewed_at = now
        c.redis_repos.sessions.renew(ctx.session_id)
    return Caller(ctx.user_id, ctx.session_id, sid())


def send_error(c: Container, error: Refused, event: str) -> dict[str, Any]:
    """Emit `error` and return the failed ack, so clients with or without acks see it."""
    metrics.request_errors.labels(event=event, code=error.code).inc()
    payload = error_payload(error)
    c.transport.emit(sid(), "error", payload)  # before the failed ack, as a client expects
    return {"ok": False, "error": payload}


def _parse(command: type[Command], payload: Any, caller: Caller, event: str) -> Command:
    """The typed command; a payload refused here is one `request_refused` line (the
    use cases log their own refusals)."""
    try:
        return parse(command, payload)
    except Refused as exc:
        lifecycle_log.emit(
            "request_refused",
            caller.user_id,
            None,
            socket_event=event,
            code=exc.code,
            reason=exc.reason,
        )
        raise


def unavailable(c: Container, reason: str | None = None) -> Refused:
    """The refusal while a store is unreachable: retry after SERVICE_RETRY_AFTER_S."""
    return Refused("service_unavailable", reason, retry_after=c.settings.SERVICE_RETRY_AFTER_S)


def failure(c: Container, exc: Exception, event: str) -> Refused:
    """What the client is told about an unexpected failure (logged here)."""
    if is_store_outage(exc):
        log.warning("store_unavailable", socket_event=event, error=type(exc).__name__)
        return unavailable(c)
    log.exception("handler_failed", socket_event=event)
    return Refused("internal_error")


def socket_handler(
    event: str, command: type[Command]
) -> Callable[[Callable[..., dict[str, Any]]], Callable[..., Any]]:
    """Register an authenticated handler `fn(container, caller, cmd) -> ack fields`."""

    def decorate(fn: Callable[..., dict[str, Any]]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any) -> dict[str, Any]:
            started = time.perf_counter()
            c = container()
            c.gate.hold(sid())
            # No payload at all is an empty object; an explicit null is not an object.
            payload = args[0] if args else {}
            try:
                caller = current_caller(c)
                bind_connection(caller.sid, caller.user_id)
                return {"ok": True, **fn(c, caller, _parse(command, payload, caller, event))}
            except Refused as exc:
                return send_error(c, exc, event)
            except Exception as exc:
                return send_error(c, failure(c, exc, event), event)
            finally:
                metrics.handler_seconds.labels(event=event).observe(time.perf_counter() - started)

        socketio.on_event(event, wrapper)
        return wrapper

    return decorate
