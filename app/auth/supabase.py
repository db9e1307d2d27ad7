"""Verification of Supabase Auth access tokens (and local development tokens).

Why this exists instead of supabase-py's `get_claims()`: that helper skips the
`aud`/`iss`/`nbf` checks, goes to the network for HS256 or kid-less tokens and
re-fetches the JWKS on every unknown `kid`. Here:

- ES256/RS256 tokens are checked against the project's JWKS, cached for a few
  minutes and re-fetched at most once per short interval on an unknown `kid`;
  the accepted algorithm comes from the key's type, never from the token header.
- HS256 tokens are checked with the legacy secret when it is configured, and
  never with a public key.
- Tokens that cannot be checked locally go to `GET /auth/v1/user` (short
  timeout, brief positive cache).
- Development tokens (issuer `guia-dev`) are accepted outside production only.

`verify()` never raises for a bad token: it returns the claims or None. Tokens
and keys are never logged.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from jwt import PyJWK

from app.auth.dev_tokens import DEV_ISSUER
from app.config import Settings

log = logging.getLogger(__name__)

AUDIENCE = "authenticated"
MAX_TOKEN_CHARS = 16_384
UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)

# The only algorithm accepted for each JWKS key type; fixed here, never read from a token.
_ASYMMETRIC_ALG_BY_KEY = {("EC", "P-256"): "ES256", ("RSA", None): "RS256"}
_ASYMMETRIC_ALGS = frozenset(_ASYMMETRIC_ALG_BY_KEY.values())
_SUPPORTED_ALGS = _ASYMMETRIC_ALGS | {"HS256"}


@dataclass(frozen=True)
class _Key:
    """One usable signing key from the JWKS."""

    jwk: PyJWK
    alg: str
    fingerprint: str


@dataclass(frozen=True)
class _Verified:
    """A cached successful verification."""

    claims: dict[str, Any]
    exp: float
    kid: str | None
    fingerprint: str | None
    expires_mono: float | None = None


def _is_uuid(value: object) -> bool:
    return isinstance(value, str) and bool(UUID_RE.match(value))


def _peek_header(token: str) -> dict[str, Any] | None:
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


def _token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


class _BoundedCache:
    """Small thread-safe LRU map; a size of 0 disables it."""

    def __init__(self, size: int) -> None:
        self._size = max(0, size)
        self._data: OrderedDict[bytes, _Verified] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: bytes) -> _Verified | None:
        if not self._size:
            return None
        with self._lock:
            entry = self._data.get(key)
            if entry is not None:
                self._data.move_to_end(key)
            return entry

    def put(self, key: bytes, value: _Verified) -> None:
        if not self._size:
            return
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._size:
                self._data.popitem(last=False)

    def drop(self, key: bytes) -> None:
        with self._lock:
            self._data.pop(key, None)

    def __len__(self) -> int:
        return len(self._data)


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
        self._jwks_url = f"{base}/auth/v1/.well-known/jwks.json" if base else None
        self._user_url = f"{base}/auth/v1/user" if base else None
        self._hs_secret = settings.SUPABASE_JWT_SECRET or None
        self._api_key = settings.SUPABASE_ANON_KEY or settings.SUPABASE_SERVICE_KEY or None
        self._dev_secret: str | None = None
        self._jwks_ttl = jwks_ttl_s
        self._min_refetch = jwks_min_refetch_s
        self._timeout = http_timeout_s
        self._leeway = leeway_s
        self._user_ttl = user_cache_ttl_s
        self._mono = monotonic
        self._wall = wall_clock

        self._keys: dict[str, _Key] = {}
        self._keys_loaded_at: float | None = None  # monotonic time of the last good fetch
        self._last_attempt: float | None = None  # monotonic time of the last fetch attempt
        self._fetch_lock = threading.Lock()
        self._verified = _BoundedCache(verified_cache_size)
        self._user_cache = _BoundedCache(user_cache_size)
        self._user_refused = _BoundedCache(user_cache_size)
        self._client: httpx.Client | None = None
        self._client_lock = threading.Lock()
        self.jwks_fetches = 0
        self.user_requests = 0

    # ------------------------------------------------------------------ public

    def verify(self, token: str | None) -> dict[str, Any] | None:
        """Return the verified claims of `token`, or None for any bad or missing token."""
        try:
            return self._verify(token)
        except Exception as exc:  # a bad token must never become a 500
            log.warning("token verification failed unexpectedly: %s", type(exc).__name__)
            return None

    def close(self) -> None:
        """Release the HTTP client (tests, app shutdown)."""
        with self._client_lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    # ---------------------------------------------------------------- routing

    def _verify(self, token: str | None) -> dict[str, Any] | None:
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
            return None
        digest = _token_digest(token)
        cached = self._from_cache(digest)
        if cached is not None:
            return cached
        header = _peek_header(token)
        if header is None:
            return None
        alg = header.get("alg")
        kid = header.get("kid")
        if not isinstance(alg, str) or alg not in _SUPPORTED_ALGS:
            return None  # includes "none" and every algorithm we do not configure
        if kid is not None and not isinstance(kid, str):
            return None

        if alg in _ASYMMETRIC_ALGS and kid:
            return self._verify_jwks(token, digest, alg, kid)
        if alg == "HS256":
            if kid and kid in self._keys:
                return None  # an HS256 token naming a public key: key-confusion attempt
            issuer = self._unverified_issuer(token)
            if issuer == DEV_ISSUER:
                return self._verify_dev(token, digest)
            if self._hs_secret:
                return self._verify_hs256(token, digest)
        if self._user_url:
            return self._verify_remote(token, digest)
        return None

    def _decode(self, token: str, key: Any, alg: str, issuer: str | None) -> dict[str, Any] | None:
        options: dict[str, Any] = {"require": ["exp", "sub"]}
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=AUDIENCE,
                issuer=issuer,
                leeway=self._leeway,
                options=options,
            )
        except jwt.PyJWTError as exc:
            log.debug("token refused: %s", type(exc).__name__)
            return None
        if not _is_uuid(claims.get("sub")):
            log.debug("token refused: sub is not a UUID")
            return None
        if not isinstance(claims.get("exp"), int | float):
            return None
        return claims

    def _remember(
        self, digest: bytes, claims: dict[str, Any], key: _Key | None, kid: str | None
    ) -> None:
        self._verified.put(
            digest,
            _Verified(
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
            key = self._current_keys().get(entry.kid)
            if key is None or key.fingerprint != entry.fingerprint:
                self._verified.drop(digest)
                return None
        return dict(entry.claims)

    # ------------------------------------------------------------ asymmetric

    def _verify_jwks(self, token: str, digest: bytes, alg: str, kid: str) -> dict[str, Any] | None:
        if not self._jwks_url or not self._issuer:
            return None
        key = self._current_keys().get(kid)
        if key is None:
            key = self._fetch_keys().get(kid)
        if key is None or key.alg != alg:
            return None
        claims = self._decode(token, key.jwk.key, key.alg, self._issuer)
        if claims is not None:
            self._remember(digest, claims, key, kid)
        return claims

    def _current_keys(self) -> dict[str, _Key]:
        """The cached JWKS, fetched when missing or older than the TTL."""
        if not self._jwks_url:
            return {}
        now = self._mono()
        loaded = self._keys_loaded_at
        if loaded is not None and now - loaded < self._jwks_ttl:
            return self._keys
        # Stale or never loaded: fetch, but not more than once per refetch interval.
        return self._fetch_keys()

    def _fetch_keys(self) -> dict[str, _Key]:
        """Download the JWKS unless an attempt was made within the refetch interval."""
        with self._fetch_lock:
            now = self._mono()
            last = self._last_attempt
            if last is not None and now - last < self._min_refetch:
                return self._keys  # fetched (or failed) moments ago: don't hammer Supabase
            self._last_attempt = now
            keys = self._download_jwks()
            if keys is not None:
                self._keys = keys
                self._keys_loaded_at = self._mono()
            return self._keys

    def _download_jwks(self) -> dict[str, _Key] | None:
        assert self._jwks_url is not None
        self.jwks_fetches += 1
        try:
            response = self._http().get(self._jwks_url)
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning(
                "JWKS fetch failed (%s); keeping %d cached keys",
                type(exc).__name__,
                len(self._keys),
            )
            return None
        entries = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(entries, list):
            log.warning("JWKS document has no key list; keeping cached keys")
            return None
        keys: dict[str, _Key] = {}
        for entry in entries:
            parsed = self._parse_jwk(entry)
            if parsed is not None:
                keys[parsed[0]] = parsed[1]
        log.info("JWKS loaded: %d usable keys", len(keys))
        return keys

    @staticmethod
    def _parse_jwk(entry: object) -> tuple[str, _Key] | None:
        """Accept only EC P-256 (ES256) and RSA (RS256) signing keys with a kid."""
        if not isinstance(entry, dict):
            return None
        kid, kty = entry.get("kid"), entry.get("kty")
        if not isinstance(kid, str) or not kid or entry.get("use", "sig") != "sig":
            return None
        alg = _ASYMMETRIC_ALG_BY_KEY.get((kty, entry.get("crv") if kty == "EC" else None))
        if alg is None or entry.get("alg", alg) != alg:
            return None  # symmetric ("oct"), other curves, or a key announcing another alg
        if "d" in entry:
            return None  # a private key has no business in a public JWKS
        try:
            jwk = PyJWK(entry, algorithm=alg)
        except jwt.PyJWTError:
            return None
        fingerprint = hashlib.sha256(json.dumps(entry, sort_keys=True).encode()).hexdigest()
        return kid, _Key(jwk=jwk, alg=alg, fingerprint=fingerprint)

    # -------------------------------------------------------------- symmetric

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

    # ----------------------------------------------------------------- remote

    def _verify_remote(self, token: str, digest: bytes) -> dict[str, Any] | None:
        """Ask Supabase (`GET /auth/v1/user`) about a token we cannot check locally."""
        assert self._user_url is not None
        now = self._mono()
        cached = self._user_cache.get(digest)
        if cached is not None and cached.expires_mono is not None and cached.expires_mono > now:
            if cached.exp > self._wall() - self._leeway:
                return dict(cached.claims)
        refused = self._user_refused.get(digest)
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
        self.user_requests += 1
        try:
            response = self._http().get(self._user_url, headers=headers)
        except httpx.HTTPError as exc:
            log.warning("auth user lookup failed: %s", type(exc).__name__)
            return None
        if response.status_code in (401, 403):
            self._user_refused.put(
                digest, _Verified({}, float(exp), None, None, now + self._user_ttl)
            )
            return None
        if response.status_code != 200:
            log.warning("auth user lookup answered %d", response.status_code)
            return None
        try:
            user = response.json()
        except ValueError:
            return None
        if not isinstance(user, dict) or not _is_uuid(user.get("id")):
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
        ttl_end = min(now + self._user_ttl, now + max(0.0, exp - self._wall()))
        self._user_cache.put(digest, _Verified(claims, float(exp), None, None, ttl_end))
        return dict(claims)

    def _http(self) -> httpx.Client:
        with self._client_lock:
            if self._client is None:
                self._client = httpx.Client(timeout=self._timeout, follow_redirects=False)
            return self._client


def verify_token(token: str | None) -> dict[str, Any] | None:
    """Verify `token` with the verifier of the current Flask app."""
    from flask import current_app

    verifier: TokenVerifier = current_app.extensions["guia"].verifier
    return verifier.verify(token)
