"""Two instances sharing Redis as the Socket.IO message queue (SOCKETIO_MESSAGE_QUEUE).

What crosses instances: `credits_updated` to every socket of the user, a session
takeover that disconnects the holder on the other instance, and resuming there.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.resume import resume_and_check
from tests.support.server import RecordingClient, RedisDb, ServerProcess, new_user

pytestmark = pytest.mark.integration

SEED = json.loads(
    (Path(__file__).resolve().parents[2] / "migrations" / "seed_data.json").read_text("utf-8")
)["answers"]
LONG_Q = SEED[1]["question"]


@pytest.fixture(scope="module")
def pair(
    stores: tuple[object, RedisDb], server_factory: Callable[..., ServerProcess]
) -> tuple[ServerProcess, ServerProcess]:
    _pg, rds = stores
    queue = {"SOCKETIO_MESSAGE_QUEUE": rds.url, "STREAM_PACE": "0.05"}
    return server_factory(**queue), server_factory(**queue)


def test_credits_updated_reaches_the_users_socket_on_the_other_instance(
    pair: tuple[ServerProcess, ServerProcess],
    clients: Callable[..., RecordingClient],
) -> None:
    a, b = pair
    _user, token = new_user()
    on_a, on_b = clients(a, token), clients(b, token)
    ack = on_a.call("ask_question", {"question": SEED[0]["question"]})
    assert ack["ok"] is True
    seen = on_b.wait_for("credits_updated", timeout=10)
    assert seen.data["delta"] == -1 and seen.data["action_type"] == "question_cached"
    assert not on_b.events(ack["interaction_id"]), "the stream itself goes only to the asker"


def test_takeover_on_another_instance_disconnects_the_holder_and_resumes_there(
    pair: tuple[ServerProcess, ServerProcess],
    clients: Callable[..., RecordingClient],
) -> None:
    a, b = pair
    _user, token = new_user()
    holder = clients(a, token)
    ack = holder.call("ask_question", {"question": LONG_Q})
    interaction = ack["interaction_id"]
    holder.wait_for("step_start", timeout=10)

    newcomer = RecordingClient(b.url, token, holder.session_id)
    ready = newcomer.connect()
    try:
        assert ready["session_id"] == holder.session_id
        assert ready["active_interaction"]["interaction_id"] == interaction
        assert ready["active_interaction"]["paused"] is True
        assert holder.disconnected.wait(10), "the holder on the other instance is disconnected"

        received = [e for e in holder.events(interaction) if "seq" in e.data]
        resume_and_check(newcomer, interaction, received)
    finally:
        newcomer.disconnect()
