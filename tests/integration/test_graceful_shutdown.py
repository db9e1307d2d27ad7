"""SIGTERM mid-stream: the server pauses every live stream at its last event sent,
records it, and exits within SHUTDOWN_TIMEOUT_S (1 s); a new server on the same
Postgres and Redis resumes it exactly (no seq lost, none twice).

Real processes (`python run.py`): gevent with one process, gevent with two worker
processes under the parent (the signal goes to the parent), and threading mode. The
measured exit times are printed (`pytest -s`); the bound asserted is generous for a
loaded CI machine.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.test_question_flow import LONG_Q
from tests.support.server import (
    PgDatabase,
    RecordingClient,
    RedisDb,
    ServerProcess,
    new_user,
    wait_finished,
)

pytestmark = pytest.mark.integration

EXIT_BOUND_S = 2.5
PACE = 0.1  # LONG_Q lasts ~6 s: the signal lands well inside it
MODES = [("gevent", 1), ("gevent", 2), ("threading", 1)]


def seqs(client: RecordingClient, iid: str, start: int = 0) -> list[int]:
    return [r.data["seq"] for r in client.events(iid, start) if "seq" in r.data]


@pytest.mark.parametrize(("mode", "workers"), MODES, ids=[f"{m}-{w}" for m, w in MODES])
def test_sigterm_pauses_at_the_last_event_and_a_new_server_resumes_exactly(
    mode: str,
    workers: int,
    stores: tuple[PgDatabase, RedisDb],
    server_factory: Callable[..., ServerProcess],
) -> None:
    _, rds = stores
    env: dict[str, Any] = {"STREAM_PACE": PACE, "SOCKETIO_ASYNC_MODE": mode}
    env.update(SERVER_WORKERS=workers, SOCKETIO_MESSAGE_QUEUE=rds.url if workers > 1 else None)
    first = server_factory(**env)
    _, token = new_user()
    client = RecordingClient(first.url, token)
    client.connect()
    iid = client.call("ask_question", {"question": LONG_Q})["interaction_id"]
    client.wait_until(lambda _: len(seqs(client, iid)) >= 12)

    started = time.monotonic()
    first.proc.send_signal(signal.SIGTERM)
    code = first.proc.wait(timeout=10)
    took = time.monotonic() - started
    print(f"\n{mode} x{workers}: exit {code} {took * 1000:.0f} ms after SIGTERM")
    assert code == 0 and took < EXIT_BOUND_S
    assert client.disconnected.wait(5)

    got = seqs(client, iid)
    last = got[-1]
    assert got == list(range(last + 1))
    paused = [r.data for r in client.events(iid) if r.name == "explanation_paused"]
    assert paused and paused[-1]["next_seq"] == last + 1  # what the client was told

    second = server_factory(STREAM_PACE=0.02, SOCKETIO_ASYNC_MODE=mode)
    again = RecordingClient(second.url, token, client.session_id)
    ready = again.connect()
    assert ready is not None and ready["session_id"] == client.session_id
    active = ready["active_interaction"]
    assert active["interaction_id"] == iid and active["paused"] is True
    assert active["next_seq"] == last + 1  # recorded at the last event sent, not a step
    assert again.quiet_for(0.3) == []  # nothing streams until resume
    mark = again.mark()
    ack = again.call("resume_explanation", {"interaction_id": iid, "after_seq": last})
    assert ack == {"ok": True, "interaction_id": iid, "next_seq": last + 1}
    assert wait_finished(again, iid).name == "explanation_complete"
    rest = seqs(again, iid, mark)
    assert rest[0] == last + 1
    assert got + rest == list(range(len(got) + len(rest)))  # no seq lost, none twice
    names = [r.name for r in again.events(iid, mark)]
    assert names[0] == "explanation_resumed" and "explanation_paused" not in names
    again.disconnect()
