"""Verification of Supabase Auth access tokens (and local development tokens).

Why this exists instead of supabase-py's `get_claims()`: that helper skips the
`aud`/`iss`/`nbf` checks, goes to the network for HS256 or kid-less tokens and
re-fetches the JWKS on every unknown `kid`. Here:

- ES256/RS256 tokens are checked against the project's JWKS (`jwks.KeySet`),
  cached for a few minutes and re-fetched at most once per short interval on an
  unknown `kid`; the accepted algorithm comes from the key's type, never from
  the token header.
- HS256 tokens are checked with the legacy secret when it is configured, and
  never with a public key.
- Tokens that cannot be checked locally go to `GET /auth/v1/user`
  (`remote.RemoteUserCheck`: short timeout, brief positive cache).
- Development tokens (issuer `guia-dev`) are accepted outside production only.

`verify()` never raises for a bad token: it returns the claims or None. Tokens
and keys are never logged.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt

from app.auth.dev_tokens import DEV_ISSUER
from app.auth.jose import AUDIENCE, MAX_TOKEN_CHARS, is_uuid, peek_header, token_digest
from app.auth.jwks import ASYMMETRIC_ALGS, KeySet, SigningKey
from app.auth.remote import RemoteUserCheck
from app.auth.token_cache import BoundedCache, Verified
from app.config import Settings

log = logging.getLogger(__name__)

SUPPORTED_ALGS = ASYMMETRIC_ALGS | {"HS256"}


class TokenVerifier:
    """Verifies access tokens for one app instance; safe to share across threads."""

    def __init__(
        self,
        settings: Settings,
        *,
        jwks_ttl_s: float = 600.0,
        jwks_min_refetch_s: float = 30.0,
        http_timeout_s: float = 2.0,
        leeway_s: float = 30.0,
        user_cache_ttl_s: float = 60.0,
        user_cache_size: int = 1024,
        verified_cache_size: int = 10_000,
        monotonic: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._production = settings.is_production
        base = settings.SUPABASE_URL.rstrip("/") if settings.SUPABASE_URL else None
        self._issuer = f"{base}/auth/v1" if base else None
        self._hs_secret = settings.SUPABASE_JWT_SECRET or None
        self._dev_secret: str | None = None
        self._timeout = http_timeout_s
        self._leeway = leeway_s
        self._wall = wall_clock
        self._verified = BoundedCache(verified_cache_size)
        self._client: httpx.Client | None = None
        self._client_lock = threading.Lock()
        self.keys = KeySet(
            f"{base}/auth/v1/.well-known/jwks.json" if base else None,
            self._http,
            ttl_s=jwks_ttl_s,
            min_refetch_s=jwks_min_refetch_s,
            monotonic=monotonic,
        )
        self.remote = (
            RemoteUserCheck(
                f"{base}/auth/v1/user",
                self._http,
                api_key=settings.SUPABASE_ANON_KEY or settings.SUPABASE_SERVICE_KEY or None,
                issuer=self._issuer,
                leeway_s=leeway_s,
                cache_ttl_s=user_cache_ttl_s,
                cache_size=user_cache_size,
                monotonic=monotonic,
                wall_clock=wall_clock,
            )
            if base
            else None
        )

    def verify(
        self, token: str | None, remote_allowed: Callable[[], bool] | None = None
    ) -> dict[str, Any] | None:
        """Return the verified claims of `token`, or None for any bad or missing token.

        `remote_allowed` is asked only when the token cannot be checked locally and
        would go to `/auth/v1/user`; False skips that call (the token is refused).
        """
        try:
            return self._verify(token, remote_allowed)
        except Exception as exc:  # a bad token must never become a 500
            log.warning("token verification failed unexpectedly: %s", type(exc).__name__)
            return None

    def close(self) -> None:
        """Release the HTTP client (tests, app shutdown)."""
        with self._client_lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def _verify(
        self, token: str | None, remote_allowed: Callable[[], bool] | None = None
    ) -> dict[str, Any] | None:
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
            return None
        digest = token_digest(token)
        cached = self._from_cache(digest)
        if cached is not None:
            return cached
        header = peek_header(token)
        if header is None:
            return None
        alg = header.get("alg")
        kid = header.get("kid")
        if not isinstance(alg, str) or alg not in SUPPORTED_ALGS:
            return None  # includes "none" and every algorithm we do not configure
        if kid is not None and not isinstance(kid, str):
            return None
        if alg in ASYMMETRIC_ALGS and kid:
            return self._verify_jwks(token, digest, alg, kid)
        if alg == "HS256":
            if kid and kid in self.keys:
                return None  # an HS256 token naming a public key: key-confusion attempt
            if self._unverified_issuer(token) == DEV_ISSUER:
                return self._verify_dev(token, digest)
            if self._hs_secret:
                return self._verify_hs256(token, digest)
        if self.remote is not None and (remote_allowed is None or remote_allowed()):
            return self.remote.verify(token, digest)
        return None

    def _decode(self, token: str, key: Any, alg: str, issuer: str | None) -> dict[str, Any] | None:
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=AUDIENCE,
                issuer=issuer,
                leeway=self._leeway,
                options={"require": ["exp", "sub"]},
            )
        except jwt.PyJWTError as exc:
            log.debug("token refused: %s", type(exc).__name__)
            return None
        if not is_uuid(claims.get("sub")):
            log.debug("token refused: sub is not a UUID")
            return None
        if not isinstance(claims.get("exp"), int | float):
            return None
        return claims

    def _remember(
        self, digest: bytes, claims: dict[str, Any], key: SigningKey | None, kid: str | None
    ) -> None:
        self._verified.put(
            digest,
            Verified(
                claims=dict(claims),
                exp=float(claims["exp"]),
                kid=kid,
                fingerprint=key.fingerprint if key else None,
            ),
        )

    def _from_cache(self, digest: bytes) -> dict[str, Any] | None:
        entry = self._verified.get(digest)
        if entry is None:
            return None
        if entry.exp <= self._wall() - self._leeway:
            self._verified.drop(digest)
            return None
        if entry.kid is not None:
            # The key must still be in the (possibly refreshed) JWKS, unchanged.
            key = self.keys.current().get(entry.kid)
            if key is None or key.fingerprint != entry.fingerprint:
                self._verified.drop(digest)
                return None
        return dict(entry.claims)

    def _verify_jwks(self, token: str, digest: bytes, alg: str, kid: str) -> dict[str, Any] | None:
        if not self.keys.url or not self._issuer:
            return None
        key = self.keys.find(kid)
        if key is None or key.alg != alg:
            return None
        claims = self._decode(token, key.jwk.key, key.alg, self._issuer)
        if claims is not None:
            self._remember(digest, claims, key, kid)
        return claims

    @staticmethod
    def _unverified_issuer(token: str) -> object:
        try:
            payload = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            return None
        return payload.get("iss")

    def _verify_hs256(self, token: str, digest: bytes) -> dict[str, Any] | None:
        assert self._hs_secret is not None
        claims = self._decode(token, self._hs_secret, "HS256", self._issuer)
        if claims is None:
            return None
        if self._issuer is None:
            # Secret-only configuration: the project URL is unknown, but Supabase's
            # issuer always ends with /auth/v1 (this keeps anon/service keys and
            # development tokens out).
            iss = claims.get("iss")
            if not (isinstance(iss, str) and iss.endswith("/auth/v1")):
                return None
        self._remember(digest, claims, None, None)
        return claims

    def _verify_dev(self, token: str, digest: bytes) -> dict[str, Any] | None:
        if self._production:
            return None
        if self._dev_secret is None:
            self._dev_secret = self._settings.dev_jwt_secret()
        claims = self._decode(token, self._dev_secret, "HS256", DEV_ISSUER)
        if claims is not None:
            self._remember(digest, claims, None, None)
        return claims

    def _http(self) -> httpx.Client:
        with self._client_lock:
            if self._client is None:
                self._client = httpx.Client(timeout=self._timeout, follow_redirects=False)
            return self._client
