"""Socket.IO connection auth and sessions against a real `python run.py` on loopback.

The server verifies tokens against tests/support/jwks_server.FakeSupabaseAuth over
HTTP, keeps sessions in a reserved Redis database and profiles in a fresh Postgres
database. Clients are real python-socketio clients over websocket.

Key removal after rotation is not tested here: the server's verifier caches the
JWKS for 600 s and re-fetches on an unknown kid at most every 30 s, and no setting
shortens either, so a removed key stays accepted longer than a test can wait.
tests/unit/test_token_verifier.py covers removal at verifier level with a fake clock.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest

from tests.support.auth_server import Attempt, server_env, try_connect
from tests.support.jwks_server import FakeSupabaseAuth, SigningKey, new_key
from tests.support.server import PgDatabase, RedisDb, ServerProcess

pytestmark = pytest.mark.integration

NEW_USER_CREDITS = 17  # not the default 20, so the value is known to come from settings
READY_KEYS = {"session_id", "user_id", "credits", "active_interaction"}


class Env:
    """One module's servers and keys."""

    def __init__(self) -> None:
        self.fake = FakeSupabaseAuth()
        self.es = self.fake.add_key("ES256")
        self.rs = self.fake.add_key("RS256")
        self.fake.start()
        self.pg = PgDatabase()
        self.redis = RedisDb()
        self.limit_redis = RedisDb()
        common = {"SUPABASE_URL": self.fake.url, "NEW_USER_CREDITS": NEW_USER_CREDITS}
        self.server = ServerProcess(
            server_env(DATABASE_URL=self.pg.url, REDIS_URL=self.redis.url, **common)
        )
        # A dedicated server whose failed-auth and per-user limits are small enough to reach.
        self.limited = ServerProcess(
            server_env(
                DATABASE_URL=self.pg.url,
                REDIS_URL=self.limit_redis.url,
                RATE_LIMIT_FAILED_AUTH="5/minute",
                RATE_LIMIT_USER_CONNECTIONS="3/minute",
                **common,
            )
        )
        # A server that trusts fetched keys for 1 s and may re-fetch at once, so a key
        # removed from the JWKS stops being accepted within the test.
        self.rotating = ServerProcess(
            server_env(
                DATABASE_URL=self.pg.url,
                REDIS_URL=self.redis.url,
                JWKS_CACHE_S="1",
                JWKS_MIN_REFETCH_S="0",
                **common,
            )
        )
        self.server.wait_ready()
        self.limited.wait_ready()
        self.rotating.wait_ready()
        # Published after start-up, before the server's first JWKS fetch (lazy, on the
        # first token): it stands for a key rotated in while the server runs.
        self.late = self.fake.add_key("ES256")
        self.tokens: list[str] = []

    def token(self, key: SigningKey | None = None, **overrides: Any) -> str:
        token = self.fake.sign(key or self.es, **overrides)
        self.tokens.append(token)
        return token

    def close(self) -> None:
        for server in (self.server, self.limited, self.rotating):
            server.stop()
        self.pg.close()
        self.redis.close()
        self.limit_redis.close()
        self.fake.stop()


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    e = Env()
    try:
        yield e
    finally:
        e.close()


@pytest.fixture
def opened() -> Iterator[list[Attempt]]:
    """Attempts made by a test, disconnected at its end."""
    attempts: list[Attempt] = []
    yield attempts
    for attempt in attempts:
        attempt.close()


def connect(
    env: Env, opened: list[Attempt], server: ServerProcess | None = None, **kw: Any
) -> Attempt:
    attempt = try_connect((server or env.server).url, **kw)
    opened.append(attempt)
    return attempt


def assert_refused(attempt: Attempt) -> None:
    """The protocol's refusal: message "unauthorized", data {code, message}, nothing else."""
    assert attempt.raised is not None, "connection was accepted"
    assert not attempt.client.connected
    assert isinstance(attempt.error, dict), attempt.error
    assert attempt.error["message"] == "unauthorized"
    data = attempt.error["data"]
    assert set(data) == {"code", "message"}
    assert data["code"] == "unauthorized"
    assert isinstance(data["message"], str) and data["message"]
    assert attempt.ready is None


# -- the attack matrix -----------------------------------------------------------


def _attacks(env: Env) -> dict[str, dict[str, Any]]:
    """Connection arguments of each forged or misplaced credential."""
    fake, es = env.fake, env.es
    now = int(time.time())
    good = env.token()
    ghost = new_key("ES256", kid="ghost-key")
    return {
        "no token": {"auth": None},
        "empty auth": {"auth": {}},
        "garbage": {"auth": {"token": "garbage"}},
        "three garbage segments": {"auth": {"token": "abc.def.ghi"}},
        "non-string token": {"auth": {"token": 12345}},
        "alg none": {"auth": {"token": fake.sign_none(kid=es.kid)}},
        "alg none without kid": {"auth": {"token": fake.sign_none()}},
        "HS256 signed with the public key": {
            "auth": {"token": fake.sign_hs256(es.public_pem, kid=es.kid)}
        },
        "HS256 signed with the public key, no kid": {
            "auth": {"token": fake.sign_hs256(es.public_pem)}
        },
        "expired": {"auth": {"token": env.token(exp=now - 3600, iat=now - 7200)}},
        "nbf in the future": {"auth": {"token": env.token(nbf=now + 3600)}},
        "wrong aud": {"auth": {"token": env.token(aud="anon")}},
        "wrong iss": {"auth": {"token": env.token(iss="https://evil.example/auth/v1")}},
        "sub not a uuid": {"auth": {"token": env.token(sub="admin")}},
        "unknown kid": {"auth": {"token": fake.sign(ghost)}},
        "RS256 key, ES256 kid": {
            "auth": {
                "token": jwt.encode(
                    fake.claims(), env.rs.private, algorithm="RS256", headers={"kid": es.kid}
                )
            }
        },
        "tampered payload": {"auth": {"token": _tamper(good)}},
        "token only in the query string": {"auth": None, "query": f"?token={good}"},
        "access_token only in the query string": {
            "auth": None,
            "query": f"?access_token={good}",
        },
        "non-bearer Authorization header": {"auth": None, "headers": {"Authorization": good}},
        "basic Authorization header": {
            "auth": None,
            "headers": {"Authorization": f"Basic {good}"},
        },
    }


def _tamper(token: str) -> str:
    import base64
    import json

    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = str(uuid.uuid4())
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{body}.{signature}"


ATTACK_NAMES = [
    "no token",
    "empty auth",
    "garbage",
    "three garbage segments",
    "non-string token",
    "alg none",
    "alg none without kid",
    "HS256 signed with the public key",
    "HS256 signed with the public key, no kid",
    "expired",
    "nbf in the future",
    "wrong aud",
    "wrong iss",
    "sub not a uuid",
    "unknown kid",
    "RS256 key, ES256 kid",
    "tampered payload",
    "token only in the query string",
    "access_token only in the query string",
    "non-bearer Authorization header",
    "basic Authorization header",
]


@pytest.mark.parametrize("name", ATTACK_NAMES)
def test_attack_is_refused_as_unauthorized(name: str, env: Env, opened: list[Attempt]) -> None:
    kwargs = _attacks(env)[name]
    assert_refused(connect(env, opened, **kwargs))


def test_attack_list_is_complete(env: Env) -> None:
    assert sorted(_attacks(env)) == sorted(ATTACK_NAMES)


def test_refusals_are_counted_in_metrics(env: Env, opened: list[Attempt]) -> None:
    assert_refused(connect(env, opened, auth={"token": "garbage"}))
    text = httpx.get(f"{env.server.url}/metrics", timeout=5).text
    line = next(
        line
        for line in text.splitlines()
        if line.startswith('guia_connect_refused_total{reason="invalid_token"}')
    )
    assert float(line.split()[-1]) >= 1


# -- accepted tokens ---------------------------------------------------------------


@pytest.mark.parametrize("alg", ["ES256", "RS256"])
def test_asymmetric_token_gets_session_ready(alg: str, env: Env, opened: list[Attempt]) -> None:
    user_id = str(uuid.uuid4())
    key = env.es if alg == "ES256" else env.rs
    attempt = connect(env, opened, auth={"token": env.token(key, sub=user_id)})
    assert attempt.accepted
    ready = attempt.wait_ready()
    assert set(ready) == READY_KEYS
    assert ready["user_id"] == user_id
    assert ready["credits"] == NEW_USER_CREDITS
    assert ready["active_interaction"] is None
    assert str(uuid.UUID(ready["session_id"])) == ready["session_id"]


def test_authorization_bearer_header_is_accepted(env: Env, opened: list[Attempt]) -> None:
    user_id = str(uuid.uuid4())
    token = env.token(sub=user_id)
    attempt = connect(env, opened, auth=None, headers={"Authorization": f"Bearer {token}"})
    assert attempt.accepted
    assert attempt.wait_ready()["user_id"] == user_id


def test_key_published_after_start_is_accepted_without_restart(
    env: Env, opened: list[Attempt]
) -> None:
    user_id = str(uuid.uuid4())
    attempt = connect(env, opened, auth={"token": env.token(env.late, sub=user_id)})
    assert attempt.accepted
    assert attempt.wait_ready()["user_id"] == user_id
    # The keys published before it keep working next to it.
    assert connect(env, opened, auth={"token": env.token(env.es)}).accepted


def test_key_removed_from_the_jwks_is_refused_after_the_cache_expires(
    env: Env, opened: list[Attempt]
) -> None:
    old = env.fake.add_key("ES256")
    assert connect(env, opened, server=env.rotating, auth={"token": env.token(old)}).accepted
    env.fake.remove_key(old.kid)
    new = env.fake.add_key("RS256")
    time.sleep(1.3)
    # A fresh token (not one the verifier already checked) signed with the removed key.
    assert_refused(connect(env, opened, server=env.rotating, auth={"token": env.token(old)}))
    assert connect(env, opened, server=env.rotating, auth={"token": env.token(new)}).accepted


def test_session_ready_is_the_only_event_after_connect(env: Env, opened: list[Attempt]) -> None:
    events: list[str] = []
    attempt = connect(env, opened, auth={"token": env.token()}, wait_ready=False)
    attempt.client.on("*", lambda event, *_a: events.append(event))
    attempt.wait_ready()
    time.sleep(0.3)
    assert events == []  # session_ready has its own handler; nothing else arrived


# -- profile on first sight ----------------------------------------------------------


def test_profile_is_made_on_first_connect_with_a_ledgered_grant(
    env: Env, opened: list[Attempt]
) -> None:
    user_id = str(uuid.uuid4())
    token = env.token(sub=user_id, email="nuevo@example.com")
    first = connect(env, opened, auth={"token": token})
    assert first.wait_ready()["credits"] == NEW_USER_CREDITS
    first.close()
    again = connect(env, opened, auth={"token": token})
    assert again.wait_ready()["credits"] == NEW_USER_CREDITS  # no second grant

    usage = env.server.get("/api/v1/credits/usage", token)
    assert usage.status_code == 200
    items = usage.json()["items"]
    assert len(items) == 1
    assert items[0]["action_type"] == "grant"
    assert items[0]["credits"] == -NEW_USER_CREDITS
    assert items[0]["balance_after"] == NEW_USER_CREDITS
    rows = env.pg.query(
        "SELECT p.credits, p.email, count(c.id) FROM profiles p "
        "JOIN credit_usage c ON c.user_id = p.id WHERE p.id = %s GROUP BY p.id",
        user_id,
    )
    assert rows == [(NEW_USER_CREDITS, "nuevo@example.com", 1)]


# -- session reuse and takeover ----------------------------------------------------------


def test_same_user_reuses_a_live_session(env: Env, opened: list[Attempt]) -> None:
    token = env.token()
    first = connect(env, opened, auth={"token": token})
    session_id = first.wait_ready()["session_id"]
    first.close()
    again = connect(env, opened, auth={"token": token, "session_id": session_id})
    assert again.wait_ready()["session_id"] == session_id


def test_another_users_session_id_gets_a_new_session(env: Env, opened: list[Attempt]) -> None:
    owner_token = env.token()
    owner = connect(env, opened, auth={"token": owner_token})
    session_id = owner.wait_ready()["session_id"]
    owner.close()

    intruder = connect(env, opened, auth={"token": env.token(), "session_id": session_id})
    stolen = intruder.wait_ready()["session_id"]
    assert stolen != session_id
    # The owner's session is untouched and still theirs.
    back = connect(env, opened, auth={"token": owner_token, "session_id": session_id})
    assert back.wait_ready()["session_id"] == session_id
    assert env.redis.client.hget(f"session:{session_id}", "user_id") == back.ready["user_id"]


@pytest.mark.parametrize(
    "requested", [str(uuid.uuid4()), "not-a-session", "", 12345, "x" * 500, None]
)
def test_unknown_session_id_gets_a_new_session(
    requested: Any, env: Env, opened: list[Attempt]
) -> None:
    attempt = connect(env, opened, auth={"token": env.token(), "session_id": requested})
    session_id = attempt.wait_ready()["session_id"]
    assert session_id != requested
    assert env.redis.client.exists(f"session:{session_id}") == 1


def test_expired_session_id_gets_a_new_session(env: Env, opened: list[Attempt]) -> None:
    token = env.token()
    first = connect(env, opened, auth={"token": token})
    session_id = first.wait_ready()["session_id"]
    first.close()
    # Let the server record the disconnect first: it renews the TTL when it does.
    key = f"session:{session_id}"
    deadline = time.monotonic() + 5
    while env.redis.client.hget(key, "sid") != "" and time.monotonic() < deadline:
        time.sleep(0.02)
    assert env.redis.client.hget(key, "sid") == ""
    env.redis.client.pexpire(key, 1)
    time.sleep(0.05)
    assert env.redis.client.exists(key) == 0
    again = connect(env, opened, auth={"token": token, "session_id": session_id})
    assert again.wait_ready()["session_id"] != session_id


def test_new_session_has_the_configured_ttl(env: Env, opened: list[Attempt]) -> None:
    attempt = connect(env, opened, auth={"token": env.token()})
    ttl = env.redis.client.ttl(f"session:{attempt.wait_ready()['session_id']}")
    assert 1790 <= ttl <= 1800


def test_second_socket_takes_the_session_over(env: Env, opened: list[Attempt]) -> None:
    token = env.token()
    first = connect(env, opened, auth={"token": token})
    session_id = first.wait_ready()["session_id"]
    second = connect(env, opened, auth={"token": token, "session_id": session_id})
    assert second.wait_ready()["session_id"] == session_id
    assert first.disconnected.wait(5), "the old socket was not disconnected"
    time.sleep(0.2)
    assert second.client.connected
    assert not second.disconnected.is_set()
    # The session now names the new socket.
    assert env.redis.client.hget(f"session:{session_id}", "sid") == second.client.get_sid("/")


# -- connection limits: failed authentications per IP, connections per user ---------------


def _refused_total(server: ServerProcess, reason: str) -> float:
    text = httpx.get(f"{server.url}/metrics", timeout=5).text
    prefix = f'guia_connect_refused_total{{reason="{reason}"}} '
    lines = [line for line in text.splitlines() if line.startswith(prefix)]
    return float(lines[0].removeprefix(prefix)) if lines else 0.0


def test_failed_auths_over_the_limit_skip_the_remote_check_but_valid_tokens_still_connect(
    env: Env, opened: list[Attempt]
) -> None:
    """An attacker's forged tokens from a shared address never lock its students out."""
    server = env.limited

    def forged() -> dict[str, Any]:  # a new token each time (refusals are cached per token)
        return {"auth": {"token": env.fake.sign_hs256(b"not-the-project-secret")}}

    lookups = env.fake.user_lookups
    for _ in range(5):  # within the budget: the unverifiable token goes to /auth/v1/user
        assert_refused(connect(env, opened, server=server, **forged()))
    assert env.fake.user_lookups == lookups + 5
    assert _refused_total(server, "invalid_token") >= 5
    for _ in range(5):  # over it: refused without the remote call, told to wait
        attempt = connect(env, opened, server=server, **forged())
        assert_refused(attempt)
        assert "Espera" in attempt.error["data"]["message"]
    assert env.fake.user_lookups == lookups + 5
    assert _refused_total(server, "failed_auth_limited") == 5
    # Students behind the same address: a valid token is verified locally and connects.
    for _ in range(3):
        good = connect(env, opened, server=server, auth={"token": env.token()})
        assert good.accepted
        assert good.wait_ready()["user_id"]
        good.close()


def test_connections_per_user_are_limited_other_users_are_not(
    env: Env, opened: list[Attempt]
) -> None:
    server = env.limited
    user = str(uuid.uuid4())
    for _ in range(3):
        attempt = connect(env, opened, server=server, auth={"token": env.token(sub=user)})
        assert attempt.accepted
        attempt.close()
    fourth = connect(env, opened, server=server, auth={"token": env.token(sub=user)})
    assert_refused(fourth)
    assert "cuenta" in fourth.error["data"]["message"]
    assert _refused_total(server, "user_limited") == 1
    other = connect(env, opened, server=server, auth={"token": env.token()})
    assert other.accepted


# -- no secret reaches the log ------------------------------------------------------------


def test_tokens_never_reach_the_server_log(env: Env) -> None:
    # Last in the module: by now every token above went through the server.
    log = env.server.log() + env.limited.log()
    assert env.tokens
    for token in env.tokens:
        assert token not in log
        assert token.split(".")[2] not in log
