"""The account HTTP API, health endpoints and CORS against a real `python run.py`.

Rows for pagination are written straight through the repositories into the
server's Postgres database; tokens come from the loopback fake Supabase Auth.
"""

from __future__ import annotations

import base64
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.domain.records import Interaction
from app.repositories.sql import open_database
from tests.support.auth_server import server_env, try_connect
from tests.support.jwks_server import FakeSupabaseAuth
from tests.support.server import PgDatabase, RedisDb, ServerProcess

pytestmark = pytest.mark.integration

NEW_USER_CREDITS = 17
ALLOWED_ORIGIN = "https://app.example"
FOREIGN_ORIGIN = "https://evil.example"
HISTORY_KEYS = {
    "interaction_id",
    "question",
    "source",
    "status",
    "input_type",
    "credits_charged",
    "created_at",
    "completed_at",
    "matched_question",  # a semantic cache hit's stored question (added field, protocol v1)
    "similarity",
}
USAGE_KEYS = {"id", "credits", "action_type", "interaction_id", "balance_after", "created_at"}
ENDPOINTS = ["/api/v1/me", "/api/v1/history", "/api/v1/credits/usage"]


class Env:
    def __init__(self, tmp: Path) -> None:
        self.fake = FakeSupabaseAuth()
        self.key = self.fake.add_key("ES256")
        self.fake.start()
        self.pg = PgDatabase()
        self.redis = RedisDb()
        self.server = ServerProcess(
            server_env(
                SUPABASE_URL=self.fake.url,
                DATABASE_URL=self.pg.url,
                REDIS_URL=self.redis.url,
                NEW_USER_CREDITS=NEW_USER_CREDITS,
                CORS_ALLOWED_ORIGINS=ALLOWED_ORIGIN,
            )
        )
        # Redis on a closed port: the server must still start and say it is not ready.
        self.no_redis = ServerProcess(
            server_env(
                SUPABASE_URL=self.fake.url,
                DATABASE_URL=f"sqlite:///{tmp / 'guia.db'}",
                REDIS_URL="redis://127.0.0.1:1/0",
            )
        )
        self.server.wait_ready()
        self.no_redis.wait_ready()
        self.db = open_database(self.pg.url)

    def token(self, **overrides: Any) -> str:
        return self.fake.sign(self.key, **overrides)

    def close(self) -> None:
        self.db.close()
        self.server.stop()
        self.no_redis.stop()
        self.pg.close()
        self.redis.close()
        self.fake.stop()


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    e = Env(tmp_path_factory.mktemp("http_api"))
    try:
        yield e
    finally:
        e.close()


def new_user(env: Env, email: str = "alumno@example.com") -> tuple[str, str]:
    user_id = str(uuid.uuid4())
    return user_id, env.token(sub=user_id, email=email)


def seed_history(env: Env, user_id: str, count: int, base: datetime) -> list[str]:
    """`count` interactions one second apart (the last two share a timestamp); ids newest first."""
    made: list[tuple[datetime, str]] = []
    with env.db.unit_of_work() as uow:
        uow.credits.ensure_profile(user_id, None, NEW_USER_CREDITS)
        for i in range(count):
            created = base + timedelta(seconds=min(i, count - 2))
            row = Interaction(
                id=str(uuid.uuid4()),
                user_id=user_id,
                session_id=None,
                question=f"pregunta {i}",
                question_hash=None,
                answer_id=None,
                source="cache",
                status="completed",
                input_type="voice" if i % 2 else "text",
                credits_charged=1,
                created_at=created,
                completed_at=created + timedelta(milliseconds=500),
            )
            uow.interactions.add(row)
            made.append((created, row.id))
        uow.commit()
    made.sort(reverse=True)  # the API's order: created_at DESC, id DESC
    return [interaction_id for _, interaction_id in made]


def seed_ledger(env: Env, user_id: str, grants: int) -> None:
    with env.db.unit_of_work() as uow:
        uow.credits.ensure_profile(user_id, None, NEW_USER_CREDITS)
        for i in range(grants):
            change = uow.credits.apply_change(user_id, -1, "grant", f"test-grant-{i}")
            assert change.status == "applied"
        uow.commit()


def pages(env: Env, path: str, token: str, limit: int | None = None) -> list[dict[str, Any]]:
    """Every page of a paginated endpoint, following next_before."""
    out: list[dict[str, Any]] = []
    params: dict[str, Any] = {} if limit is None else {"limit": limit}
    for _ in range(100):
        response = env.server.get(path, token, params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"items", "next_before"}
        out.append(body)
        if body["next_before"] is None:
            return out
        assert isinstance(body["next_before"], str) and body["next_before"]
        params = {**params, "before": body["next_before"]}
    raise AssertionError("pagination never ended")


def assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == "unauthorized"
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


def assert_invalid(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_payload"
    assert response.json()["error"]["message"]


# -- /api/v1/me -------------------------------------------------------------------------


def test_me_makes_the_profile_on_first_sight(env: Env) -> None:
    user_id, token = new_user(env, "primera@example.com")
    response = env.server.get("/api/v1/me", token)
    assert response.status_code == 200
    assert response.json() == {
        "user_id": user_id,
        "email": "primera@example.com",
        "credits": NEW_USER_CREDITS,
        "subscription": {"id": "free", "name": "Gratis", "monthly_credits": 20},
    }
    # Asking again grants nothing more; the opening balance is one ledger row.
    assert env.server.get("/api/v1/me", token).json()["credits"] == NEW_USER_CREDITS
    usage = env.server.get("/api/v1/credits/usage", token).json()
    assert [(i["action_type"], i["credits"], i["balance_after"]) for i in usage["items"]] == [
        ("grant", -NEW_USER_CREDITS, NEW_USER_CREDITS)
    ]
    assert usage["next_before"] is None
    assert set(usage["items"][0]) == USAGE_KEYS


def test_me_without_a_plan_shows_null_subscription(env: Env) -> None:
    user_id, token = new_user(env)
    env.server.get("/api/v1/me", token)
    with env.db.unit_of_work() as uow:
        uow.profiles.set_subscription(user_id, None, None)
        uow.commit()
    assert env.server.get("/api/v1/me", token).json()["subscription"] is None


def test_me_shows_the_current_plan(env: Env) -> None:
    user_id, token = new_user(env)
    env.server.get("/api/v1/me", token)
    with env.db.unit_of_work() as uow:
        uow.profiles.set_subscription(user_id, "premium", None)
        uow.commit()
    assert env.server.get("/api/v1/me", token).json()["subscription"] == {
        "id": "premium",
        "name": "Premium",
        "monthly_credits": 1000,
    }


# -- 401 ----------------------------------------------------------------------------------


def _bad_requests(env: Env) -> dict[str, dict[str, Any]]:
    good = env.token()
    return {
        "no token": {},
        "garbage bearer": {"headers": {"Authorization": "Bearer garbage"}},
        "bearer without a token": {"headers": {"Authorization": "Bearer"}},
        "expired": {"headers": {"Authorization": f"Bearer {env.token(exp=1_000_000)}"}},
        "wrong aud": {"headers": {"Authorization": f"Bearer {env.token(aud='anon')}"}},
        "basic scheme": {"headers": {"Authorization": f"Basic {good}"}},
        "token only in the query string": {"params": {"token": good}},
        "access_token only in the query string": {"params": {"access_token": good}},
    }


BAD_REQUESTS = [
    "no token",
    "garbage bearer",
    "bearer without a token",
    "expired",
    "wrong aud",
    "basic scheme",
    "token only in the query string",
    "access_token only in the query string",
]


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("name", BAD_REQUESTS)
def test_missing_or_bad_token_is_401_json(name: str, path: str, env: Env) -> None:
    kwargs = _bad_requests(env)[name]
    assert_unauthorized(httpx.get(f"{env.server.url}{path}", timeout=10, **kwargs))


def test_bad_request_list_is_complete(env: Env) -> None:
    assert sorted(_bad_requests(env)) == sorted(BAD_REQUESTS)


# -- /api/v1/history --------------------------------------------------------------------------


def test_history_pages_newest_first_with_keyset(env: Env) -> None:
    user_id, token = new_user(env)
    expected = seed_history(env, user_id, 25, datetime(2025, 3, 1, 12, 0, tzinfo=UTC))

    default = pages(env, "/api/v1/history", token)
    assert [len(p["items"]) for p in default] == [20, 5]  # default limit 20
    items = [item for page in default for item in page["items"]]
    assert [i["interaction_id"] for i in items] == expected
    assert all(set(i) == HISTORY_KEYS for i in items)
    created = [datetime.fromisoformat(i["created_at"]) for i in items]
    assert created == sorted(created, reverse=True)
    first = items[-1]
    assert first["question"] == "pregunta 0"
    assert (first["source"], first["status"], first["input_type"]) == ("cache", "completed", "text")
    assert first["credits_charged"] == 1
    assert datetime.fromisoformat(first["completed_at"]) - created[-1] == timedelta(
        milliseconds=500
    )

    # Exact page boundaries: 25 rows in pages of 5 end with next_before null, no empty page.
    by_five = pages(env, "/api/v1/history", token, limit=5)
    assert [len(p["items"]) for p in by_five] == [5] * 5
    assert [i["interaction_id"] for p in by_five for i in p["items"]] == expected
    # Two rows sharing a timestamp straddle a page boundary and neither is lost.
    by_two = pages(env, "/api/v1/history", token, limit=2)
    assert [i["interaction_id"] for p in by_two for i in p["items"]] == expected
    assert [i["interaction_id"] for i in pages(env, "/api/v1/history", token, 100)[0]["items"]] == (
        expected
    )


def test_history_of_a_new_user_is_empty(env: Env) -> None:
    _, token = new_user(env)
    assert pages(env, "/api/v1/history", token) == [{"items": [], "next_before": None}]


def test_history_never_shows_another_users_rows(env: Env) -> None:
    alice, alice_token = new_user(env)
    bob, bob_token = new_user(env)
    alice_ids = seed_history(env, alice, 6, datetime(2025, 4, 1, tzinfo=UTC))
    bob_ids = seed_history(env, bob, 3, datetime(2025, 4, 1, tzinfo=UTC))
    alice_pages = pages(env, "/api/v1/history", alice_token, limit=5)
    assert [i["interaction_id"] for p in alice_pages for i in p["items"]] == alice_ids
    bob_pages = pages(env, "/api/v1/history", bob_token)
    assert [i["interaction_id"] for p in bob_pages for i in p["items"]] == bob_ids
    # Alice's cursor in Bob's hands still shows only Bob's rows.
    response = env.server.get(
        "/api/v1/history", bob_token, params={"before": alice_pages[0]["next_before"]}
    )
    assert {i["interaction_id"] for i in response.json()["items"]} <= set(bob_ids)


# -- /api/v1/credits/usage ----------------------------------------------------------------------


def test_usage_pages_newest_first_with_keyset(env: Env) -> None:
    user_id, token = new_user(env)
    seed_ledger(env, user_id, 24)  # plus the opening grant: 25 rows

    default = pages(env, "/api/v1/credits/usage", token)
    assert [len(p["items"]) for p in default] == [20, 5]
    items = [i for p in default for i in p["items"]]
    ids = [i["id"] for i in items]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 25
    assert all(set(i) == USAGE_KEYS for i in items)
    assert [i["balance_after"] for i in items] == list(range(NEW_USER_CREDITS + 24, 16, -1))
    assert items[-1]["credits"] == -NEW_USER_CREDITS
    assert [len(p["items"]) for p in pages(env, "/api/v1/credits/usage", token, 5)] == [5] * 5
    assert [i["id"] for i in pages(env, "/api/v1/credits/usage", token, 100)[0]["items"]] == ids


def test_usage_never_shows_another_users_rows(env: Env) -> None:
    alice, alice_token = new_user(env)
    bob, bob_token = new_user(env)
    seed_ledger(env, alice, 4)
    env.server.get("/api/v1/me", bob_token)
    alice_first = env.server.get("/api/v1/credits/usage", alice_token, params={"limit": 2}).json()
    bob_items = env.server.get("/api/v1/credits/usage", bob_token).json()["items"]
    assert len(bob_items) == 1 and bob_items[0]["action_type"] == "grant"
    response = env.server.get(
        "/api/v1/credits/usage", bob_token, params={"before": alice_first["next_before"]}
    )
    alice_ids = {
        i["id"] for p in pages(env, "/api/v1/credits/usage", alice_token) for i in p["items"]
    }
    assert not alice_ids & {i["id"] for i in response.json()["items"]}
    with env.db.unit_of_work() as uow:
        assert len(uow.credits.list_for_user(alice, 100, None)) == 5
        assert len(uow.credits.list_for_user(bob, 100, None)) == 1


# -- query validation --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/history", "/api/v1/credits/usage"])
@pytest.mark.parametrize("limit", ["0", "101", "abc", "-1", "1.5", "", "1e2"])
def test_bad_limit_is_invalid_payload(path: str, limit: str, env: Env) -> None:
    _, token = new_user(env)
    assert_invalid(env.server.get(path, token, params={"limit": limit}))


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


BAD_CURSORS = {
    "/api/v1/history": [
        "!!!",
        "not-base64-at-all~",
        _b64("just-one-part"),
        _b64("a|b|c"),
        _b64("yesterday|" + str(uuid.uuid4())),
        _b64("2025-01-01T00:00:00+00:00|not-a-uuid"),
        "%ff%fe",
    ],
    "/api/v1/credits/usage": [
        "!!!",
        _b64("abc"),
        _b64("1|2"),
        _b64("1.5"),
        _b64("9" * 30),
        _b64("-5"),
        "%ff%fe",
    ],
}


@pytest.mark.parametrize(
    ("path", "before"), [(p, b) for p, items in BAD_CURSORS.items() for b in items]
)
def test_bad_before_is_invalid_payload(path: str, before: str, env: Env) -> None:
    _, token = new_user(env)
    response = env.server.get(path, token, params={"before": before})
    assert_invalid(response)
    assert response.json()["error"]["message"] == "before no es un cursor válido."


# -- health, readiness, metrics --------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/api/v1/no-such-route", 404, "not_found"),
        ("GET", "/api/", 404, "not_found"),
        ("POST", "/api/v1/me", 405, "invalid_payload"),
        ("PUT", "/api/v1/credits/usage", 405, "invalid_payload"),
    ],
)
def test_api_errors_are_json_not_html(
    method: str, path: str, status: int, code: str, env: Env
) -> None:
    response = httpx.request(method, f"{env.server.url}{path}", timeout=10)
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


def test_other_unknown_paths_keep_the_html_404(env: Env) -> None:
    response = httpx.get(f"{env.server.url}/no-such-page", timeout=10)
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/html")


def test_healthz(env: Env) -> None:
    response = env.server.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_ok(env: Env) -> None:
    response = env.server.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


def test_readyz_names_the_failed_dependency(env: Env) -> None:
    assert env.no_redis.get("/healthz").status_code == 200  # alive, but not ready
    response = env.no_redis.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"] != "ok"
    assert isinstance(body["checks"]["redis"], str) and 0 < len(body["checks"]["redis"]) <= 200


def test_metrics_are_prometheus_text(env: Env) -> None:
    env.server.get("/api/v1/me")  # something to count
    response = env.server.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert "# TYPE guia_socket_connections gauge" in text
    assert "# TYPE guia_connect_refused_total counter" in text
    names = {
        line.split("{")[0].split()[0]
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
    assert names and all(name.startswith("guia_") for name in names), names


# -- CORS ----------------------------------------------------------------------------------------


def test_cors_allows_the_configured_origin_only(env: Env) -> None:
    allowed = env.server.get("/healthz", headers={"Origin": ALLOWED_ORIGIN})
    assert allowed.headers.get("Access-Control-Allow-Origin") == ALLOWED_ORIGIN
    foreign = env.server.get("/healthz", headers={"Origin": FOREIGN_ORIGIN})
    assert foreign.status_code == 200
    assert "Access-Control-Allow-Origin" not in foreign.headers


def test_cors_preflight_for_the_api(env: Env) -> None:
    def preflight(origin: str) -> httpx.Response:
        return httpx.options(
            f"{env.server.url}/api/v1/me",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "Authorization",
            },
            timeout=10,
        )

    allowed = preflight(ALLOWED_ORIGIN)
    assert allowed.headers.get("Access-Control-Allow-Origin") == ALLOWED_ORIGIN
    assert "authorization" in allowed.headers.get("Access-Control-Allow-Headers", "").lower()
    assert "Access-Control-Allow-Origin" not in preflight(FOREIGN_ORIGIN).headers
    # A real request from the allowed origin can read the JSON.
    _, token = new_user(env)
    me = env.server.get("/api/v1/me", token, headers={"Origin": ALLOWED_ORIGIN})
    assert me.status_code == 200
    assert me.headers.get("Access-Control-Allow-Origin") == ALLOWED_ORIGIN


def _polling_handshake(env: Env, origin: str) -> httpx.Response:
    return httpx.get(
        f"{env.server.url}/socket.io/",
        params={"EIO": "4", "transport": "polling"},
        headers={"Origin": origin},
        timeout=10,
    )


def test_socketio_polling_handshake_from_a_foreign_origin_is_refused(env: Env) -> None:
    refused = _polling_handshake(env, FOREIGN_ORIGIN)
    assert refused.status_code == 400
    assert "sid" not in refused.text
    accepted = _polling_handshake(env, ALLOWED_ORIGIN)
    assert accepted.status_code == 200
    assert accepted.text.startswith("0{") and '"sid"' in accepted.text
    assert accepted.headers.get("Access-Control-Allow-Origin") == ALLOWED_ORIGIN


def test_socketio_websocket_from_a_foreign_origin_is_refused(env: Env) -> None:
    _, token = new_user(env)
    foreign = try_connect(env.server.url, auth={"token": token}, origin=FOREIGN_ORIGIN)
    assert foreign.raised is not None and not foreign.client.connected
    assert foreign.ready is None
    allowed = try_connect(env.server.url, auth={"token": token}, origin=ALLOWED_ORIGIN)
    try:
        assert allowed.accepted
        assert allowed.wait_ready()["credits"] == NEW_USER_CREDITS
    finally:
        allowed.close()


def test_concurrent_first_sight_makes_one_profile(env: Env) -> None:
    user_id, token = new_user(env)
    results: list[int] = []

    def call() -> None:
        results.append(env.server.get("/api/v1/me", token).json()["credits"])

    threads = [threading.Thread(target=call) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [NEW_USER_CREDITS] * 6
    rows = env.pg.query("SELECT count(*) FROM credit_usage WHERE user_id = %s", user_id)
    assert rows == [(1,)]
