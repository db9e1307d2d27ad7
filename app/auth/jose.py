"""Small helpers over a raw JWT: routing by its header, its digest, its subject's shape."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any

AUDIENCE = "authenticated"
MAX_TOKEN_CHARS = 16_384
UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)


def is_uuid(value: object) -> bool:
    return isinstance(value, str) and bool(UUID_RE.match(value))


def peek_header(token: str) -> dict[str, Any] | None:
    """The unverified JOSE header, only to route the token.

    Cheaper than `jwt.get_unverified_header`, which decodes the whole token; the
    token is then fully parsed and checked by `jwt.decode`, which also insists
    that the header's alg is the one we chose for the key.
    """
    segment, dot, _ = token.partition(".")
    if not dot or len(segment) > 2048:
        return None
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, TypeError):
        return None
    return header if isinstance(header, dict) else None


def token_digest(token: str) -> bytes:
    """The cache key of a token (the token itself is never kept)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
