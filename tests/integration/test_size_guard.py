"""Per-event size ceilings over real sockets: every oversized event gets a small ack with the
contract's code, before its JSON is decoded, and the connection goes on."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.grammar import ERROR_CODES
from tests.support.server import (
    PgDatabase,
    RecordingClient,
    RedisDb,
    ServerProcess,
    new_user,
    start_server,
)

pytestmark = pytest.mark.integration

MAX_EVENT_BYTES = 4096
MAX_VOICE_CHUNK_BYTES = 8192
MAX_AUDIO_BYTES = 60_000
CLIP_MESSAGE_BYTES = MAX_AUDIO_BYTES * 4 // 3 + 64 * 1024  # the server's whole-clip ceiling
SMALL_ACK = 600  # an answer never echoes the oversized payload


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    pg, rds = PgDatabase("guia_size"), RedisDb()
    proc = start_server(
        pg.url,
        rds.url,
        MAX_EVENT_BYTES=MAX_EVENT_BYTES,
        MAX_VOICE_CHUNK_BYTES=MAX_VOICE_CHUNK_BYTES,
        MAX_AUDIO_BYTES=MAX_AUDIO_BYTES,
    )
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


def refused(client: RecordingClient, event: str, payload: Any, code: str) -> dict[str, Any]:
    mark = client.mark()
    ack = client.call(event, payload, timeout=20)
    assert ack["ok"] is False, ack
    assert ack["error"]["code"] == code, ack
    assert code in ERROR_CODES
    assert len(json.dumps(ack)) < SMALL_ACK, "the answer echoes the payload"
    error = client.wait_for("error", start=mark)
    assert error.data["code"] == code
    return ack


def send_raw(client: RecordingClient, body: str) -> Any:
    """Send `2<ack id><body>` as one text message (no JSON encoding on our side)."""
    done = threading.Event()
    box: list[Any] = []

    def on_ack(*args: Any) -> None:
        box.append(args[0] if args else None)
        done.set()

    ack_id = client.sio._generate_ack_id("/", on_ack)
    client.sio.eio.send(f"2{ack_id}{body}")
    assert done.wait(20), "no ack"
    return box[0]


def still_works(client: RecordingClient) -> None:
    assert client.connected
    ack = client.call("pause_explanation", {})
    assert ack["error"]["code"] == "not_found"  # an ordinary answer: the socket is fine


def test_an_oversized_question_is_question_too_long(client: RecordingClient) -> None:
    refused(client, "ask_question", {"question": "x" * (MAX_EVENT_BYTES + 1)}, "question_too_long")
    still_works(client)


@pytest.mark.parametrize(
    ("event", "payload", "code"),
    [
        ("pause_explanation", {"interaction_id": "x" * 10_000}, "not_found"),
        ("resume_explanation", {"interaction_id": "x" * 10_000, "after_seq": 1}, "not_found"),
        ("stop_explanation", {"interaction_id": "x" * 10_000}, "not_found"),
        ("voice_start", {"format": "wav", "context": {"topic": "x" * 10_000}}, "invalid_payload"),
        ("no_such_event", {"blob": "x" * 10_000}, "invalid_payload"),
    ],
)
def test_an_oversized_event_gets_the_services_code_without_an_echo(
    client: RecordingClient, event: str, payload: dict[str, Any], code: str
) -> None:
    refused(client, event, payload, code)
    still_works(client)


def test_the_voice_ceilings_are_audio_too_large(client: RecordingClient) -> None:
    voice_id = client.call("voice_start", {"format": "wav"})["voice_id"]
    small = {"voice_id": voice_id, "seq": 0, "data": "UklGRg=="}
    assert client.call("voice_chunk", small)["ok"] is True
    chunk = {"voice_id": voice_id, "seq": 1, "data": "A" * MAX_VOICE_CHUNK_BYTES}
    refused(client, "voice_chunk", chunk, "audio_too_large")
    whole = {"voice_id": voice_id, "data": "A" * CLIP_MESSAGE_BYTES}
    refused(client, "voice_complete", whole, "audio_too_large")
    still_works(client)


def test_a_whole_clip_under_its_ceiling_reaches_the_voice_service(client: RecordingClient) -> None:
    """Bigger than MAX_EVENT_BYTES and MAX_VOICE_CHUNK_BYTES, but a voice_complete may be."""
    voice_id = client.call("voice_start", {"format": "wav"})["voice_id"]
    data = "A" * (MAX_AUDIO_BYTES * 4 // 3 + 400)  # decodes to just over MAX_AUDIO_BYTES
    ack = client.call("voice_complete", {"voice_id": voice_id, "data": data})
    assert ack["ok"] is False and ack["error"]["code"] == "audio_too_large"
    assert ack["error"].get("voice_id") == voice_id  # the service's answer, naming the clip


def test_a_payload_the_decoder_rejects_is_invalid_payload(client: RecordingClient) -> None:
    deep = '["ask_question",' + "[" * 2000 + "]" * 2000 + "]"
    assert len(deep) < MAX_EVENT_BYTES
    for body in (deep, '["ask_question", {"question": "hola"'):
        ack = send_raw(client, body)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload"
    still_works(client)


def test_binary_attachments_are_refused(client: RecordingClient) -> None:
    done = threading.Event()
    box: list[Any] = []

    def on_ack(*args: Any) -> None:
        box.append(args[0])
        done.set()

    client.sio.emit(
        "voice_chunk", {"voice_id": "x", "seq": 0, "data": b"\x00" * 64}, callback=on_ack
    )
    assert done.wait(10)
    assert box[0]["ok"] is False and box[0]["error"]["code"] == "invalid_payload"
    still_works(client)
