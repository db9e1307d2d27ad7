"""Every log line of an HTTP request or socket event names its request or connection."""

from __future__ import annotations

import re
import uuid

import structlog
from flask import Flask, Response, g, request

from app.logging_setup import user_hash

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def bind_connection(sid: str, user_id: str | None = None) -> None:
    """Bind the socket's id (and the user's hash, never the id) for this handler's lines."""
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(
        connection_id=sid, user=user_hash(user_id) if user_id else None
    )


def init_request_ids(app: Flask) -> None:
    """Take a safe `X-Request-ID` from the proxy or make one; echo it back."""

    @app.before_request
    def _bind() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=g.request_id)

    @app.after_request
    def _echo(response: Response) -> Response:
        if "request_id" in g:
            response.headers["X-Request-ID"] = g.request_id
        return response
