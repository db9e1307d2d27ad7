"""A local stand-in for Supabase Auth: a JWKS endpoint and `/auth/v1/user`.

It is a real HTTP server on 127.0.0.1 so the verifier's fetching, caching,
timeouts and rotation are exercised over the network stack, plus helpers that
sign good tokens and each kind of forged one.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

JWKS_PATH = "/auth/v1/.well-known/jwks.json"
USER_PATH = "/auth/v1/user"


@dataclass
class SigningKey:
    """A private key the server publishes (as a public JWK) under `kid`."""

    kid: str
    alg: str  # "ES256" or "RS256"
    private: Any

    @property
    def public_jwk(self) -> dict[str, Any]:
        algo = ECAlgorithm if self.alg == "ES256" else RSAAlgorithm
        jwk = json.loads(algo.to_jwk(self.private.public_key()))
        jwk.update({"kid": self.kid, "alg": self.alg, "use": "sig"})
        return jwk

    @property
    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def new_key(alg: str, kid: str | None = None) -> SigningKey:
    """Generate an ES256 (P-256) or RS256 (2048-bit) key."""
    if alg == "ES256":
        private: Any = ec.generate_private_key(ec.SECP256R1())
    elif alg == "RS256":
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        raise ValueError(alg)
    return SigningKey(kid=kid or f"{alg.lower()}-{uuid.uuid4().hex[:8]}", alg=alg, private=private)


class FakeSupabaseAuth:
    """Threaded HTTP server with a mutable JWKS and a token → user table."""

    def __init__(self) -> None:
        self.keys: dict[str, SigningKey] = {}
        self.extra_jwks: list[dict[str, Any]] = []  # raw entries (e.g. an "oct" key)
        self.users: dict[str, dict[str, Any]] = {}
        self.user_delay_s = 0.0
        self.jwks_status = 200
        self.requests: Counter[str] = Counter()
        self.seen_headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # ------------------------------------------------------------- lifecycle

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def issuer(self) -> str:
        return f"{self.url}/auth/v1"

    def start(self) -> FakeSupabaseAuth:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def count(self, path: str) -> int:
        with self._lock:
            return self.requests[path]

    @property
    def jwks_fetches(self) -> int:
        return self.count(JWKS_PATH)

    @property
    def user_lookups(self) -> int:
        return self.count(USER_PATH)

    # -------------------------------------------------------------- key admin

    def add_key(self, alg: str = "ES256", kid: str | None = None) -> SigningKey:
        key = new_key(alg, kid)
        self.keys[key.kid] = key
        return key

    def publish(self, key: SigningKey) -> SigningKey:
        """Publish an existing key (RSA generation is slow; tests reuse keys)."""
        self.keys[key.kid] = key
        return key

    def remove_key(self, kid: str) -> None:
        self.keys.pop(kid, None)

    def jwks(self) -> dict[str, Any]:
        return {"keys": [k.public_jwk for k in list(self.keys.values())] + self.extra_jwks}

    def register_user(self, token: str, user_id: str, email: str | None = None) -> None:
        """Make `/auth/v1/user` answer 200 for `token`."""
        self.users[token] = {
            "id": user_id,
            "aud": "authenticated",
            "role": "authenticated",
            "email": email,
        }

    # ---------------------------------------------------------------- signing

    def claims(self, sub: str | None = None, **overrides: Any) -> dict[str, Any]:
        """Claims of a valid Supabase access token; overrides replace or (None) drop."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": "authenticated",
            "sub": sub or str(uuid.uuid4()),
            "role": "authenticated",
            "email": "alumno@example.com",
            "iat": now,
            "exp": now + 3600,
        }
        for name, value in overrides.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        return claims

    def sign(self, key: SigningKey, claims: dict[str, Any] | None = None, **overrides: Any) -> str:
        """A token signed by `key` with its kid in the header."""
        body = claims if claims is not None else self.claims(**overrides)
        return jwt.encode(body, key.private, algorithm=key.alg, headers={"kid": key.kid})

    def sign_hs256(
        self, secret: str | bytes, claims: dict[str, Any] | None = None, kid: str | None = None
    ) -> str:
        """HS256 token; with raw bytes it also forges "signed with the public key" tokens."""
        body = claims if claims is not None else self.claims()
        header = {"alg": "HS256", "typ": "JWT"}
        if kid:
            header["kid"] = kid
        return forge(header, body, secret)

    def sign_none(self, claims: dict[str, Any] | None = None, kid: str | None = None) -> str:
        """An unsigned `alg: none` token."""
        header: dict[str, Any] = {"alg": "none", "typ": "JWT"}
        if kid:
            header["kid"] = kid
        return _b64(json.dumps(header)) + "." + _b64(json.dumps(claims or self.claims())) + "."

    # ---------------------------------------------------------------- handler

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

            def _send(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 - http.server naming
                path = self.path.split("?", 1)[0]
                with fake._lock:
                    fake.requests[path] += 1
                    fake.seen_headers.append({k.lower(): v for k, v in self.headers.items()})
                if path == JWKS_PATH:
                    if fake.jwks_status != 200:
                        self._send(fake.jwks_status, {"error": "unavailable"})
                    else:
                        self._send(200, fake.jwks())
                elif path == USER_PATH:
                    if fake.user_delay_s:
                        fake._release.wait(fake.user_delay_s)
                    auth = self.headers.get("Authorization", "")
                    token = auth[7:] if auth.startswith("Bearer ") else ""
                    user = fake.users.get(token)
                    if user is None or not self.headers.get("apikey"):
                        self._send(401, {"code": 401, "msg": "invalid JWT"})
                    else:
                        self._send(200, user)
                else:
                    self._send(404, {"error": "not found"})

        return Handler


def _b64(data: str | bytes) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def forge(header: dict[str, Any], claims: dict[str, Any], secret: str | bytes) -> str:
    """HMAC-SHA256 a token by hand: PyJWT refuses PEM keys as HMAC secrets, attackers don't."""
    import hashlib
    import hmac

    key = secret.encode() if isinstance(secret, str) else secret
    signing_input = _b64(json.dumps(header)) + "." + _b64(json.dumps(claims))
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + _b64(signature)


@contextmanager
def running_fake_auth() -> Iterator[FakeSupabaseAuth]:
    """Start a server with one ES256 and one RS256 key; stop it afterwards."""
    server = FakeSupabaseAuth()
    server.add_key("ES256")
    server.add_key("RS256")
    server.start()
    try:
        yield server
    finally:
        server.stop()
