"""Questions asked while Redis or Postgres is unreachable, against a real server.

The server runs on a private Redis and a private PostgreSQL cluster (fixtures
`private_redis` / `private_postgres`); each test stops or freezes (SIGSTOP) one
store while a client stays connected. A question asked then is acked
`{ok: false, error: {code: "service_unavailable", retry_after}}` within a bound;
once the store is back the same server answers the same request, and the
user's credits balance equals its ledger with nothing left held.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.support.asyncapi_check import validate_items
from tests.support.auth_server import try_connect
from tests.support.fake_openai import Behaviour, FakeOpenAI
from tests.support.private_stores import PrivatePostgres, PrivateRedis
from tests.support.server import RecordingClient, ServerProcess, base_env, new_user, wait_finished

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

ACK_BOUND_S = 3.5  # the "within ~3 s", plus the test client's own overhead
RECOVERY_S = 20.0
RETRY_AFTER_S = 2

OUTAGES: dict[str, tuple[str, Callable[[Any], None], Callable[[Any], None]]] = {
    "redis stopped": ("redis", lambda s: s.stop(), lambda s: s.start()),
    "redis frozen": ("redis", lambda s: s.freeze(), lambda s: s.thaw()),
    "postgres stopped": ("database", lambda s: s.stop(), lambda s: s.start()),
    "postgres frozen": ("database", lambda s: s.freeze(), lambda s: s.thaw()),
}


@pytest.fixture(scope="module")
def server(
    private_postgres: PrivatePostgres, private_redis: PrivateRedis
) -> Iterator[ServerProcess]:
    env = base_env(
        DATABASE_URL=private_postgres.url,
        REDIS_URL=private_redis.url,
        ANSWER_ENGINE="offline",
        SERVICE_RETRY_AFTER_S=RETRY_AFTER_S,
    )
    with ServerProcess(env) as proc:
        yield proc


def wait_ready(server: ServerProcess) -> None:
    deadline = time.monotonic() + RECOVERY_S
    while httpx.get(f"{server.url}/readyz", timeout=10).status_code != 200:
        assert time.monotonic() < deadline, "the server did not become ready again"
        time.sleep(0.2)


def ask(client: RecordingClient, question: str, request_id: str) -> tuple[dict[str, Any], float]:
    started = time.monotonic()
    ack = client.call("ask_question", {"question": question, "request_id": request_id}, 30)
    return ack, time.monotonic() - started


def ledger_ok(pg: PrivatePostgres, user_id: str) -> None:
    """Balance = minus the ledger sum; no interaction of the user left holding credits."""
    [(balance, spent)] = pg.query(
        "SELECT p.credits, COALESCE(SUM(u.credits), 0) FROM public.profiles p"
        " LEFT JOIN public.credit_usage u ON u.user_id = p.id WHERE p.id = %s GROUP BY p.credits",
        user_id,
    )
    assert balance == -spent, (balance, spent)
    open_rows = pg.query(
        "SELECT id, status FROM public.interaction_history WHERE user_id = %s"
        " AND status = 'streaming'",
        user_id,
    )
    assert open_rows == [], open_rows


@pytest.mark.parametrize("outage", list(OUTAGES))
def test_a_question_during_an_outage_is_service_unavailable_then_succeeds_after(
    outage: str,
    server: ServerProcess,
    private_postgres: PrivatePostgres,
    private_redis: PrivateRedis,
) -> None:
    failed, inject, repair = OUTAGES[outage]
    store = private_redis if failed == "redis" else private_postgres
    wait_ready(server)
    user_id, token = new_user()
    client = RecordingClient(server.url, token)
    client.connect()
    try:
        request_id = f"outage-{uuid.uuid4().hex[:12]}"
        mark = client.mark()
        inject(store)
        try:
            ack, took = ask(client, "resuelve 2x + 3 = 7", request_id)
        finally:
            repair(store)
        print(f"\n{outage}: ask acked {ack} in {took * 1000:.0f} ms")
        assert ack["ok"] is False, ack
        assert ack["error"]["code"] == "service_unavailable", ack
        assert ack["error"]["retry_after"] == RETRY_AFTER_S
        assert "no está disponible" in ack["error"]["message"]
        assert took < ACK_BOUND_S, f"the ack took {took:.2f}s"
        error = client.wait_for("error", start=mark)
        assert error.data["code"] == "service_unavailable"
        _, problems = validate_items([("ack:ask_question", ack), ("error", error.data)])
        assert problems == []

        wait_ready(server)
        ack, took = ask(client, "resuelve 2x + 3 = 7", request_id)
        assert ack["ok"] is True, ack
        end = wait_finished(client, ack["interaction_id"])
        assert end.name == "explanation_complete", end
        print(f"{outage}: after recovery ok in {took * 1000:.0f} ms")
    finally:
        client.disconnect()
    deadline = time.monotonic() + 10
    while True:  # the completion is written by the background worker
        try:
            ledger_ok(private_postgres, user_id)
            break
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture(scope="module")
def paced_server(
    private_postgres: PrivatePostgres, private_redis: PrivateRedis
) -> Iterator[ServerProcess]:
    """Streams that last a few seconds, so a store can fail while one runs."""
    env = base_env(
        DATABASE_URL=private_postgres.url,
        REDIS_URL=private_redis.url,
        ANSWER_ENGINE="offline",
        STREAM_PACE="0.15",
        SERVICE_RETRY_AFTER_S=RETRY_AFTER_S,
    )
    with ServerProcess(env) as proc:
        yield proc


@pytest.mark.parametrize("outage", list(OUTAGES))
def test_a_running_stream_finishes_from_memory_and_is_settled_once_the_store_is_back(
    outage: str,
    paced_server: ServerProcess,
    private_postgres: PrivatePostgres,
    private_redis: PrivateRedis,
) -> None:
    failed, inject, repair = OUTAGES[outage]
    store = private_redis if failed == "redis" else private_postgres
    wait_ready(paced_server)
    user_id, token = new_user()
    client = RecordingClient(paced_server.url, token)
    client.connect()
    try:
        question = "resuelve 5x - 4 = 11"
        warm, _ = ask(client, question, f"warm-{uuid.uuid4().hex[:8]}")  # cached from now on
        assert wait_finished(client, warm["interaction_id"]).name == "explanation_complete"
        mark = client.mark()
        ack, _ = ask(client, question, f"run-{uuid.uuid4().hex[:8]}")
        assert ack["ok"], ack
        started = client.wait_for("explanation_start", start=mark)
        assert started.data["source"] == "cache"
        inject(store)
        try:
            end = wait_finished(client, ack["interaction_id"], timeout=60)
            took = end.at - started.at
        finally:
            repair(store)
        print(f"\n{outage} mid-stream: {end.name} {took:.1f}s after explanation_start")
        assert end.name == "explanation_complete", end
        wait_ready(paced_server)
        again, _ = ask(client, question, f"after-{uuid.uuid4().hex[:8]}")
        assert again["ok"], again
        # Streaming again is the recovery; the rest of that stream proves nothing new.
        client.wait_for(
            "explanation_start", where=lambda d: d["interaction_id"] == again["interaction_id"]
        )
        assert client.call("stop_explanation", {"interaction_id": again["interaction_id"]})["ok"]
        assert wait_finished(client, again["interaction_id"]).name == "explanation_stopped"
    finally:
        client.disconnect()
    deadline = time.monotonic() + 30  # the worker retries the settlement with backoff
    while True:
        try:
            ledger_ok(private_postgres, user_id)
            [(status,)] = private_postgres.query(
                "SELECT status FROM public.interaction_history WHERE id = %s",
                ack["interaction_id"],
            )
            assert status == "completed", status  # charged: it was delivered
            break
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def small_wav() -> str:
    import base64
    import io
    import wave

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(8000)
        w.writeframes(b"\x80" * 8000)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def upload(client: RecordingClient) -> str:
    ack = client.call("voice_start", {"format": "wav"})
    assert ack["ok"], ack
    voice_id = str(ack["voice_id"])
    ack = client.call("voice_chunk", {"voice_id": voice_id, "seq": 0, "data": small_wav()})
    assert ack["ok"], ack
    return voice_id


@pytest.mark.parametrize("outage", list(OUTAGES))
def test_voice_complete_during_an_outage_is_service_unavailable_and_can_be_sent_again(
    outage: str,
    server: ServerProcess,
    private_postgres: PrivatePostgres,
    private_redis: PrivateRedis,
) -> None:
    failed, inject, repair = OUTAGES[outage]
    store = private_redis if failed == "redis" else private_postgres
    wait_ready(server)
    user_id, token = new_user()
    client = RecordingClient(server.url, token)
    client.connect()
    try:
        voice_id = upload(client)
        complete = {
            "voice_id": voice_id,
            "transcript": "resuelve 4x + 1 = 9",
            "request_id": f"voice-{uuid.uuid4().hex[:12]}",
        }
        inject(store)
        try:
            started = time.monotonic()
            ack = client.call("voice_complete", complete, 30)
            took = time.monotonic() - started
        finally:
            repair(store)
        print(f"\n{outage}: voice_complete acked {ack['error']['code']} in {took * 1000:.0f} ms")
        assert ack["ok"] is False and ack["error"]["code"] == "service_unavailable", ack
        assert ack["error"]["retry_after"] == RETRY_AFTER_S
        assert took < ACK_BOUND_S, f"the ack took {took:.2f}s"
        wait_ready(server)
        ack = client.call("voice_complete", complete, 30)
        if outage == "redis stopped":  # a Redis without persistence lost the clip with it
            assert ack["error"]["code"] == "not_found", ack
            complete["voice_id"] = upload(client)
            ack = client.call("voice_complete", complete, 30)
        assert ack["ok"] is True, ack
        assert wait_finished(client, ack["interaction_id"]).name == "explanation_complete"
    finally:
        client.disconnect()
    deadline = time.monotonic() + 10
    while True:
        try:
            ledger_ok(private_postgres, user_id)
            break
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.parametrize("outage", list(OUTAGES))
def test_a_connect_during_an_outage_is_refused_service_unavailable_not_unauthorized(
    outage: str,
    server: ServerProcess,
    private_postgres: PrivatePostgres,
    private_redis: PrivateRedis,
) -> None:
    failed, inject, repair = OUTAGES[outage]
    store = private_redis if failed == "redis" else private_postgres
    wait_ready(server)
    token = new_user()[1]
    inject(store)
    try:
        started = time.monotonic()
        attempt = try_connect(server.url, auth={"token": token})
        took = time.monotonic() - started
    finally:
        repair(store)
    try:
        print(f"\n{outage}: connect refused {attempt.error} in {took * 1000:.0f} ms")
        assert attempt.raised is not None and not attempt.client.connected
        assert attempt.error["message"] == "service_unavailable", attempt.error
        data = attempt.error["data"]
        assert data["code"] == "service_unavailable" and data["retry_after"] == RETRY_AFTER_S
        assert "no está disponible" in data["message"]
        assert took < ACK_BOUND_S + 0.5, f"the refusal took {took:.2f}s"
    finally:
        attempt.close()
    wait_ready(server)
    again = try_connect(server.url, auth={"token": token})
    try:
        assert again.accepted and again.ready is not None
    finally:
        again.close()


@pytest.fixture(scope="module")
def generating_server(
    private_postgres: PrivatePostgres, private_redis: PrivateRedis
) -> Iterator[tuple[ServerProcess, FakeOpenAI]]:
    """Cache misses generated by a slow fake model, streamed through the Redis feed."""
    with FakeOpenAI() as fake:
        env = base_env(
            DATABASE_URL=private_postgres.url,
            REDIS_URL=private_redis.url,
            OPENAI_API_KEY="sk-test",
            OPENAI_BASE_URL=fake.base_url,
            SERVICE_RETRY_AFTER_S=RETRY_AFTER_S,
        )
        with ServerProcess(env) as proc:
            yield proc, fake


@pytest.mark.parametrize("outage", ["redis stopped", "redis frozen"])
def test_a_stream_that_needs_redis_ends_with_service_unavailable_and_is_refunded(
    outage: str,
    generating_server: tuple[ServerProcess, FakeOpenAI],
    private_postgres: PrivatePostgres,
    private_redis: PrivateRedis,
) -> None:
    server, fake = generating_server
    _, inject, repair = OUTAGES[outage]
    wait_ready(server)
    fake.push(Behaviour.answer(tokens_per_s=60))
    user_id, token = new_user()
    client = RecordingClient(server.url, token)
    client.connect()
    try:
        question = f"explica la fotosíntesis paso a paso {uuid.uuid4().hex[:6]}"
        ack, _ = ask(client, question, f"gen-{uuid.uuid4().hex[:8]}")
        assert ack["ok"], ack
        client.wait_for("step_start", timeout=30)  # the feed is being followed
        inject(private_redis)
        try:
            end = wait_finished(client, ack["interaction_id"], timeout=30)
        finally:
            repair(private_redis)
        print(f"\n{outage} mid-generation: {end.name} {end.data}")
        assert end.name == "error", end
        assert end.data["code"] == "service_unavailable" and end.data["retry_after"] >= 1
        assert end.data["interaction_id"] == ack["interaction_id"]
        _, problems = validate_items([("error", end.data)])
        assert problems == []
        # A client that retries after retry_after gets the answer once Redis is back
        # (a retry that joined the dead generation before its end was written is told
        # service_unavailable again).
        wait_ready(server)
        fake.push(Behaviour.answer())
        deadline, tries = time.monotonic() + 60, 0
        while True:
            tries += 1
            again, _ = ask(client, question, f"retry-{uuid.uuid4().hex[:8]}")
            assert again["ok"], again
            last = wait_finished(client, again["interaction_id"], timeout=30)
            if last.name == "explanation_complete":
                break
            assert last.data["code"] == "service_unavailable", last
            assert time.monotonic() < deadline, "no answer after recovery"
            time.sleep(last.data["retry_after"])
        print(f"{outage}: answered after recovery at try {tries}")
    finally:
        client.disconnect()
    [(status,)] = private_postgres.query(
        "SELECT status FROM public.interaction_history WHERE id = %s", ack["interaction_id"]
    )
    assert status == "failed"
    ledger_ok(private_postgres, user_id)
    [(refunds,)] = private_postgres.query(
        "SELECT count(*) FROM public.credit_usage WHERE interaction_id = %s AND credits < 0",
        ack["interaction_id"],
    )
    assert refunds == 1
