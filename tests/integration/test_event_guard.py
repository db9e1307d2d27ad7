"""Reserved event names sent as client events change nothing (real server, real socket).

Before the guard, a client that emitted an event named `disconnect` ended its own
session while the socket stayed open (its stream stopped, every later event was
`unauthorized`, the connections gauge fell to 0), and `connect` got no answer.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from socketio import packet

from app.socket_events.event_guard import RESERVED_EVENTS
from tests.support.server import (
    PgDatabase,
    RecordingClient,
    RedisDb,
    ServerProcess,
    new_user,
    start_server,
)

pytestmark = pytest.mark.integration

SEED = json.loads(
    (Path(__file__).resolve().parents[2] / "migrations" / "seed_data.json").read_text("utf-8")
)["answers"]
LONG_Q = SEED[1]["question"]  # 94 events: ~10 s at STREAM_PACE 0.2
CLIENT_SENDABLE = ["connect", "disconnect", "connect_error", "error", "message", "disconnecting"]


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    pg, rds = PgDatabase("guia_guard"), RedisDb()
    proc = start_server(pg.url, rds.url, STREAM_PACE=0.2)
    try:
        yield proc
    finally:
        proc.stop()
        rds.close()
        pg.close()


@pytest.fixture
def client(server: ServerProcess) -> Iterator[RecordingClient]:
    made = RecordingClient(server.url, new_user()[1])
    made.connect()
    try:
        yield made
    finally:
        made.disconnect()


def connections_gauge(server: ServerProcess) -> float:
    text = httpx.get(f"{server.url}/metrics", timeout=5).text
    match = re.search(r"^guia_socket_connections (\S+)$", text, re.MULTILINE)
    assert match, "the connections gauge is missing from /metrics"
    return float(match.group(1))


def send_raw_event(client: RecordingClient, data: Any) -> Any:
    """Send an EVENT packet with exactly `data` (no name check on our side); return its ack."""
    done = threading.Event()
    box: list[Any] = []

    def on_ack(*args: Any) -> None:
        box.append(args[0] if args else None)
        done.set()

    sio = client.sio
    ack_id = sio._generate_ack_id("/", on_ack)
    sio._send_packet(sio.packet_class(packet.EVENT, namespace="/", data=data, id=ack_id))
    assert done.wait(10), f"no ack for {data!r}"
    return box[0]


def last_seq(client: RecordingClient, interaction_id: str) -> int:
    return max(r.data["seq"] for r in client.events(interaction_id) if "seq" in r.data)


def test_the_client_sendable_names_are_all_reserved() -> None:
    assert set(CLIENT_SENDABLE) <= RESERVED_EVENTS


def test_reserved_names_are_refused_and_change_nothing(
    server: ServerProcess, client: RecordingClient
) -> None:
    before = connections_gauge(server)
    assert before >= 1
    ack = client.call("ask_question", {"question": LONG_Q})
    assert ack["ok"] is True, ack
    iid = ack["interaction_id"]
    client.wait_for("step_start", where=lambda d: d.get("interaction_id") == iid)

    for name in CLIENT_SENDABLE:
        mark = client.mark()
        reply = client.call(name, {"interaction_id": iid})
        assert reply["ok"] is False, (name, reply)
        assert reply["error"]["code"] == "invalid_payload"
        assert name in reply["error"]["message"]
        error = client.wait_for("error", start=mark)
        assert error.data["code"] == "invalid_payload"

    assert client.connected
    assert connections_gauge(server) == before
    # The stream goes on: events after the refusals, and nothing stopped or paused it.
    seen = last_seq(client, iid)
    client.wait_for("content_chunk", where=lambda d: d.get("seq", -1) > seen)
    names = [r.name for r in client.events(iid)]
    assert "explanation_stopped" not in names and "explanation_paused" not in names
    # The session is still this socket's: a control works, no `unauthorized`.
    paused = client.call("pause_explanation", {"interaction_id": iid})
    assert paused["ok"] is True, paused
    assert not any(
        r.data.get("code") == "unauthorized" for r in client.events() if r.name == "error"
    )
    assert client.call("stop_explanation", {"interaction_id": iid})["ok"] is True


@pytest.mark.parametrize(
    "data", [[], [42, {}], [None], [{"event": "x"}], [["ask_question"], {}]], ids=repr
)
def test_an_event_without_a_string_name_is_invalid_payload(
    server: ServerProcess, client: RecordingClient, data: list[Any]
) -> None:
    before = connections_gauge(server)
    reply = send_raw_event(client, data)
    assert reply["ok"] is False
    assert reply["error"]["code"] == "invalid_payload"
    assert client.connected
    assert client.call("pause_explanation", {})["error"]["code"] == "not_found"  # still authorized
    assert connections_gauge(server) == before
