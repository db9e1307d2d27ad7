"""The lifecycle log of real questions, read back from a real server's JSON log.

One server (`python run.py`, LOG_FORMAT=json, LOG_LEVEL=INFO) on real Postgres and
Redis, a local fake OpenAI for the failure; each test asks as a new user and reads
the lines that name its interactions: a cached ask, a generated ask (offline
engine), a refused ask (payload, and a question no engine takes), a stop and a
failed generation. Every line names the user by hash, never by id or token.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.integration.test_question_flow import LONG_Q, SHORT_Q, wait_seq
from tests.support.fake_openai import Behaviour, FakeOpenAI
from tests.support.server import RecordingClient, ServerProcess, new_user, wait_finished

pytestmark = pytest.mark.integration

Connect = Callable[..., RecordingClient]
FLOW = ["question_received", "question_admitted", "explanation_first_event"]


@pytest.fixture(scope="module")
def fake_ai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        fake.default_chat = Behaviour.invalid_json()
        yield fake


@pytest.fixture(scope="module")
def server(fake_ai: FakeOpenAI, server_factory: Callable[..., ServerProcess]) -> ServerProcess:
    return server_factory(
        STREAM_PACE=0.03,
        LOG_FORMAT="json",
        LOG_LEVEL="INFO",
        OPENAI_API_KEY="sk-test-fake",
        OPENAI_BASE_URL=fake_ai.base_url,
        AI_TIMEOUT_S=10,
    )


def user_hash(user_id: str) -> str:
    return hashlib.sha256(user_id.encode()).hexdigest()[:16]


def lines(server: ServerProcess, user_id: str, timeout: float = 5, until: str = "") -> list[Any]:
    """The JSON log lines about `user_id`, waiting (up to `timeout`) for `until`."""
    deadline = time.monotonic() + timeout
    while True:
        found = []
        for raw in server.log_path.read_text(errors="replace").splitlines():
            if raw.startswith("{"):
                line = json.loads(raw)
                if line.get("user") == user_hash(user_id):
                    found.append(line)
        if not until or any(x["event"] == until for x in found) or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def of(found: list[dict[str, Any]], iid: str) -> list[dict[str, Any]]:
    return [x for x in found if x.get("interaction_id") == iid]


def assert_private(server: ServerProcess, user_id: str, token: str) -> None:
    text = server.log_path.read_text(errors="replace")
    assert user_id not in text
    assert token not in text and token.split(".")[2] not in text


def assert_timed(found: list[dict[str, Any]]) -> None:
    times = [x["ms"] for x in found]
    assert all(isinstance(t, int) and t >= 0 for t in times), found
    assert times == sorted(times), found


def test_a_cached_ask(server: ServerProcess, clients: Connect) -> None:
    user_id, token = new_user()
    client = clients(server, token)
    iid = client.call("ask_question", {"question": SHORT_Q})["interaction_id"]
    wait_finished(client, iid)
    found = of(lines(server, user_id, until="explanation_completed"), iid)
    assert [x["event"] for x in found] == [*FLOW, "explanation_completed"]
    admitted, completed = found[1], found[3]
    assert admitted["source"] == "cache" and admitted["credits_charged"] == 1
    assert admitted["credits_remaining"] == 19
    assert completed["source"] == "cache" and completed["events"] == completed["next_seq"]
    assert found[0]["input_type"] == "text" and all(x["level"] == "info" for x in found)
    assert_timed(found)
    assert_private(server, user_id, token)


def test_a_generated_ask(server: ServerProcess, clients: Connect) -> None:
    user_id, token = new_user()
    client = clients(server, token)
    question = f"resuelve {uuid.uuid4().int % 50 + 2}x + 3 = 7"
    iid = client.call("ask_question", {"question": question})["interaction_id"]
    wait_finished(client, iid)
    found = of(lines(server, user_id, until="explanation_completed"), iid)
    assert [x["event"] for x in found] == [*FLOW, "explanation_completed"]
    assert found[1]["source"] == "generated" and found[1]["credits_charged"] == 2
    assert found[1]["leads_generation"] is True
    assert found[2]["ms"] < 5000
    assert_timed(found)
    assert_private(server, user_id, token)


def test_a_payload_refused_before_admission(server: ServerProcess, clients: Connect) -> None:
    user_id, token = new_user()
    client = clients(server, token)
    assert client.call("ask_question", {"question": "   "})["error"]["code"] == "question_empty"
    found = lines(server, user_id, until="request_refused")
    payload = [x for x in found if x["event"] == "request_refused"]
    assert payload and payload[0]["code"] == "question_empty"
    assert payload[0]["socket_event"] == "ask_question"


def test_an_ask_refused_for_credits(server: ServerProcess, clients: Connect) -> None:
    user_id, token = new_user()
    client = clients(server, token)
    for _ in range(20):  # 20 credits, 1 each
        ack = client.call("ask_question", {"question": SHORT_Q})
        assert ack["ok"] is True
    ack = client.call("ask_question", {"question": SHORT_Q})
    assert ack["error"]["code"] == "insufficient_credits"
    found = lines(server, user_id, until="question_refused")
    refused = [x for x in found if x["event"] == "question_refused"]
    assert len(refused) == 1 and refused[0]["code"] == "insufficient_credits"
    iid = refused[0]["interaction_id"]
    assert [x["event"] for x in of(found, iid)] == ["question_received", "question_refused"]
    replaced = [x for x in found if x["event"] == "explanation_stopped"]
    assert replaced and {x["reason"] for x in replaced} == {"replaced"}


def test_a_stop(server: ServerProcess, clients: Connect) -> None:
    user_id, token = new_user()
    client = clients(server, token)
    iid = client.call("ask_question", {"question": LONG_Q})["interaction_id"]
    wait_seq(client, iid, 3)
    assert client.call("stop_explanation", {})["ok"] is True
    found = of(lines(server, user_id, until="explanation_stopped"), iid)
    assert [x["event"] for x in found] == [*FLOW, "explanation_stopped"]
    stopped = found[-1]
    assert stopped["reason"] == "user" and stopped["next_seq"] >= 4
    assert stopped["credits_charged"] == 1
    assert_timed(found)


def test_a_failure(server: ServerProcess, clients: Connect) -> None:
    user_id, token = new_user()
    client = clients(server, token)
    question = f"Explica la historia de la escritura, caso {uuid.uuid4().hex[:8]}"
    iid = client.call("ask_question", {"question": question})["interaction_id"]
    wait_finished(client, iid)
    found = of(lines(server, user_id, until="explanation_failed"), iid)
    assert [x["event"] for x in found] == [
        "question_received",
        "question_admitted",
        "explanation_failed",
    ]
    failed = found[-1]
    assert failed["code"] == "generation_failed" and failed["credits_refunded"] == 2
    assert failed["source"] == "generated" and failed["next_seq"] == 0
    assert_timed(found)
    assert_private(server, user_id, token)


def test_a_voice_ask(server: ServerProcess, clients: Connect) -> None:
    import base64

    from tests.integration.test_voice_flow import make_wav

    user_id, token = new_user()
    client = clients(server, token)
    voice_id = client.call("voice_start", {"format": "wav"})["voice_id"]
    clip = base64.b64encode(make_wav(0.5)).decode()
    ack = client.call("voice_complete", {"voice_id": voice_id, "data": clip, "transcript": SHORT_Q})
    iid = ack["interaction_id"]
    wait_finished(client, iid)
    found = of(lines(server, user_id, until="explanation_completed"), iid)
    assert [x["event"] for x in found] == [*FLOW, "explanation_completed"]
    assert found[0]["input_type"] == "voice"
    assert found[1]["source"] == "cache" and found[1]["credits_charged"] == 2  # + voice fee
    assert_timed(found)
