"""The question flow and resumable streaming, end to end, against protocol v1.

Real servers (`python run.py` subprocesses) on a real Postgres database and a
real Redis database, real Socket.IO clients over loopback. Every interaction
the tests see is checked with the one grammar checker (tests/support/grammar.py).
Payloads received here are also written to a capture file that
test_asyncapi.py validates against docs/asyncapi.yaml.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from app.utils.text_processing import question_key
from tests.support.asyncapi_check import validate_items
from tests.support.capture import record_payloads, recorded
from tests.support.fake_openai import Behaviour, FakeOpenAI, sample_explanation
from tests.support.grammar import check_interaction, strip_timing
from tests.support.server import (
    PgDatabase,
    RecordingClient,
    RedisDb,
    ServerProcess,
    new_user,
    wait_finished,
)

pytestmark = pytest.mark.integration

SEED = json.loads(
    (
        __import__("pathlib").Path(__file__).resolve().parents[2] / "migrations" / "seed_data.json"
    ).read_text(encoding="utf-8")
)["answers"]
LONG_Q = SEED[1]["question"]  # 94 events, ~1.7 s at STREAM_PACE 0.03
SHORT_Q = SEED[11]["question"]  # 42 events
MEDIUM_Q = SEED[4]["question"]
PACE = 0.03

Connect = Callable[..., RecordingClient]


@pytest.fixture(scope="module")
def server(server_factory: Callable[..., ServerProcess]) -> ServerProcess:
    return server_factory(STREAM_PACE=PACE, SOCKETIO_MESSAGE_QUEUE=None)


@pytest.fixture(scope="module")
def server_b(server: ServerProcess, server_factory: Callable[..., ServerProcess]) -> ServerProcess:
    """A second instance on the same Redis and Postgres."""
    return server_factory(STREAM_PACE=PACE)


def ask(client: RecordingClient, question: str, **extra: Any) -> dict[str, Any]:
    ack = client.call("ask_question", {"question": question, **extra})
    assert isinstance(ack, dict)
    return ack


def seqd(client: RecordingClient, iid: str, start: int = 0) -> list[int]:
    return [r.data["seq"] for r in client.events(iid, start) if "seq" in r.data]


def wait_seq(client: RecordingClient, iid: str, at_least: int, timeout: float = 15) -> None:
    client.wait_until(
        lambda rs: any(
            isinstance(r.data, dict)
            and r.data.get("interaction_id") == iid
            and r.data.get("seq", -1) >= at_least
            for r in rs
        ),
        timeout,
    )


def expect_error(client: RecordingClient, event: str, payload: Any, code: str) -> dict[str, Any]:
    """The ack is {ok: false, error: {code, message}} and an `error` event says the same."""
    mark = client.mark()
    ack = client.call(event, payload)
    assert ack["ok"] is False, ack
    assert ack["error"]["code"] == code, (event, payload, ack)
    assert isinstance(ack["error"]["message"], str) and ack["error"]["message"]
    err = client.wait_for("error", start=mark, timeout=5)
    assert err.data["code"] == code
    return ack


def ledger(server: ServerProcess, token: str) -> list[dict[str, Any]]:
    response = server.get("/api/v1/credits/usage", token, limit=100)
    assert response.status_code == 200
    return list(response.json()["items"])


def history(server: ServerProcess, token: str) -> list[dict[str, Any]]:
    response = server.get("/api/v1/history", token, limit=100)
    assert response.status_code == 200
    return list(response.json()["items"])


def balance(server: ServerProcess, token: str) -> int:
    return int(server.get("/api/v1/me", token).json()["credits"])


def finish(client: RecordingClient, iid: str, **kw: Any) -> Any:
    wait_finished(client, iid)
    record_payloads(client.received)
    return check_interaction(client.received, iid, **kw)


# -- the happy path ------------------------------------------------------------


def test_cached_question_full_run_ack_first_and_credits(
    server: ServerProcess, clients: Connect
) -> None:
    user_id, token = new_user()
    client = clients(server, token)
    ack = ask(client, f"   {SHORT_Q}  ")
    assert ack["ok"] is True and isinstance(ack["interaction_id"], str)
    iid = ack["interaction_id"]
    checked = finish(client, iid)

    ack_at = next(r.index for r in client.received if r.name == "ack:ask_question")
    first_event = min(r.index for r in client.events(iid))
    assert ack_at < first_event, "the ack must arrive before any event of its interaction"

    start = checked.events[0][1]
    assert start["question"] == SHORT_Q, "the question as asked, trimmed"
    assert start["source"] == "cache"
    assert start["credits_charged"] == 1
    assert start["credits_remaining"] == 19
    assert start["total_steps"] == checked.steps == 2
    credits = [r.data for r in client.events() if r.name == "credits_updated"]
    assert credits == [{"balance": 19, "delta": -1, "action_type": "question_cached"}]

    rows = ledger(server, token)
    spent = [r for r in rows if r["interaction_id"] == iid]
    assert len(spent) == 1 and spent[0]["action_type"] == "question_cached"
    assert spent[0]["balance_after"] == 19
    assert balance(server, token) == 19
    item = next(h for h in history(server, token) if h["interaction_id"] == iid)
    assert item["status"] == "completed" and item["source"] == "cache"
    assert item["credits_charged"] == 1 and item["completed_at"]


# -- pause / resume ------------------------------------------------------------


def test_pause_silence_resume_equals_uninterrupted_run(
    server: ServerProcess, clients: Connect
) -> None:
    plain = clients(server)
    reference_iid = ask(plain, LONG_Q)["interaction_id"]
    finish(plain, reference_iid)

    client = clients(server)
    iid = ask(client, LONG_Q)["interaction_id"]
    wait_seq(client, iid, 20)
    paused_ack = client.call("pause_explanation", {"interaction_id": iid})
    assert paused_ack["ok"] is True
    paused = client.wait_for("explanation_paused")
    assert {
        k: paused.data[k] for k in ("interaction_id", "step_index", "chunk_index", "next_seq")
    } == {k: paused_ack[k] for k in ("interaction_id", "step_index", "chunk_index", "next_seq")}
    assert client.quiet_for(1.0) == [], "nothing may stream while paused"
    resumed_ack = client.call("resume_explanation", {})
    assert resumed_ack == {"ok": True, "interaction_id": iid, "next_seq": paused_ack["next_seq"]}
    checked = finish(client, iid)
    assert checked.pauses == 1 and checked.resumes == 1
    assert strip_timing(client.received, iid) == strip_timing(plain.received, reference_iid)


def test_pause_while_paused_and_resume_while_streaming_change_nothing(
    server: ServerProcess, clients: Connect
) -> None:
    client = clients(server)
    iid = ask(client, LONG_Q)["interaction_id"]
    wait_seq(client, iid, 5)
    mark = client.mark()
    running = client.call("resume_explanation", {})
    assert running["ok"] is True and running["interaction_id"] == iid
    first = client.call("pause_explanation", {})
    second = client.call("pause_explanation", {"interaction_id": iid})
    assert first["ok"] is True and second == first
    names = [r.name for r in client.events(iid, mark)]
    assert "explanation_resumed" not in names
    assert names.count("explanation_paused") == 1
    assert client.quiet_for(0.3) == []
    client.call("resume_explanation", {})
    checked = finish(client, iid)
    assert checked.pauses == 1 and checked.resumes == 1


def test_stop_ends_the_stream_and_stays_charged(server: ServerProcess, clients: Connect) -> None:
    _, token = new_user()
    client = clients(server, token)
    iid = ask(client, LONG_Q)["interaction_id"]
    wait_seq(client, iid, 5)
    assert client.call("stop_explanation", {}) == {"ok": True, "interaction_id": iid}
    checked = finish(client, iid, expect_end="explanation_stopped")
    assert checked.end_payload == {"interaction_id": iid, "reason": "user"}
    assert client.quiet_for(0.4) == []
    item = next(h for h in history(server, token) if h["interaction_id"] == iid)
    assert item["status"] == "stopped"
    assert balance(server, token) == 19, "a stopped explanation stays charged"
    assert not [r for r in ledger(server, token) if r["action_type"] == "refund"]
    expect_error(client, "stop_explanation", {"interaction_id": iid}, "not_found")


def test_second_question_replaces_the_first(server: ServerProcess, clients: Connect) -> None:
    _, token = new_user()
    client = clients(server, token)
    first = ask(client, LONG_Q)["interaction_id"]
    wait_seq(client, first, 5)
    second_ack = ask(client, SHORT_Q)
    second = second_ack["interaction_id"]
    assert second != first
    finish(client, second)
    check_interaction(client.received, first, expect_end="explanation_stopped")
    stopped = next(r for r in client.events(first) if r.name == "explanation_stopped")
    assert stopped.data["reason"] == "replaced"
    ack_at = [r.index for r in client.received if r.name == "ack:ask_question"][1]
    assert all(r.index > ack_at for r in client.events(second))
    assert stopped.index < min(r.index for r in client.events(second))
    statuses = {h["interaction_id"]: h["status"] for h in history(server, token)}
    assert statuses == {first: "stopped", second: "completed"}
    assert balance(server, token) == 18, "the replaced explanation stays charged"


# -- disconnect, reconnect, takeover ----------------------------------------------


def _drop_mid_stream(
    server: ServerProcess, clients: Connect, token: str, at_seq: int = 15
) -> tuple[RecordingClient, str, int]:
    client = clients(server, token)
    iid = ask(client, LONG_Q)["interaction_id"]
    wait_seq(client, iid, at_seq)
    client.disconnect()
    last = max(seqd(client, iid))
    time.sleep(0.2)
    return client, iid, last


@pytest.mark.parametrize("where", ["same", "other"])
def test_reconnect_resume_with_after_seq_loses_and_duplicates_nothing(
    where: str,
    server: ServerProcess,
    server_b: ServerProcess,
    clients: Connect,
) -> None:
    _, token = new_user()
    first, iid, last = _drop_mid_stream(server, clients, token)
    target = server if where == "same" else server_b
    second = clients(target, token, first.session_id)
    ready = second.received[0].data
    assert ready["session_id"] == first.session_id
    active = ready["active_interaction"]
    assert active["interaction_id"] == iid and active["paused"] is True
    assert active["next_seq"] >= last + 1
    assert second.quiet_for(0.5) == [], "nothing streams until resume_explanation"
    ack = second.call("resume_explanation", {"interaction_id": iid, "after_seq": last})
    assert ack == {"ok": True, "interaction_id": iid, "next_seq": last + 1}
    wait_finished(second, iid)
    resumed = second.events(iid)[0]
    assert resumed.name == "explanation_resumed" and resumed.data["next_seq"] == last + 1
    assert "explanation_paused" not in [r.name for r in second.events(iid)]
    merged = first.received + second.received
    record_payloads(second.received)
    checked = check_interaction(merged, iid, allow_resume_without_pause=True)
    assert checked.complete and checked.rewinds == 0


@pytest.mark.parametrize("where", ["same", "other"])
def test_reconnect_resume_without_after_seq_continues_at_recorded_position(
    where: str,
    server: ServerProcess,
    server_b: ServerProcess,
    clients: Connect,
) -> None:
    _, token = new_user()
    first, iid, last = _drop_mid_stream(server, clients, token)
    second = clients(server if where == "same" else server_b, token, first.session_id)
    active = second.received[0].data["active_interaction"]
    assert active["paused"] is True and active["next_seq"] >= last + 1
    ack = second.call("resume_explanation", {})
    assert ack == {"ok": True, "interaction_id": iid, "next_seq": active["next_seq"]}
    wait_finished(second, iid)
    got = seqd(second, iid)
    assert got == list(range(active["next_seq"], got[-1] + 1))
    # The client had up to `last`; what the server sent in between was in flight.
    merged = [r for r in first.received if r.data.get("seq", -1) < active["next_seq"]]
    if active["next_seq"] == last + 1:
        check_interaction(merged + second.received, iid, allow_resume_without_pause=True)


def test_resume_with_after_seq_rewinds_while_paused_and_while_streaming(
    server: ServerProcess, clients: Connect
) -> None:
    _, token = new_user()
    first, iid, last = _drop_mid_stream(server, clients, token, at_seq=20)
    second = clients(server, token, first.session_id)
    after = last - 7
    ack = second.call("resume_explanation", {"after_seq": after})
    assert ack["next_seq"] == after + 1
    wait_seq(second, iid, last + 5)
    streaming_mark = second.mark()
    again = second.call("resume_explanation", {"after_seq": 3})
    assert again["ok"] is True
    wait_finished(second, iid)
    got = seqd(second, iid)
    assert got[0] == after + 1
    tail = seqd(second, iid, streaming_mark)
    assert 4 in tail, "a valid after_seq wins also while streaming"
    from_rewind = tail[len(tail) - 1 - tail[::-1].index(4) :]
    assert from_rewind == list(range(4, from_rewind[-1] + 1))
    merged = [r for r in first.received if r.data.get("seq", -1) <= after] + [
        r for r in second.received[:streaming_mark] if r.name != "session_ready"
    ]
    check_interaction(
        merged, iid, expect_end=None, allow_rewind=True, allow_resume_without_pause=True
    )


def test_takeover_disconnects_the_old_socket_and_pauses(
    server: ServerProcess, clients: Connect
) -> None:
    _, token = new_user()
    old = clients(server, token)
    iid = ask(old, LONG_Q)["interaction_id"]
    wait_seq(old, iid, 10)
    new = clients(server, token, old.session_id)
    assert old.disconnected.wait(5), "the old socket is disconnected"
    ready = new.received[0].data
    assert ready["session_id"] == old.session_id
    active = ready["active_interaction"]
    assert active["interaction_id"] == iid and active["paused"] is True
    last = max(seqd(old, iid))
    assert active["next_seq"] >= last + 1
    new.call("resume_explanation", {"after_seq": last})
    wait_finished(new, iid)
    check_interaction(old.received + new.received, iid, allow_resume_without_pause=True)


def test_another_users_session_is_never_reused(server: ServerProcess, clients: Connect) -> None:
    owner = clients(server)
    iid = ask(owner, LONG_Q)["interaction_id"]
    wait_seq(owner, iid, 3)
    intruder = clients(server, None, owner.session_id)
    ready = intruder.received[0].data
    assert ready["session_id"] != owner.session_id
    assert ready["active_interaction"] is None
    assert owner.connected and not owner.disconnected.is_set()
    for event in ("pause_explanation", "resume_explanation", "stop_explanation"):
        expect_error(intruder, event, {"interaction_id": iid}, "not_found")
    finish(owner, iid)


def test_controls_without_active_interaction_are_not_found(
    server: ServerProcess, clients: Connect
) -> None:
    client = clients(server)
    for event in ("pause_explanation", "resume_explanation", "stop_explanation"):
        expect_error(client, event, {}, "not_found")
        expect_error(client, event, {"interaction_id": str(uuid.uuid4())}, "not_found")


def test_after_seq_out_of_range_is_invalid_payload(server: ServerProcess, clients: Connect) -> None:
    client = clients(server)
    iid = ask(client, LONG_Q)["interaction_id"]
    wait_seq(client, iid, 5)
    position = client.call("pause_explanation", {})
    for bad in (-2, position["next_seq"], position["next_seq"] + 10, "3", 1.5, True, [1]):
        expect_error(client, "resume_explanation", {"after_seq": bad}, "invalid_payload")
    assert client.quiet_for(0.2) == []
    client.call("resume_explanation", {"after_seq": position["next_seq"] - 1})
    finish(client, iid)


# -- request ids, limits, credits ------------------------------------------------


def test_repeated_request_id_is_the_same_request(server: ServerProcess, clients: Connect) -> None:
    _, token = new_user()
    client = clients(server, token)
    rid = uuid.uuid4().hex
    iid = ask(client, LONG_Q, request_id=rid)["interaction_id"]
    wait_seq(client, iid, 5)
    # Repeated while streaming: no replacement, nothing charged.
    assert ask(client, SHORT_Q, request_id=rid) == {"ok": True, "interaction_id": iid}
    finish(client, iid)
    mark = client.mark()
    assert ask(client, LONG_Q, request_id=rid) == {"ok": True, "interaction_id": iid}
    assert client.quiet_for(0.5) == [], "nothing is streamed or charged again"
    assert len(history(server, token)) == 1
    assert balance(server, token) == 19
    assert [r.name for r in client.events(start=mark)] == []
    assert [r.data["delta"] for r in client.events() if r.name == "credits_updated"] == [-1]


def test_request_id_longer_than_64_is_invalid(server: ServerProcess, clients: Connect) -> None:
    _, token = new_user()
    client = clients(server, token)
    expect_error(
        client, "ask_question", {"question": SHORT_Q, "request_id": "r" * 65}, "invalid_payload"
    )
    expect_error(client, "ask_question", {"question": SHORT_Q, "request_id": 12}, "invalid_payload")
    assert balance(server, token) == 20
    ok = ask(client, SHORT_Q, request_id="r" * 64)
    assert ok["ok"] is True
    finish(client, ok["interaction_id"])


def test_rate_limit(server_factory: Callable[..., ServerProcess], clients: Connect) -> None:
    limited = server_factory(STREAM_PACE=PACE, RATE_LIMIT_QUESTIONS="3/minute")
    _, token = new_user()
    client = clients(limited, token)
    first_rid = uuid.uuid4().hex
    iids = [ask(client, SHORT_Q, request_id=first_rid)["interaction_id"]]
    for _ in range(2):
        iids.append(ask(client, SHORT_Q, request_id=uuid.uuid4().hex)["interaction_id"])
    ack = expect_error(client, "ask_question", {"question": SHORT_Q}, "rate_limited")
    retry = ack["error"]["retry_after"]
    assert isinstance(retry, int) and not isinstance(retry, bool) and retry >= 1
    err = [r for r in client.events() if r.name == "error"][-1]
    assert err.data["retry_after"] == retry
    assert ask(client, SHORT_Q, request_id=first_rid) == {"ok": True, "interaction_id": iids[0]}
    finish(client, iids[-1])
    assert balance(limited, token) == 17


def test_insufficient_credits(
    server_factory: Callable[..., ServerProcess], clients: Connect
) -> None:
    poor = server_factory(STREAM_PACE=PACE, NEW_USER_CREDITS=1)
    _, token = new_user()
    client = clients(poor, token)
    assert client.received[0].data["credits"] == 1
    iid = ask(client, SHORT_Q)["interaction_id"]
    finish(client, iid)
    expect_error(client, "ask_question", {"question": MEDIUM_Q}, "insufficient_credits")
    assert balance(poor, token) == 0
    rows = ledger(poor, token)
    assert all(r["balance_after"] >= 0 for r in rows)
    assert len(history(poor, token)) <= 2
    assert [r.data["balance"] for r in client.events() if r.name == "credits_updated"] == [0]


BAD_NON_OBJECTS: list[Any] = ["x", 5, 1.5, [1, 2], True]


@pytest.mark.parametrize(
    "event", ["ask_question", "pause_explanation", "resume_explanation", "stop_explanation"]
)
def test_bad_payloads_are_answered_with_protocol_errors(
    event: str, server: ServerProcess, clients: Connect
) -> None:
    _, token = new_user()
    client = clients(server, token)
    for payload in BAD_NON_OBJECTS:
        expect_error(client, event, payload, "invalid_payload")
    ack = client.call_raw(event, (None,))
    assert ack["ok"] is False
    assert ack["error"]["code"] == "invalid_payload", f"null payload for {event}: {ack}"
    if event == "ask_question":
        cases = [
            ({}, "invalid_payload"),
            ({"question": None}, "invalid_payload"),
            ({"question": 5}, "invalid_payload"),
            ({"question": ["hola"]}, "invalid_payload"),
            ({"question": {"text": "hola"}}, "invalid_payload"),
            ({"question": "   \n\t "}, "question_empty"),
            ({"question": "a" * 1001}, "question_too_long"),
            ({"question": "ñ" * 300_000}, "question_too_long"),
            ({"question": SHORT_Q, "context": "matemáticas"}, "invalid_payload"),
            ({"question": SHORT_Q, "request_id": ["x"]}, "invalid_payload"),
        ]
    else:
        cases = [
            ({"interaction_id": 5}, "invalid_payload"),
            ({"interaction_id": ["x"]}, "invalid_payload"),
            ({"interaction_id": "x" * 200_000}, "not_found"),
        ]
    for payload, code in cases:
        expect_error(client, event, payload, code)
    unknown = expect_error(client, "no_such_event", {"question": "hola"}, "invalid_payload")
    assert "no_such_event" in unknown["error"]["message"]
    assert client.connected
    assert balance(server, token) == 20
    assert [r["action_type"] for r in ledger(server, token)] == ["grant"]
    assert history(server, token) == []
    record_payloads(client.received)


# -- generation --------------------------------------------------------------------


def test_single_flight_six_clients_one_generation(
    stores: tuple[PgDatabase, RedisDb], server: ServerProcess, clients: Connect
) -> None:
    pg, _ = stores
    a, b = random.randint(2, 97), random.randint(1000, 999999)
    question = f"resuelve {a}x - 3 = {b}"
    _, digest = question_key(question)
    users = [new_user() for _ in range(6)]
    socks = [clients(server, token) for _, token in users]
    barrier = threading.Barrier(len(socks))
    acks: list[Any] = [None] * len(socks)

    def go(i: int) -> None:
        barrier.wait()
        acks[i] = ask(socks[i], question)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(socks))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    reference = None
    for sock, ack in zip(socks, acks, strict=True):
        assert ack and ack["ok"] is True, ack
        checked = finish(sock, ack["interaction_id"])
        assert checked.events[0][1]["source"] == "generated"
        assert checked.events[0][1]["credits_charged"] == 2
        body = [
            (
                n,
                {
                    k: v
                    for k, v in p.items()
                    if k not in ("interaction_id", "duration_ms", "credits_remaining")
                },
            )
            for n, p in checked.events
        ]
        reference = reference or body
        assert body == reference, "every client streams the same explanation"
    rows = pg.query(
        "SELECT count(*) FROM public.predefined_answers WHERE question_hash = %s", digest
    )
    assert rows[0][0] == 1
    sources = pg.query(
        "SELECT source FROM public.interaction_history WHERE question_hash = %s", digest
    )
    assert sorted(s for (s,) in sources) == ["generated"] * 6
    for _, token in users:
        assert balance(server, token) == 18


def test_unanswerable_question_without_openai_is_ai_unavailable(
    server: ServerProcess, clients: Connect
) -> None:
    _, token = new_user()
    client = clients(server, token)
    expect_error(
        client,
        "ask_question",
        {"question": f"¿Quién escribió Pedro Páramo? ({uuid.uuid4().hex[:6]})"},
        "ai_unavailable",
    )
    assert client.quiet_for(0.3) == [] or all(
        r.name != "explanation_start" for r in client.events()
    )
    assert balance(server, token) == 20
    assert [r["action_type"] for r in ledger(server, token)] == ["grant"]


@pytest.fixture(scope="module")
def fake_ai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        fake.default_chat = Behaviour.answer(sample_explanation(3), first_byte_delay_s=0.4)
        yield fake


@pytest.fixture(scope="module")
def ai_server(fake_ai: FakeOpenAI, server_factory: Callable[..., ServerProcess]) -> ServerProcess:
    return server_factory(
        STREAM_PACE=PACE,
        OPENAI_API_KEY="sk-test-fake",
        OPENAI_BASE_URL=fake_ai.base_url,
        AI_TIMEOUT_S=10,
    )


def test_generated_flow_through_the_model(
    stores: tuple[PgDatabase, RedisDb], ai_server: ServerProcess, clients: Connect
) -> None:
    pg, _ = stores
    question = f"Explica qué es la fotosíntesis, caso {uuid.uuid4().hex[:8]}"
    _, digest = question_key(question)
    client = clients(ai_server)
    iid = ask(client, question)["interaction_id"]
    checked = finish(client, iid)
    assert checked.waiting_phrases >= 1
    names = [r.name for r in client.events(iid)]
    assert names.index("waiting_phrase") < names.index("explanation_start")
    start = checked.events[0][1]
    assert start["source"] == "generated" and start["total_steps"] is None
    assert start["credits_charged"] == 2
    assert checked.steps == 3
    rows = pg.query("SELECT source FROM public.predefined_answers WHERE question_hash = %s", digest)
    assert len(rows) == 1
    again = clients(ai_server)
    iid2 = ask(again, question)["interaction_id"]
    checked2 = finish(again, iid2)
    assert checked2.events[0][1]["source"] == "cache"
    assert checked2.events[0][1]["total_steps"] == 3
    assert checked2.waiting_phrases == 0


def test_failing_generation_refunds_and_caches_nothing(
    stores: tuple[PgDatabase, RedisDb],
    fake_ai: FakeOpenAI,
    ai_server: ServerProcess,
    clients: Connect,
) -> None:
    pg, _ = stores
    question = f"Explica el ciclo del agua, caso {uuid.uuid4().hex[:8]}"
    _, digest = question_key(question)
    saved = fake_ai.default_chat
    fake_ai.default_chat = Behaviour.invalid_json()
    try:
        _, token = new_user()
        client = clients(ai_server, token)
        ack = ask(client, question)
        assert ack["ok"] is True
        iid = ack["interaction_id"]
        checked = finish(client, iid, expect_end="error")
    finally:
        fake_ai.default_chat = saved
    assert checked.end_payload is not None
    assert checked.end_payload["code"] == "generation_failed"
    assert checked.end_payload["interaction_id"] == iid
    client.wait_for("credits_updated", where=lambda d: d["action_type"] == "refund", timeout=5)
    deltas = [
        (r.data["delta"], r.data["action_type"])
        for r in client.events()
        if r.name == "credits_updated"
    ]
    assert deltas == [(-2, "question_generated"), (2, "refund")]
    assert balance(ai_server, token) == 20
    rows = ledger(ai_server, token)
    assert [r["action_type"] for r in rows if r["interaction_id"] == iid].count("refund") == 1
    assert (
        pg.query("SELECT count(*) FROM public.predefined_answers WHERE question_hash = %s", digest)[
            0
        ][0]
        == 0
    )


def test_captured_payloads_match_the_asyncapi_document() -> None:
    """Runs last in this module: every payload the tests above received or were
    acked with validates against docs/asyncapi.yaml."""
    items = recorded()
    seen, problems = validate_items(items)
    assert problems == [], "\n".join(problems[:20])
    assert {"explanation_start", "waiting_phrase", "explanation_resumed", "error"} <= seen
