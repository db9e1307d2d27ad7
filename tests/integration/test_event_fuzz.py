"""Every client event, fuzzed with hypothesis against a real server.

One gevent server (`python run.py`) on real Postgres and Redis; one raw Socket.IO
client (tests/support/raw_socketio.py) that can send any JSON as an event's data.
For each client event, and for unknown names, reserved names and packets with no
usable name, hypothesis generates payloads: any JSON value (objects, arrays,
strings, numbers, null), objects with the event's own fields holding any JSON (or
values close to valid ones: the active interaction's id, a live voice clip's id,
base64 audio), several arguments, and no payload at all.

Every call must be answered by an ack `{ok: true, ...}` or
`{ok: false, error: {code, message}}` whose code is one of the protocol's (plus
`service_unavailable`), never `internal_error`; so must every `error` event on the
way; and the server must still be up, with no failure in its log, at the end.

Examples per test: GUIA_FUZZ_EXAMPLES (default 300; each test is one event; about
25 s in all on 2 cores). The counts and the outcomes per event are printed by the
last test (`pytest -s`).
"""

from __future__ import annotations

import base64
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.errors import CODES
from app.socket_events.event_guard import RESERVED_EVENTS
from tests.support.raw_socketio import ABSENT, Answer, RawSocketIO
from tests.support.server import ServerProcess, new_user

pytestmark = pytest.mark.integration

EXAMPLES = int(os.environ.get("GUIA_FUZZ_EXAMPLES", "300"))
ALLOWED = (CODES - {"internal_error"}) | {"service_unavailable"}
KNOWN = (
    "ask_question",
    "pause_explanation",
    "resume_explanation",
    "stop_explanation",
    "voice_start",
    "voice_chunk",
    "voice_complete",
)
ACTIVE, VOICE = "\x00active", "\x00voice"  # replaced when sent: the live ids
LOG_FAILURES = ("Traceback", "handler_failed", "stream_tick_failed", "background_write_failed")
COUNTS: Counter[str] = Counter()
OUTCOMES: Counter[tuple[str, str]] = Counter()  # (event, "ok" or the error code)
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# -- strategies ----------------------------------------------------------------

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
json_values = st.recursive(
    scalars,
    lambda kids: st.lists(kids, max_size=4)
    | st.dictionaries(st.text(max_size=12), kids, max_size=4),
    max_leaves=12,
)
SEEDED = [
    "¿Cómo resuelvo la ecuación 2x + 3 = 11?",  # cached (migration 003)
    "¿Cuál es la masa molar del agua H2O?",
    "Ley de Ohm: una resistencia de 10 ohms con 5 A, ¿qué voltaje tiene?",
]
questions = st.sampled_from(
    [*SEEDED, "resuelve 2x + 3 = 7", "deriva x^3", "  ", "x" * 1001, "¿quién ganó el mundial?"]
) | st.text(max_size=60)
texts = st.text(min_size=1, max_size=64)
ids = st.just(ACTIVE) | st.uuids().map(str) | json_values
b64 = st.binary(max_size=48).map(lambda b: base64.b64encode(b).decode())
wav = st.just(base64.b64encode(b"RIFF$\x00\x00\x00WAVEfmt " + b"\x00" * 32).decode())
FIELDS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "ask_question": {
        "question": questions | json_values,
        "context": st.fixed_dictionaries(
            {},
            optional={
                "subject": json_values,
                "topic": json_values,
                "level": json_values,
                "language": st.sampled_from(["es", "en", "fr"]) | json_values,
            },
        )
        | json_values,
        "request_id": st.text(max_size=70) | json_values,
    },
    "pause_explanation": {"interaction_id": ids},
    "resume_explanation": {
        "interaction_id": ids,
        "after_seq": st.integers(min_value=-3, max_value=200) | json_values,
    },
    "stop_explanation": {"interaction_id": ids},
    "voice_start": {
        "format": st.sampled_from(["webm", "ogg", "wav", "mp3", "m4a", "flac"]) | json_values,
        "language": st.sampled_from(["es", "en"]) | json_values,
        "context": json_values,
    },
    "voice_chunk": {
        "voice_id": st.just(VOICE) | json_values,
        "seq": st.integers(min_value=-2, max_value=3) | json_values,
        "data": b64 | wav | json_values,
    },
    "voice_complete": {
        "voice_id": st.just(VOICE) | json_values,
        "data": b64 | wav | json_values,
        "transcript": questions | json_values,
        "request_id": st.text(max_size=70) | json_values,
    },
}


# Values a well-behaved client sends, so the fuzz also walks the paths past validation.
VALID: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "ask_question": {
        "question": st.sampled_from(SEEDED) | questions,
        "context": st.fixed_dictionaries(
            {},
            optional={"subject": texts, "topic": texts, "language": st.sampled_from(["es", "en"])},
        ),
        "request_id": texts,
    },
    "pause_explanation": {"interaction_id": st.just(ACTIVE)},
    "resume_explanation": {
        "interaction_id": st.just(ACTIVE),
        "after_seq": st.integers(min_value=-1, max_value=40),
    },
    "stop_explanation": {"interaction_id": st.just(ACTIVE)},
    "voice_start": {
        "format": st.sampled_from(["webm", "ogg", "wav", "mp3", "m4a"]),
        "language": st.sampled_from(["es", "en"]),
    },
    "voice_chunk": {"voice_id": st.just(VOICE), "seq": st.just(0), "data": b64 | wav},
    "voice_complete": {
        "voice_id": st.just(VOICE),
        "data": wav,
        "transcript": st.sampled_from(SEEDED) | questions,
        "request_id": texts,
    },
}


def payloads(event: str) -> st.SearchStrategy[tuple[Any, ...]]:
    """The arguments of one call: one payload (any kind), several, or none."""
    extra = st.dictionaries(st.text(max_size=8), json_values, max_size=2)
    shaped = st.builds(
        lambda known, extra: {**extra, **known},
        st.fixed_dictionaries({}, optional=FIELDS.get(event, {})),
        extra,
    )
    valid = st.builds(
        lambda known, extra: {**extra, **known},
        st.fixed_dictionaries({}, optional=VALID.get(event, {})),
        extra,
    )
    one = (valid | shaped | valid | json_values).map(lambda p: (p,))
    return one | st.lists(json_values, min_size=2, max_size=3).map(tuple) | st.just((ABSENT,))


# -- the server and the client ---------------------------------------------------


@pytest.fixture(scope="module")
def server(server_factory: Callable[..., ServerProcess]) -> ServerProcess:
    return server_factory(
        SOCKETIO_ASYNC_MODE="gevent",
        STREAM_PACE=1,  # streams stay live, so pause, resume and stop find one
        NEW_USER_CREDITS=1_000_000,
        LOG_LEVEL="WARNING",
    )


@pytest.fixture(scope="module")
def client(server: ServerProcess) -> Iterator[RawSocketIO]:
    raw = RawSocketIO(server.url, new_user()[1])
    yield raw
    raw.close()


class Live:
    """The ids a payload may name: the active interaction's, a fresh voice clip's."""

    interaction_id = "none-yet"


def substitute(value: Any, client: RawSocketIO) -> Any:
    if value == ACTIVE:
        return Live.interaction_id
    if value == VOICE:
        started = client.call("voice_start", {"format": "wav"})
        return started.ack[0].get("voice_id", "lost") if started.ack else "lost"
    if isinstance(value, dict):
        return {k: substitute(v, client) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, client) for v in value]
    return value


def check(answer: Answer, label: str) -> dict[str, Any]:
    COUNTS[label] += 1
    assert isinstance(answer.ack, list) and len(answer.ack) == 1, answer.ack
    ack = answer.ack[0]
    assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool), ack
    if not ack["ok"]:
        error = ack.get("error")
        assert isinstance(error, dict) and error.get("code") in ALLOWED, ack
        assert isinstance(error.get("message"), str) and error["message"], ack
    OUTCOMES[label, "ok" if ack["ok"] else ack["error"]["code"]] += 1
    for error in answer.errors:
        assert error.get("code") in ALLOWED, error
    if ack["ok"] and isinstance(ack.get("interaction_id"), str):
        Live.interaction_id = ack["interaction_id"]
    return ack


# -- the fuzz --------------------------------------------------------------------


@pytest.mark.parametrize("event", KNOWN)
def test_every_client_event_answers_with_a_protocol_ack(
    event: str, client: RawSocketIO, server: ServerProcess
) -> None:
    @FUZZ
    @given(args=payloads(event))
    def run(args: tuple[Any, ...]) -> None:
        check(client.call(event, *substitute(list(args), client)), event)

    run()
    assert server.proc.poll() is None


def test_unknown_event_names(client: RawSocketIO) -> None:
    names = st.text(max_size=30).filter(lambda n: n not in KNOWN and n not in RESERVED_EVENTS)

    @FUZZ
    @given(name=names, args=payloads("unknown"))
    def run(name: str, args: tuple[Any, ...]) -> None:
        ack = check(client.call(name, *args), "unknown")
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload"

    run()


def test_reserved_event_names(client: RawSocketIO) -> None:
    @FUZZ
    @given(name=st.sampled_from(sorted(RESERVED_EVENTS)), args=payloads("reserved"))
    def run(name: str, args: tuple[Any, ...]) -> None:
        ack = check(client.call(name, *args), "reserved")
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload"

    run()
    assert client.call("stop_explanation", {}).ack  # the session is still there


def test_packets_without_a_usable_name(client: RawSocketIO) -> None:
    nameless = st.lists(json_values, max_size=3).filter(
        lambda d: not d or not isinstance(d[0], str)
    ) | json_values.filter(lambda d: not isinstance(d, list))

    @FUZZ
    @given(data=nameless)
    def run(data: Any) -> None:
        ack = check(client.call_raw(data), "unnamed")
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload"

    run()


def test_the_server_is_still_up_with_no_failure_logged(
    server: ServerProcess, client: RawSocketIO
) -> None:
    started = time.monotonic()
    assert httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200
    assert client.call("pause_explanation", {}).ack
    log = server.log()
    assert not [word for word in LOG_FAILURES if word in log], log[-3000:]
    print(f"\nfuzzed examples per event: {dict(sorted(COUNTS.items()))}")
    print(f"total {sum(COUNTS.values())}; health check {time.monotonic() - started:.3f} s")
    for event in sorted(COUNTS):
        seen = {code: n for (label, code), n in sorted(OUTCOMES.items()) if label == event}
        print(f"  {event}: {seen}")
    assert set(COUNTS) >= {*KNOWN, "unknown", "reserved", "unnamed"}
