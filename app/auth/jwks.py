"""The Supabase project's signing keys (JWKS): fetched, cached, re-fetched sparingly.

Only EC P-256 (ES256) and RSA (RS256) signing keys with a `kid` are kept; the
algorithm each one accepts comes from its key type, never from a token header.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import jwt
from jwt import PyJWK

log = logging.getLogger(__name__)

# The only algorithm accepted for each JWKS key type; fixed here, never read from a token.
ALG_BY_KEY_TYPE = {("EC", "P-256"): "ES256", ("RSA", None): "RS256"}
ASYMMETRIC_ALGS = frozenset(ALG_BY_KEY_TYPE.values())


@dataclass(frozen=True)
class SigningKey:
    """One usable signing key from the JWKS."""

    jwk: PyJWK
    alg: str
    fingerprint: str


def parse_jwk(entry: object) -> tuple[str, SigningKey] | None:
    """Accept only EC P-256 (ES256) and RSA (RS256) signing keys with a kid."""
    if not isinstance(entry, dict):
        return None
    kid, kty = entry.get("kid"), entry.get("kty")
    if not isinstance(kid, str) or not kid or entry.get("use", "sig") != "sig":
        return None
    alg = ALG_BY_KEY_TYPE.get((kty, entry.get("crv") if kty == "EC" else None))
    if alg is None or entry.get("alg", alg) != alg:
        return None  # symmetric ("oct"), other curves, or a key announcing another alg
    if "d" in entry:
        return None  # a private key has no business in a public JWKS
    try:
        jwk = PyJWK(entry, algorithm=alg)
    except jwt.PyJWTError:
        return None
    fingerprint = hashlib.sha256(json.dumps(entry, sort_keys=True).encode()).hexdigest()
    return kid, SigningKey(jwk=jwk, alg=alg, fingerprint=fingerprint)


class KeySet:
    """The cached JWKS of one project; safe to share across threads."""

    def __init__(
        self,
        url: str | None,
        http: Callable[[], httpx.Client],
        *,
        ttl_s: float,
        min_refetch_s: float,
        monotonic: Callable[[], float],
    ) -> None:
        self.url = url
        self._http = http
        self._ttl = ttl_s
        self._min_refetch = min_refetch_s
        self._mono = monotonic
        self._keys: dict[str, SigningKey] = {}
        self._loaded_at: float | None = None  # monotonic time of the last good fetch
        self._last_attempt: float | None = None  # monotonic time of the last fetch attempt
        self._lock = threading.Lock()

    def __contains__(self, kid: str) -> bool:
        return kid in self._keys

    def current(self) -> dict[str, SigningKey]:
        """The cached keys, fetched when missing or older than the TTL."""
        if not self.url:
            return {}
        loaded = self._loaded_at
        if loaded is not None and self._mono() - loaded < self._ttl:
            return self._keys
        # Stale or never loaded: fetch, but not more than once per refetch interval.
        return self.refresh()

    def find(self, kid: str) -> SigningKey | None:
        """The key named `kid`, re-fetching the set (sparingly) when it is unknown."""
        return self.current().get(kid) or self.refresh().get(kid)

    def refresh(self) -> dict[str, SigningKey]:
        """Download the JWKS unless an attempt was made within the refetch interval."""
        with self._lock:
            now = self._mono()
            last = self._last_attempt
            if last is not None and now - last < self._min_refetch:
                return self._keys  # fetched (or failed) moments ago: don't hammer Supabase
            self._last_attempt = now
            keys = self._download()
            if keys is not None:
                self._keys = keys
                self._loaded_at = self._mono()
            return self._keys

    def _download(self) -> dict[str, SigningKey] | None:
        assert self.url is not None
        try:
            response = self._http().get(self.url)
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
        keys = dict(parsed for parsed in map(parse_jwk, entries) if parsed is not None)
        log.info("JWKS loaded: %d usable keys", len(keys))
        return keys
