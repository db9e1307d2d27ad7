"""TokenVerifier against a real loopback HTTP stand-in for Supabase Auth.

Covers the attack matrix (each must give None), the accepted token kinds, key
rotation and the unknown-kid flood limit, and the `/auth/v1/user` fallback.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import jwt
import pytest

from app.auth.dev_tokens import issue_dev_token
from app.auth.verifier import TokenVerifier
from app.config import Settings
from tests.support.jwks_server import FakeSupabaseAuth, SigningKey, _b64, forge, new_key

HS_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long"
DEV_SECRET = "dev-secret-for-tests-0123456789abcdef"


class FakeClock:
    """Monotonic clock the tests move by hand, so intervals are deterministic."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_settings(url: str | None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "APP_ENV": "test",
        "SUPABASE_URL": url,
        "DEV_JWT_SECRET": DEV_SECRET,
    }
    if overrides.get("APP_ENV") == "production":
        values.update(
            DATABASE_URL="postgresql://postgres@127.0.0.1:5432/test",
            REDIS_URL="redis://127.0.0.1:6379/0",
            ANSWER_ENGINE="offline",
        )
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(scope="module")
def rsa_key() -> SigningKey:
    return new_key("RS256", kid="rs-1")


@pytest.fixture()
def auth(rsa_key: SigningKey) -> Iterator[FakeSupabaseAuth]:
    server = FakeSupabaseAuth()
    server.add_key("ES256", kid="es-1")
    server.publish(rsa_key)
    server.start()
    yield server
    server.stop()


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture()
def verifier(auth: FakeSupabaseAuth, clock: FakeClock) -> Iterator[TokenVerifier]:
    v = TokenVerifier(
        make_settings(auth.url, SUPABASE_JWT_SECRET=HS_SECRET, SUPABASE_ANON_KEY="anon"),
        monotonic=clock,
    )
    yield v
    v.close()


def es(auth: FakeSupabaseAuth) -> Any:
    return auth.keys["es-1"]


# ----------------------------------------------------------------- accepted


def test_es256_token_is_accepted_with_its_claims(auth: FakeSupabaseAuth, verifier: TokenVerifier):
    sub = str(uuid.uuid4())
    claims = verifier.verify(auth.sign(es(auth), sub=sub, email="ana@example.com"))
    assert claims is not None
    assert claims["sub"] == sub
    assert claims["email"] == "ana@example.com"
    assert claims["aud"] == "authenticated"
    assert auth.jwks_fetches == 1


def test_rs256_token_is_accepted(auth: FakeSupabaseAuth, verifier: TokenVerifier):
    sub = str(uuid.uuid4())
    claims = verifier.verify(auth.sign(auth.keys["rs-1"], sub=sub))
    assert claims is not None and claims["sub"] == sub


def test_hs256_token_with_the_project_secret_is_accepted(
    auth: FakeSupabaseAuth, verifier: TokenVerifier
):
    sub = str(uuid.uuid4())
    plain = jwt.encode(auth.claims(sub=sub), HS_SECRET, algorithm="HS256")
    with_foreign_kid = jwt.encode(
        auth.claims(sub=sub), HS_SECRET, algorithm="HS256", headers={"kid": "legacy-hs"}
    )
    assert verifier.verify(plain)["sub"] == sub  # type: ignore[index]
    assert verifier.verify(with_foreign_kid)["sub"] == sub  # type: ignore[index]
    assert auth.user_lookups == 0


def test_expiry_within_leeway_is_accepted(auth: FakeSupabaseAuth, verifier: TokenVerifier):
    token = auth.sign(es(auth), exp=int(time.time()) - 10)
    assert verifier.verify(token) is not None


def test_dev_token_is_accepted_in_development(auth: FakeSupabaseAuth):
    settings = make_settings(auth.url, APP_ENV="development")
    sub = str(uuid.uuid4())
    token = issue_dev_token(settings, sub, email="dev@example.com", ttl_s=600)
    v = TokenVerifier(settings)
    claims = v.verify(token)
    assert claims is not None
    assert claims["sub"] == sub and claims["email"] == "dev@example.com"
    assert claims["iss"] == "guia-dev"
    assert auth.user_lookups == 0  # checked locally, not sent to Supabase


def test_dev_token_works_without_any_supabase_configuration():
    settings = make_settings(None)
    sub = str(uuid.uuid4())
    assert TokenVerifier(settings).verify(issue_dev_token(settings, sub))["sub"] == sub  # type: ignore[index]


def test_one_verifier_serves_many_tokens_and_refuses_garbage(
    auth: FakeSupabaseAuth, verifier: TokenVerifier
):
    subs = [str(uuid.uuid4()) for _ in range(3)]
    for sub in subs:
        assert verifier.verify(auth.sign(es(auth), sub=sub))["sub"] == sub  # type: ignore[index]
    assert verifier.verify("nope") is None
    assert auth.jwks_fetches == 1


# ------------------------------------------------------------- attack matrix


def _attacks(auth: FakeSupabaseAuth) -> dict[str, Any]:
    key = es(auth)
    now = int(time.time())
    pem = key.public_pem
    jwk_text = json.dumps(key.public_jwk)
    rsa_pem = auth.keys["rs-1"].public_pem
    stranger = new_key("ES256", kid="not-published")
    return {
        "no token": None,
        "empty": "",
        "not a string": 12345,
        "garbage": "garbage",
        "three garbage parts": "a.b.c",
        "oversized": "x" * 20_000,
        "alg none": auth.sign_none(),
        "alg none with kid": auth.sign_none(kid=key.kid),
        "HS256 with public PEM, kid": auth.sign_hs256(pem, kid=key.kid),
        "HS256 with public PEM, no kid": auth.sign_hs256(pem),
        "HS256 with RSA PEM, no kid": auth.sign_hs256(rsa_pem),
        "HS256 with public JWK, kid": auth.sign_hs256(jwk_text, kid=key.kid),
        "HS256 with public JWK, no kid": auth.sign_hs256(jwk_text),
        "HS256 with the secret but a JWKS kid": auth.sign_hs256(HS_SECRET, kid=key.kid),
        "HS256 wrong secret": auth.sign_hs256("another-secret-of-sufficient-length-123"),
        "ES key claimed as RS256": forge(
            {"alg": "RS256", "kid": key.kid}, auth.claims(), b"irrelevant"
        ),
        "HS384": jwt.encode(auth.claims(), HS_SECRET, algorithm="HS384"),
        "expired": auth.sign(key, exp=now - 120),
        "nbf in the future": auth.sign(key, nbf=now + 300),
        "iat in the future": auth.sign(key, iat=now + 300),
        "wrong aud": auth.sign(key, aud="anon"),
        "no aud": auth.sign(key, aud=None),
        "wrong iss": auth.sign(key, iss="https://evil.example/auth/v1"),
        "no iss": auth.sign(key, iss=None),
        "unknown kid": auth.sign(stranger),
        "non-UUID sub": auth.sign(key, sub="admin"),
        "no sub": auth.sign(key, {k: v for k, v in auth.claims().items() if k != "sub"}),
        "no exp": auth.sign(key, exp=None),
        "tampered payload": _tamper(auth.sign(key), auth.claims(sub=str(uuid.uuid4()))),
        "HS256 wrong iss with secret": jwt.encode(
            auth.claims(iss="https://evil.example/auth/v1"), HS_SECRET, algorithm="HS256"
        ),
        "service role key": jwt.encode(
            {"iss": "supabase", "role": "service_role", "exp": now + 3600},
            HS_SECRET,
            algorithm="HS256",
        ),
        "dev token forged with a wrong secret": jwt.encode(
            {
                "iss": "guia-dev",
                "aud": "authenticated",
                "sub": str(uuid.uuid4()),
                "exp": now + 600,
            },
            "not-the-dev-secret-0123456789abcdef",
            algorithm="HS256",
        ),
    }


def _tamper(token: str, claims: dict[str, Any]) -> str:
    header, _, signature = token.split(".")
    return f"{header}.{_b64(json.dumps(claims))}.{signature}"


ATTACK_NAMES = [
    "no token",
    "empty",
    "not a string",
    "garbage",
    "three garbage parts",
    "oversized",
    "alg none",
    "alg none with kid",
    "HS256 with public PEM, kid",
    "HS256 with public PEM, no kid",
    "HS256 with RSA PEM, no kid",
    "HS256 with public JWK, kid",
    "HS256 with public JWK, no kid",
    "HS256 with the secret but a JWKS kid",
    "HS256 wrong secret",
    "ES key claimed as RS256",
    "HS384",
    "expired",
    "nbf in the future",
    "iat in the future",
    "wrong aud",
    "no aud",
    "wrong iss",
    "no iss",
    "unknown kid",
    "non-UUID sub",
    "no sub",
    "no exp",
    "tampered payload",
    "HS256 wrong iss with secret",
    "service role key",
    "dev token forged with a wrong secret",
]


@pytest.mark.parametrize("name", ATTACK_NAMES)
def test_attack_is_refused(name: str, auth: FakeSupabaseAuth, verifier: TokenVerifier):
    attacks = _attacks(auth)
    assert set(attacks) == set(ATTACK_NAMES)
    assert verifier.verify(auth.sign(es(auth))) is not None  # control: JWKS loaded
    assert verifier.verify(attacks[name]) is None


@pytest.mark.parametrize("name", ATTACK_NAMES)
def test_attack_is_refused_without_hs_secret(name: str, auth: FakeSupabaseAuth, clock: FakeClock):
    """Same matrix when kid-less tokens go to the `/auth/v1/user` fallback (which says 401)."""
    v = TokenVerifier(make_settings(auth.url, SUPABASE_ANON_KEY="anon"), monotonic=clock)
    assert v.verify(auth.sign(es(auth))) is not None
    assert v.verify(_attacks(auth)[name]) is None
    v.close()


def test_public_pem_forgery_is_refused_even_when_the_secret_equals_nothing_known(
    auth: FakeSupabaseAuth, verifier: TokenVerifier
):
    """The JWKS keys are never used as HMAC secrets, whatever the header says."""
    assert verifier.verify(auth.sign(es(auth))) is not None
    key = es(auth)
    for kid in (key.kid, None, "other"):
        assert verifier.verify(auth.sign_hs256(key.public_pem, kid=kid)) is None


def test_dev_token_is_refused_in_production(auth: FakeSupabaseAuth):
    dev_settings = make_settings(auth.url, APP_ENV="development")
    token = issue_dev_token(dev_settings, str(uuid.uuid4()))
    prod = make_settings(auth.url, APP_ENV="production", SUPABASE_ANON_KEY="anon")
    v = TokenVerifier(prod)
    assert v.verify(token) is None
    with pytest.raises(RuntimeError):
        issue_dev_token(prod, str(uuid.uuid4()))
    v.close()


def test_oct_key_in_jwks_is_never_used(auth: FakeSupabaseAuth, verifier: TokenVerifier):
    secret = b"symmetric-key-published-by-mistake-000"
    auth.extra_jwks.append({"kty": "oct", "kid": "hs-pub", "k": _b64(secret), "alg": "HS256"})
    token = auth.sign_hs256(secret, kid="hs-pub")
    assert verifier.verify(token) is None


def test_jwks_key_announcing_another_alg_is_ignored(auth: FakeSupabaseAuth, clock: FakeClock):
    key = new_key("ES256", kid="confused")
    jwk = key.public_jwk | {"alg": "RS256"}
    auth.extra_jwks.append(jwk)
    v = TokenVerifier(make_settings(auth.url), monotonic=clock)
    assert v.verify(auth.sign(key)) is None
    v.close()


# ------------------------------------------------------------- key rotation


def test_new_key_is_accepted_without_restart_with_one_extra_fetch(
    auth: FakeSupabaseAuth, verifier: TokenVerifier, clock: FakeClock
):
    assert verifier.verify(auth.sign(es(auth))) is not None
    assert auth.jwks_fetches == 1
    clock.advance(31)  # past the refetch interval, well within the 10-minute TTL
    new = auth.add_key("ES256", kid="es-2")
    sub = str(uuid.uuid4())
    assert verifier.verify(auth.sign(new, sub=sub))["sub"] == sub  # type: ignore[index]
    assert auth.jwks_fetches == 2
    assert verifier.verify(auth.sign(new)) is not None
    assert auth.jwks_fetches == 2


def test_new_key_right_after_a_fetch_waits_for_the_interval(
    auth: FakeSupabaseAuth, verifier: TokenVerifier, clock: FakeClock
):
    assert verifier.verify(auth.sign(es(auth))) is not None
    new = auth.add_key("ES256", kid="es-2")
    assert verifier.verify(auth.sign(new)) is None  # within 30 s of the last fetch
    assert auth.jwks_fetches == 1
    clock.advance(30)
    assert verifier.verify(auth.sign(new)) is not None
    assert auth.jwks_fetches == 2


def test_removed_key_stops_being_accepted_after_ttl_refresh(
    auth: FakeSupabaseAuth, verifier: TokenVerifier, clock: FakeClock
):
    old_token = auth.sign(es(auth))
    assert verifier.verify(old_token) is not None
    assert verifier.verify(old_token) is not None  # (served from the verified cache)
    auth.remove_key("es-1")
    clock.advance(601)  # the JWKS cache is stale: the next use refetches
    assert verifier.verify(old_token) is None
    assert auth.jwks_fetches == 2


def test_removed_key_stops_being_accepted_after_rotation_fetch(
    auth: FakeSupabaseAuth, verifier: TokenVerifier, clock: FakeClock
):
    old_token = auth.sign(es(auth))
    assert verifier.verify(old_token) is not None
    auth.remove_key("es-1")
    new = auth.add_key("ES256", kid="es-2")
    clock.advance(31)
    assert verifier.verify(auth.sign(new)) is not None  # triggers the rotation fetch
    assert verifier.verify(old_token) is None
    assert verifier.verify(auth.sign(es(auth) if "es-1" in auth.keys else new)) is not None
    assert auth.jwks_fetches == 2


def test_unknown_kid_flood_fetches_at_most_once_per_interval(
    auth: FakeSupabaseAuth, verifier: TokenVerifier, clock: FakeClock
):
    assert verifier.verify(auth.sign(es(auth))) is not None
    clock.advance(31)
    tokens = [auth.sign(new_key("ES256", kid=f"flood-{i}")) for i in range(100)]
    for token in tokens:
        assert verifier.verify(token) is None
    assert auth.jwks_fetches == 2  # one extra fetch for the whole flood
    clock.advance(10)
    for token in tokens[:10]:
        assert verifier.verify(token) is None
    assert auth.jwks_fetches == 2


def test_concurrent_unknown_kid_flood_fetches_once(auth: FakeSupabaseAuth, clock: FakeClock):
    v = TokenVerifier(make_settings(auth.url), monotonic=clock)
    assert v.verify(auth.sign(es(auth))) is not None
    clock.advance(31)
    stranger = new_key("ES256", kid="stranger")
    tokens = [auth.sign(stranger) for _ in range(100)]
    results: list[object] = []

    def worker(chunk: list[str]) -> None:
        results.extend(v.verify(t) for t in chunk)

    threads = [threading.Thread(target=worker, args=(tokens[i::10],)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [None] * 100
    assert auth.jwks_fetches == 2
    v.close()


def test_jwks_fetch_failure_does_not_crash_and_recovers(auth: FakeSupabaseAuth, clock: FakeClock):
    v = TokenVerifier(make_settings(auth.url), monotonic=clock)
    token = auth.sign(es(auth))
    auth.jwks_status = 503
    assert v.verify(token) is None
    assert v.verify(token) is None
    assert auth.jwks_fetches == 1  # failures are retried only after the interval
    auth.jwks_status = 200
    clock.advance(31)
    assert v.verify(token) is not None
    assert auth.jwks_fetches == 2
    v.close()


def test_stale_keys_are_kept_when_a_refresh_fails(auth: FakeSupabaseAuth, clock: FakeClock):
    v = TokenVerifier(make_settings(auth.url), monotonic=clock, verified_cache_size=0)
    assert v.verify(auth.sign(es(auth))) is not None
    auth.jwks_status = 500
    clock.advance(601)
    assert v.verify(auth.sign(es(auth))) is not None
    assert auth.jwks_fetches == 2
    v.close()


def test_unreachable_jwks_refuses_quickly():
    server = FakeSupabaseAuth()
    url = server.url
    server.stop()  # nothing listens on that port any more
    v = TokenVerifier(make_settings(url), http_timeout_s=0.5)
    token = jwt.encode(
        {"sub": str(uuid.uuid4()), "aud": "authenticated", "exp": int(time.time()) + 60},
        new_key("ES256").private,
        algorithm="ES256",
        headers={"kid": "k"},
    )
    started = time.monotonic()
    assert v.verify(token) is None
    assert (
        time.monotonic() - started < 4
    )  # far below a hung connection; generous for a loaded CI machine
    v.close()


# ------------------------------------------------------------ verified cache


def test_verified_cache_rechecks_expiry(auth: FakeSupabaseAuth, clock: FakeClock):
    v = TokenVerifier(make_settings(auth.url), monotonic=clock, leeway_s=0)
    token = auth.sign(es(auth), exp=int(time.time()) + 1)
    assert v.verify(token) is not None
    time.sleep(2.05)
    assert v.verify(token) is None
    v.close()


def test_returned_claims_cannot_poison_the_cache(auth: FakeSupabaseAuth, verifier: TokenVerifier):
    token = auth.sign(es(auth))
    first = verifier.verify(token)
    assert first is not None
    first["sub"] = "tampered"
    second = verifier.verify(token)
    assert second is not None and second["sub"] != "tampered"


# ------------------------------------------------------------ REST fallback


@pytest.fixture()
def fallback_verifier(auth: FakeSupabaseAuth) -> Iterator[TokenVerifier]:
    v = TokenVerifier(make_settings(auth.url, SUPABASE_ANON_KEY="anon-key"), http_timeout_s=0.5)
    yield v
    v.close()


def _opaque_token(auth: FakeSupabaseAuth, sub: str) -> str:
    """A kid-less HS256 token signed with a secret this server does not know."""
    return jwt.encode(
        auth.claims(sub=sub), "secret-only-supabase-knows-0123456789ab", algorithm="HS256"
    )


def test_fallback_accepts_and_caches(auth: FakeSupabaseAuth, fallback_verifier: TokenVerifier):
    sub = str(uuid.uuid4())
    token = _opaque_token(auth, sub)
    auth.register_user(token, sub, email="luis@example.com")
    claims = fallback_verifier.verify(token)
    assert claims is not None
    assert claims["sub"] == sub and claims["email"] == "luis@example.com"
    assert claims["aud"] == "authenticated" and claims["role"] == "authenticated"
    assert auth.user_lookups == 1
    sent = auth.seen_headers[-1]
    assert sent["apikey"] == "anon-key" and sent["authorization"] == f"Bearer {token}"
    assert fallback_verifier.verify(token)["sub"] == sub  # type: ignore[index]
    assert auth.user_lookups == 1  # second call served from the cache


def test_fallback_cache_expires(auth: FakeSupabaseAuth, clock: FakeClock):
    v = TokenVerifier(make_settings(auth.url, SUPABASE_SERVICE_KEY="svc"), monotonic=clock)
    sub = str(uuid.uuid4())
    token = _opaque_token(auth, sub)
    auth.register_user(token, sub)
    assert v.verify(token) is not None
    clock.advance(61)
    assert v.verify(token) is not None
    assert auth.user_lookups == 2
    assert auth.seen_headers[-1]["apikey"] == "svc"
    v.close()


def test_fallback_401_is_refused(auth: FakeSupabaseAuth, fallback_verifier: TokenVerifier):
    token = _opaque_token(auth, str(uuid.uuid4()))
    assert fallback_verifier.verify(token) is None
    assert auth.user_lookups == 1
    assert fallback_verifier.verify(token) is None
    assert auth.user_lookups == 1  # a refusal is remembered briefly too


def test_fallback_timeout_is_refused_quickly(
    auth: FakeSupabaseAuth, fallback_verifier: TokenVerifier
):
    sub = str(uuid.uuid4())
    token = _opaque_token(auth, sub)
    auth.register_user(token, sub)
    auth.user_delay_s = 5
    started = time.monotonic()
    assert fallback_verifier.verify(token) is None
    assert time.monotonic() - started < 4.5  # the fake answers after 5 s: the timeout cut it short


def test_fallback_skips_expired_tokens(auth: FakeSupabaseAuth, fallback_verifier: TokenVerifier):
    sub = str(uuid.uuid4())
    token = jwt.encode(
        auth.claims(sub=sub, exp=int(time.time()) - 300), "x" * 40, algorithm="HS256"
    )
    auth.register_user(token, sub)
    assert fallback_verifier.verify(token) is None
    assert auth.user_lookups == 0


def test_fallback_refuses_non_uuid_user_id(
    auth: FakeSupabaseAuth, fallback_verifier: TokenVerifier
):
    token = _opaque_token(auth, str(uuid.uuid4()))
    auth.register_user(token, "not-a-uuid")
    assert fallback_verifier.verify(token) is None


def test_unknown_kid_es256_never_goes_to_fallback(
    auth: FakeSupabaseAuth, fallback_verifier: TokenVerifier
):
    assert fallback_verifier.verify(auth.sign(new_key("ES256", kid="zzz"))) is None
    assert auth.user_lookups == 0


def test_no_configuration_refuses_supabase_tokens(auth: FakeSupabaseAuth):
    v = TokenVerifier(make_settings(None))
    assert v.verify(auth.sign(es(auth))) is None
    assert v.verify(jwt.encode(auth.claims(), HS_SECRET, algorithm="HS256")) is None
    assert auth.jwks_fetches == 0 and auth.user_lookups == 0


def test_secret_only_configuration_accepts_supabase_hs256(auth: FakeSupabaseAuth):
    v = TokenVerifier(make_settings(None, SUPABASE_JWT_SECRET=HS_SECRET))
    sub = str(uuid.uuid4())
    good = jwt.encode(auth.claims(sub=sub), HS_SECRET, algorithm="HS256")
    odd_iss = jwt.encode(auth.claims(iss="supabase"), HS_SECRET, algorithm="HS256")
    assert v.verify(good)["sub"] == sub  # type: ignore[index]
    assert v.verify(odd_iss) is None
