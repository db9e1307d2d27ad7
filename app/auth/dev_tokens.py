"""Development access tokens, so the app can be used without a Supabase project.

They are HS256 tokens signed with `settings.dev_jwt_secret()`, issuer `guia-dev`,
audience `authenticated`; `TokenVerifier` accepts them only outside production.
"""

from __future__ import annotations

import time
import uuid

import jwt

from app.config import Settings

DEV_ISSUER = "guia-dev"
DEV_AUDIENCE = "authenticated"


def issue_dev_token(
    settings: Settings, user_id: str, email: str | None = None, ttl_s: int = 3600
) -> str:
    """Sign a development token for `user_id` (a UUID); refused in production."""
    if settings.is_production:
        raise RuntimeError("development tokens are disabled when APP_ENV=production")
    try:
        canonical = str(uuid.UUID(user_id))
    except (TypeError, ValueError, AttributeError) as exc:
        raise ValueError("user_id must be a UUID") from exc
    if ttl_s <= 0:
        raise ValueError("ttl_s must be positive")
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": DEV_ISSUER,
        "aud": DEV_AUDIENCE,
        "sub": canonical,
        "role": "authenticated",
        "iat": now,
        "exp": now + int(ttl_s),
    }
    if email:
        claims["email"] = email
    return jwt.encode(claims, settings.dev_jwt_secret(), algorithm="HS256")
