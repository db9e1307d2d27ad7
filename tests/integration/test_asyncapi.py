"""docs/asyncapi.yaml describes what the server really sends and accepts.

The document is checked for shape (AsyncAPI 3.0, every $ref resolves, every
protocol event has a message), then real payloads are validated against the
message schemas with jsonschema: those this module captures from a scripted
session against a real server, plus those the other integration tests wrote
to the capture file (tests/support/capture.py) when they ran first.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from tests.support.asyncapi_check import validate_items
from tests.support.capture import read_payloads, recorded
from tests.support.server import RecordingClient, ServerProcess, new_user, wait_finished

pytestmark = pytest.mark.integration

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.yaml"
CLIENT_EVENTS = [
    "ask_question",
    "pause_explanation",
    "resume_explanation",
    "stop_explanation",
    "voice_start",
    "voice_chunk",
    "voice_complete",
]
SERVER_EVENTS = [
    "session_ready",
    "waiting_phrase",
    "explanation_start",
    "step_start",
    "content_chunk",
    "canvas_command",
    "step_complete",
    "explanation_complete",
    "explanation_paused",
    "explanation_resumed",
    "explanation_stopped",
    "transcription_complete",
    "credits_updated",
    "error",
]


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return dict(yaml.safe_load(DOC_PATH.read_text(encoding="utf-8")))


def validator(doc: dict[str, Any], message: str) -> Draft202012Validator:
    """A validator for one message's payload; refs resolve inside the whole document."""
    schema = {**doc, "$ref": f"#/components/messages/{message}/payload"}
    return Draft202012Validator(schema)


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_document_shape(doc: dict[str, Any]) -> None:
    assert doc["asyncapi"] == "3.0.0"
    messages = doc["components"]["messages"]
    for event in CLIENT_EVENTS:
        assert event in messages and f"{event}Ack" in messages
    for event in SERVER_EVENTS:
        assert event in messages
    for ref in _refs(doc):
        assert ref.startswith("#/"), ref
        _resolve(doc, ref)  # raises KeyError when dangling
    for name, operation in doc["operations"].items():
        assert operation["action"] in ("send", "receive"), name
        if operation["action"] == "receive":
            assert "reply" in operation, f"{name}: client events are acknowledged"
    for name in messages:
        Draft202012Validator.check_schema(_resolve(doc, f"#/components/messages/{name}/payload"))


def test_schemas_reject_what_the_protocol_forbids(doc: dict[str, Any]) -> None:
    """The schemas are not vacuous: a few wrong payloads fail."""
    bad = {
        "explanation_start": {"interaction_id": "i", "seq": 1, "question": "q", "source": "x"},
        "content_chunk": {"interaction_id": "i", "seq": 3, "step_index": 0, "text": "a"},
        "canvas_command": {
            "interaction_id": "i",
            "seq": 3,
            "step_index": 0,
            "command": {"op": "circle", "x": 10, "y": 10, "r": 5, "color": "#FFFFFF"},
        },
        "explanation_paused": {"interaction_id": "i", "step_index": 0, "chunk_index": 0},
        "error": {"code": "rate_limited", "message": "espera"},
        "waiting_phrase": {"interaction_id": "i", "text": "…", "seq": 0},
        "ask_questionAck": {"ok": False, "error": {"code": "nope", "message": "x"}},
    }
    for message, payload in bad.items():
        assert list(validator(doc, message).iter_errors(payload)), message


def scripted_session(server: ServerProcess, connect: Callable[..., RecordingClient]) -> list[Any]:
    """Produce every server event and ack shape the flow has (voice aside)."""
    seed = __import__("json").loads(
        (DOC_PATH.parents[1] / "migrations" / "seed_data.json").read_text(encoding="utf-8")
    )["answers"]
    _, token = new_user()
    client = connect(server, token)
    sent: list[tuple[str, Any]] = []

    def call(event: str, payload: Any) -> Any:
        sent.append((event, payload))
        return client.call(event, payload)

    # Generated now (offline engine), possibly with waiting phrases.
    question = f"resuelve {random.randint(2, 90)}x + 5 = {random.randint(100, 99999)}"
    generated = call("ask_question", {"question": question, "request_id": uuid.uuid4().hex})
    wait_finished(client, generated["interaction_id"])
    # Cached, paused, resumed, replaced.
    first = call("ask_question", {"question": seed[1]["question"], "context": {"language": "es"}})
    client.wait_for("content_chunk", where=lambda d: d["interaction_id"] == first["interaction_id"])
    call("pause_explanation", {"interaction_id": first["interaction_id"]})
    call("resume_explanation", {"after_seq": 1})
    second = call("ask_question", {"question": seed[11]["question"]})
    client.wait_for("step_start", where=lambda d: d["interaction_id"] == second["interaction_id"])
    call("stop_explanation", {})
    # Reconnect with a paused explanation: session_ready.active_interaction.
    third = call("ask_question", {"question": seed[0]["question"]})
    client.wait_for("step_start", where=lambda d: d["interaction_id"] == third["interaction_id"])
    client.disconnect()
    again = connect(server, token, client.session_id)
    again.call("resume_explanation", {"interaction_id": third["interaction_id"]})
    wait_finished(again, third["interaction_id"])
    # Failures: acks and error events.
    for event, payload in [
        ("ask_question", {"question": "  "}),
        ("ask_question", {"question": "x" * 1001}),
        ("ask_question", "no es un objeto"),
        ("pause_explanation", {}),
        ("resume_explanation", {"interaction_id": str(uuid.uuid4())}),
        ("stop_explanation", {"interaction_id": 5}),
        ("unknown_event", {}),
    ]:
        again.call(event, payload)
    time.sleep(0.2)
    return [*client.received, *again.received, *[("sent:" + e, p) for e, p in sent]]


def test_real_payloads_match_the_document(
    server_factory: Callable[..., ServerProcess],
    clients: Callable[..., RecordingClient],
) -> None:
    server = server_factory(STREAM_PACE=0.02)
    captured = scripted_session(server, clients)
    items = [item if isinstance(item, tuple) else (item.name, item.data) for item in captured]
    # Also what the other integration tests captured (this run, or the last one).
    items += recorded() or [(p["name"], p["data"]) for p in read_payloads()]
    seen, problems = validate_items(items)
    assert problems == [], "\n".join(problems[:20])
    expected = set(SERVER_EVENTS) - {"transcription_complete", "waiting_phrase"}
    expected |= {
        "ask_questionAck",
        "pause_explanationAck",
        "resume_explanationAck",
        "stop_explanationAck",
        "ask_question",
        "pause_explanation",
        "resume_explanation",
        "stop_explanation",
    }
    assert expected <= seen, f"never exercised: {sorted(expected - seen)}"
