"""Connection limits never lock out a crowded network (a school behind one address).

A real `python run.py` with the default limits (`RATE_LIMIT_FAILED_AUTH`,
`RATE_LIMIT_USER_CONNECTIONS`, no per-IP cap) on real Postgres and Redis; clients
speak Engine.IO long-polling over one keep-alive HTTP connection each, so 500
connect → `session_ready` → disconnect rounds take seconds, all from 127.0.0.1.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.support.auth_server import server_env
from tests.support.server import PgDatabase, RedisDb, ServerProcess, dev_token, new_user

pytestmark = pytest.mark.integration

STUDENTS = 500
RS = "\x1e"  # Engine.IO v4 polling packet separator


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    pg, store = PgDatabase(), RedisDb()
    # None: the setting's own default, not the harness's relaxed one.
    env = server_env(
        DATABASE_URL=pg.url,
        REDIS_URL=store.url,
        RATE_LIMIT_FAILED_AUTH=None,
        RATE_LIMIT_USER_CONNECTIONS=None,
        RATE_LIMIT_CONNECTIONS=None,
    )
    try:
        with ServerProcess(env) as proc:
            yield proc
    finally:
        pg.close()
        store.close()


def _packets(body: str) -> list[str]:
    return [p for p in body.split(RS) if p]


def polling_connect(http: httpx.Client, url: str, token: str) -> tuple[bool, object]:
    """One Socket.IO connect over long-polling: (accepted, session_ready or the refusal)."""
    base = f"{url}/socket.io/?EIO=4&transport=polling"
    opened = http.get(base)
    opened.raise_for_status()
    sid = json.loads(opened.text[1:])["sid"]
    poll = f"{base}&sid={sid}"
    http.post(poll, content="40" + json.dumps({"token": token})).raise_for_status()
    deadline = time.monotonic() + 10
    accepted = None
    while time.monotonic() < deadline:
        for packet in _packets(http.get(poll).text):
            if packet.startswith("44"):  # CONNECT_ERROR
                return False, json.loads(packet[2:])
            if packet.startswith("40"):
                accepted = True
            if packet.startswith("42"):
                name, data = json.loads(packet[2:])
                if name == "session_ready":
                    http.post(poll, content="41")  # DISCONNECT
                    return True, data
    return bool(accepted), None


def test_500_students_behind_one_address_all_connect_within_a_minute(
    server: ServerProcess,
) -> None:
    tokens = [new_user()[1] for _ in range(STUDENTS)]

    def run(chunk: list[str]) -> list[tuple[bool, object]]:
        with httpx.Client(timeout=10) as http:
            return [polling_connect(http, server.url, token) for token in chunk]

    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        results = [r for part in pool.map(run, [tokens[i::8] for i in range(8)]) for r in part]
    took = time.monotonic() - started
    refused = [info for ok, info in results if not ok]
    assert not refused, refused[:3]
    assert all(isinstance(info, dict) and info["session_id"] for _, info in results)
    assert took < 60, f"{STUDENTS} connects took {took:.1f}s"
    print(f"\n{STUDENTS} connects from one address in {took:.1f}s, 0 refused")


def test_a_forged_token_flood_from_that_address_does_not_lock_the_students_out(
    server: ServerProcess,
) -> None:
    with httpx.Client(timeout=10) as http:
        for _ in range(40):  # over the default 30/minute of failed authentications
            ok, refusal = polling_connect(
                http, server.url, dev_token(secret="forged-secret-0123456789abcdef-forged")
            )
            assert not ok
            assert isinstance(refusal, dict) and refusal["message"] == "unauthorized"
            assert refusal["data"]["code"] == "unauthorized"
        for _ in range(20):
            ok, ready = polling_connect(http, server.url, new_user()[1])
            assert ok, ready
