"""Store outages against a real server: `/readyz` and the request path's bounded waits.

The server runs on a private Redis and a private PostgreSQL cluster (fixtures
`private_redis` / `private_postgres`), which each test stops or freezes (SIGSTOP)
and brings back: `/readyz` must answer 503 naming the store within 2 s, and 200
again once the store is back, without restarting the server.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import psycopg_pool
import pytest
import redis

from app.config import Settings
from app.repositories.redis.client import RedisTimeouts, make_redis
from app.repositories.sql.database import PoolTimeouts, PostgresDatabase
from tests.support.private_stores import PrivatePostgres, PrivateRedis
from tests.support.server import ServerProcess, base_env, dev_token

pytestmark = pytest.mark.integration

READY_BOUND_S = 2.0  # the bound on a 503 while a store is unreachable
RECOVERY_S = 15.0
NOBODY = "00000000-0000-0000-0000-000000000000"
REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


@pytest.fixture(scope="module")
def server(
    private_postgres: PrivatePostgres, private_redis: PrivateRedis
) -> Iterator[ServerProcess]:
    env = base_env(DATABASE_URL=private_postgres.url, REDIS_URL=private_redis.url)
    with ServerProcess(env) as proc:
        yield proc


def readyz(server: ServerProcess) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = httpx.get(f"{server.url}/readyz", timeout=10)
    return response, time.monotonic() - started


def wait_ready(server: ServerProcess) -> dict[str, str]:
    deadline = time.monotonic() + RECOVERY_S
    while True:
        response, _ = readyz(server)
        if response.status_code == 200:
            return response.json()["checks"]
        if time.monotonic() > deadline:
            raise AssertionError(f"/readyz did not recover: {response.text}")
        time.sleep(0.2)


def assert_unready(server: ServerProcess, failed: str, healthy: str) -> None:
    """Two calls in a row (the second meets the first's still-hanging check) stay bounded."""
    for _ in range(2):
        response, took = readyz(server)
        assert response.status_code == 503, response.text
        assert took < READY_BOUND_S, f"/readyz took {took:.2f}s"
        body = response.json()
        assert body["status"] == "unavailable"
        assert body["checks"][failed] != "ok"
        assert body["checks"][healthy] == "ok"


OUTAGES: dict[str, tuple[str, str, Callable[[object], None], Callable[[object], None]]] = {
    "redis stopped": ("redis", "database", lambda s: s.stop(), lambda s: s.start()),
    "redis frozen": ("redis", "database", lambda s: s.freeze(), lambda s: s.thaw()),
    "postgres stopped": ("database", "redis", lambda s: s.stop(), lambda s: s.start()),
    "postgres frozen": ("database", "redis", lambda s: s.freeze(), lambda s: s.thaw()),
}


@pytest.mark.parametrize("outage", list(OUTAGES))
def test_readyz_is_503_within_2s_during_an_outage_and_recovers(
    outage: str,
    server: ServerProcess,
    private_postgres: PrivatePostgres,
    private_redis: PrivateRedis,
) -> None:
    failed, healthy, inject, repair = OUTAGES[outage]
    store = private_redis if failed == "redis" else private_postgres
    assert wait_ready(server) == {"database": "ok", "redis": "ok"}
    inject(store)
    try:
        assert_unready(server, failed, healthy)
    finally:
        repair(store)
    assert wait_ready(server) == {"database": "ok", "redis": "ok"}


def test_an_http_request_fails_fast_while_postgres_is_down_and_works_after(
    server: ServerProcess, private_postgres: PrivatePostgres
) -> None:
    """The pool's bounded wait (DATABASE_POOL_TIMEOUT_S) ends the request; the same server
    serves again once the database is back."""
    bound = Settings.model_fields["DATABASE_POOL_TIMEOUT_S"].default + 1.5
    token = dev_token()
    assert server.get("/api/v1/me", token).status_code == 200
    private_postgres.stop()
    try:
        started = time.monotonic()
        response = server.get("/api/v1/me", token)
        took = time.monotonic() - started
        assert response.status_code == 503
        error = response.json()["error"]
        assert error["code"] == "service_unavailable" and error["retry_after"] >= 1
        assert response.headers["Retry-After"] == str(error["retry_after"])
        assert took < bound, f"the request waited {took:.2f}s on a stopped database"
    finally:
        private_postgres.start()
    deadline = time.monotonic() + RECOVERY_S
    while server.get("/api/v1/me", token).status_code != 200:
        assert time.monotonic() < deadline, "the API did not recover after the database came back"
        time.sleep(0.2)


def test_the_pool_waits_at_most_its_timeout_and_reconnects(
    private_postgres: PrivatePostgres,
) -> None:
    db = PostgresDatabase(private_postgres.url, timeouts=PoolTimeouts(connect_s=2, wait_s=1.0))
    try:
        with db.unit_of_work() as uow:
            assert uow.subscriptions is not None
        private_postgres.stop()
        try:
            started = time.monotonic()
            with pytest.raises(psycopg_pool.PoolTimeout), db.unit_of_work() as uow:
                uow.profiles.get(NOBODY)
            assert time.monotonic() - started < 4
        finally:
            private_postgres.start()
        deadline = time.monotonic() + RECOVERY_S
        while True:
            try:
                with db.unit_of_work() as uow:
                    assert uow.profiles.get(NOBODY) is None
                break
            except psycopg_pool.PoolTimeout:
                assert time.monotonic() < deadline, "the pool never reconnected"
                time.sleep(0.2)
    finally:
        db.close()


@pytest.mark.parametrize("outage", ["stopped", "frozen"])
def test_a_redis_call_fails_within_its_timeouts_and_works_after(
    outage: str, private_redis: PrivateRedis
) -> None:
    timeouts = RedisTimeouts(connect_s=0.5, socket_s=0.5, retries=1, pool_wait_s=1.0)
    client = make_redis(private_redis.url, timeouts)
    client.set("outage-probe", "1")
    inject, repair = (
        (private_redis.stop, private_redis.start)
        if outage == "stopped"
        else (private_redis.freeze, private_redis.thaw)
    )
    inject()
    try:
        started = time.monotonic()
        with pytest.raises(REDIS_DOWN):
            client.get("outage-probe")
        # two attempts of at most 0.5 s each, plus a backoff of at most 0.5 s
        assert time.monotonic() - started < 2.5
    finally:
        repair()
    deadline = time.monotonic() + RECOVERY_S
    while True:
        try:
            client.set("outage-probe", "2")
            break
        except REDIS_DOWN:
            assert time.monotonic() < deadline, "the client never reconnected"
            time.sleep(0.2)
    assert client.get("outage-probe") == "2"
    client.close()
