"""The account HTTP API: profile, history and ledger of the caller only."""

from __future__ import annotations

import base64
import functools
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from app.auth.tokens import extract_token
from app.domain.errors import Refused
from app.repositories.outages import is_store_outage
from app.socket_events.messages import MESSAGES, describe
from app.use_cases import account

api_bp = Blueprint("api", __name__, url_prefix="/api/v1")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def _error(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify(error={"code": code, "message": message}), status


# Protocol codes of HTTP statuses under /api/ (other 4xx: invalid_payload, 5xx: internal_error).
STATUS_CODES = {
    401: "unauthorized",
    403: "unauthorized",
    404: "not_found",
    410: "not_found",
    429: "rate_limited",
}
STATUS_REASONS = {404: "route", 405: "method", 413: "too_large"}


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


@api_bp.app_errorhandler(HTTPException)
def api_http_error(exc: HTTPException) -> Any:
    """Every error status under /api/ is the protocol's JSON body; elsewhere Flask's page.

    Registered on the app (not only this blueprint's views) so unknown routes and
    wrong methods under /api/ are covered; unhandled exceptions arrive here as a 500.
    """
    if not is_api_path(request.path):
        return exc
    if is_store_outage(getattr(exc, "original_exception", None) or exc):
        return _unavailable()
    status = exc.code or 500
    code = STATUS_CODES.get(status, "invalid_payload" if status < 500 else "internal_error")
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    message = describe(Refused(code, STATUS_REASONS.get(status), limit=limit))
    response, _ = _error(status, code, message)
    allowed = getattr(exc, "valid_methods", None)
    if allowed:  # a 405 names the methods the route takes
        response.headers["Allow"] = ", ".join(allowed)
    return response, status


def _unavailable() -> tuple[Response, int]:
    """A store is unreachable: 503 `service_unavailable` with `retry_after` (and the
    Retry-After header), as the socket events answer it."""
    retry_after = current_app.extensions["guia"].settings.SERVICE_RETRY_AFTER_S
    error = Refused("service_unavailable", retry_after=retry_after)
    response = jsonify(
        error={"code": error.code, "message": describe(error), "retry_after": retry_after}
    )
    response.headers["Retry-After"] = str(retry_after)
    return response, 503


def require_auth_http(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Bearer token through the same verifier as sockets; 401 JSON otherwise."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        claims = current_app.extensions["guia"].verifier.verify(
            extract_token(None, request.headers)
        )
        if not claims:
            return _error(401, "unauthorized", MESSAGES["unauthorized"])
        g.claims = claims
        return fn(*args, **kwargs)

    return wrapper


def _limit() -> int:
    raw = request.args.get("limit", str(DEFAULT_LIMIT))
    try:
        value = int(raw)
    except ValueError:
        raise ValueError("limit debe ser un entero entre 1 y 100.") from None
    if not 1 <= value <= MAX_LIMIT:
        raise ValueError("limit debe ser un entero entre 1 y 100.")
    return value


def encode_cursor(parts: list[str]) -> str:
    return base64.urlsafe_b64encode("|".join(parts).encode()).decode().rstrip("=")


def decode_cursor(raw: str | None, size: int) -> list[str] | None:
    if not raw:
        return None
    try:
        parts = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode().split("|")
    except (ValueError, UnicodeDecodeError):
        raise ValueError("before no es un cursor válido.") from None
    if len(parts) != size:
        raise ValueError("before no es un cursor válido.")
    return parts


BAD_CURSOR = "before no es un cursor válido."
MAX_LEDGER_ID = 2**63 - 1  # credit_usage.id is a bigint


def _history_cursor(raw: str | None) -> tuple[datetime, str] | None:
    """(created_at, interaction id) of a `next_before`; ValueError for anything else."""
    cursor = decode_cursor(raw, 2)
    if cursor is None:
        return None
    try:
        return datetime.fromisoformat(cursor[0]), str(uuid.UUID(cursor[1]))
    except ValueError:
        raise ValueError(BAD_CURSOR) from None


def _usage_cursor(raw: str | None) -> int | None:
    """The ledger id of a `next_before`; ValueError unless it fits the bigint column."""
    cursor = decode_cursor(raw, 1)
    if cursor is None:
        return None
    try:
        value = int(cursor[0])
    except ValueError:
        raise ValueError(BAD_CURSOR) from None
    if not 0 < value <= MAX_LEDGER_ID:
        raise ValueError(BAD_CURSOR)
    return value


@api_bp.get("/me")
@require_auth_http
def me() -> Response:
    c = current_app.extensions["guia"]
    return jsonify(account.me(c.db.unit_of_work, g.claims, c.settings.NEW_USER_CREDITS))


@api_bp.get("/history")
@require_auth_http
def history() -> Any:
    c = current_app.extensions["guia"]
    try:
        limit = _limit()
        before = _history_cursor(request.args.get("before"))
    except ValueError as exc:
        return _error(400, "invalid_payload", str(exc))
    items, last = account.history(c.db.unit_of_work, g.claims["sub"], limit, before)
    next_before = encode_cursor([last[0].isoformat(), last[1]]) if last else None
    return jsonify(items=items, next_before=next_before)


@api_bp.get("/credits/usage")
@require_auth_http
def credit_usage() -> Any:
    c = current_app.extensions["guia"]
    try:
        limit = _limit()
        before_id = _usage_cursor(request.args.get("before"))
    except ValueError as exc:
        return _error(400, "invalid_payload", str(exc))
    items, last_id = account.usage(c.db.unit_of_work, g.claims["sub"], limit, before_id)
    return jsonify(items=items, next_before=encode_cursor([str(last_id)]) if last_id else None)
