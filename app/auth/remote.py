"""The fallback for tokens that cannot be checked locally: `GET /auth/v1/user`.

Short timeout; answers (and refusals) are remembered briefly so a reconnecting
client does not cost a network call each time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import httpx
import jwt

from app.auth.jose import AUDIENCE, is_uuid
from app.auth.token_cache import BoundedCache, Verified

log = logging.getLogger(__name__)


class RemoteUserCheck:
    """Asks Supabase Auth who a token belongs to."""

    def __init__(
        self,
        url: str,
        http: Callable[[], httpx.Client],
        *,
        api_key: str | None,
        issuer: str | None,
        leeway_s: float,
        cache_ttl_s: float,
        cache_size: int,
        monotonic: Callable[[], float],
        wall_clock: Callable[[], float],
    ) -> None:
        self.url = url
        self._http = http
        self._api_key = api_key
        self._issuer = issuer
        self._leeway = leeway_s
        self._ttl = cache_ttl_s
        self._mono = monotonic
        self._wall = wall_clock
        self._accepted = BoundedCache(cache_size)
        self._refused = BoundedCache(cache_size)

    def verify(self, token: str, digest: bytes) -> dict[str, Any] | None:
        now = self._mono()
        cached = self._accepted.get(digest)
        if cached is not None and cached.expires_mono is not None and cached.expires_mono > now:
            if cached.exp > self._wall() - self._leeway:
                return dict(cached.claims)
        refused = self._refused.get(digest)
        if refused is not None and refused.expires_mono is not None and refused.expires_mono > now:
            return None
        try:
            payload = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            return None
        exp = payload.get("exp")
        if not isinstance(exp, int | float) or exp <= self._wall() - self._leeway:
            return None  # expired or no expiry: no need to ask
        headers = {"Authorization": f"Bearer {token}"}
        if self._api_key:
            headers["apikey"] = self._api_key
        try:
            response = self._http().get(self.url, headers=headers)
        except httpx.HTTPError as exc:
            log.warning("auth user lookup failed: %s", type(exc).__name__)
            return None
        if response.status_code in (401, 403):
            self._refused.put(digest, Verified({}, float(exp), None, None, now + self._ttl))
            return None
        if response.status_code != 200:
            log.warning("auth user lookup answered %d", response.status_code)
            return None
        claims = self._claims(response, payload, exp)
        if claims is not None:
            ttl_end = min(now + self._ttl, now + max(0.0, exp - self._wall()))
            self._accepted.put(digest, Verified(claims, float(exp), None, None, ttl_end))
            return dict(claims)
        return None

    def _claims(
        self, response: httpx.Response, payload: dict[str, Any], exp: float
    ) -> dict[str, Any] | None:
        try:
            user = response.json()
        except ValueError:
            return None
        if not isinstance(user, dict) or not is_uuid(user.get("id")):
            return None
        aud = user.get("aud") or payload.get("aud")
        if aud != AUDIENCE:
            return None
        claims: dict[str, Any] = {
            "sub": user["id"],
            "email": user.get("email"),
            "aud": aud,
            "role": user.get("role") or payload.get("role"),
            "exp": exp,
        }
        if self._issuer:
            claims["iss"] = self._issuer
        return claims
