"""Where an access token may come from on a connection or request.

Only the Socket.IO `auth` payload and the `Authorization: Bearer` header: never
the query string, which ends up in proxy and access logs.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.auth.jose import MAX_TOKEN_CHARS


def _clean(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > MAX_TOKEN_CHARS or any(c.isspace() for c in value):
        return None
    return value


def _authorization(headers: Mapping[str, str]) -> object:
    value = headers.get("Authorization")
    if value is not None:
        return value
    for name, item in headers.items():  # plain dicts are case-sensitive
        if isinstance(name, str) and name.lower() in ("authorization", "http_authorization"):
            return item
    return None


def extract_token(auth: object, headers: Mapping[str, str] | None) -> str | None:
    """The bearer token from a Socket.IO `auth` dict's "token" or an Authorization header."""
    if isinstance(auth, Mapping):
        token = _clean(auth.get("token"))
        if token:
            return token
    if headers is None:
        return None
    value = _authorization(headers)
    if not isinstance(value, str):
        return None
    scheme, _, credentials = value.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return _clean(credentials)
