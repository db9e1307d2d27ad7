"""Structured logs (JSON in production) with a request or connection id; secrets redacted."""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import sys
from typing import Any

import structlog

_SECRET_KEYS = re.compile(
    r"((^|_)token$|^token|secret|password|authorization|api_?key|dsn|cookie)", re.I
)
_JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*")


@functools.lru_cache(maxsize=4096)
def user_hash(user_id: str) -> str:
    """How log lines name a user: the first 16 hex digits of SHA-256 of the id (stable,
    not reversible for a random UUID); never the id itself."""
    return hashlib.sha256(user_id.encode("utf-8")).hexdigest()[:16]


def _redact(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """Drop secret-looking fields and JWT-looking strings from every log line."""
    for key, value in list(event.items()):
        if _SECRET_KEYS.search(key):
            event[key] = "[redacted]"
        elif isinstance(value, str):
            event[key] = _JWT.sub("[redacted-jwt]", value)
    return event


class RedactingFilter(logging.Filter):
    """The same JWT scrubbing for plain `logging` lines (werkzeug, libraries)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _JWT.search(message):
            record.msg, record.args = _JWT.sub("[redacted-jwt]", message), None
        return True


def configure_logging(level: str, fmt: str) -> None:
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact,
        structlog.processors.format_exc_info,
        renderer,
    ]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelName(level.upper()) if isinstance(level, str) else logging.INFO
        ),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )
    root = logging.getLogger()
    root.setLevel(level.upper())
    for handler in [h for h in root.handlers if getattr(h, "_guia", False)]:
        root.removeHandler(handler)  # re-configured: write to the current stderr
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(RedactingFilter())
    handler._guia = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
