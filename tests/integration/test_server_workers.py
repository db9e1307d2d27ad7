"""`python run.py` with SERVER_WORKERS=2: two processes sharing one listening socket.

The kernel spreads the connections over both workers; a websocket connection stays
on the worker that accepted it. What must hold across them: clients spread over
both, and an explanation paused and disconnected on one worker resumes exactly
(nothing lost or repeated) on the other, through the shared Redis.

Which worker holds a connection is read off /proc: the server-side socket whose
peer is the client's local port belongs to exactly one worker's file table.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.resume import resume_and_check
from tests.support.server import RecordingClient, RedisDb, ServerProcess, new_user, start_server

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads /proc (Linux)"),
]

WORKERS = 2
SEED = json.loads(
    (Path(__file__).resolve().parents[2] / "migrations" / "seed_data.json").read_text("utf-8")
)["answers"]
LONG_Q = SEED[1]["question"]


@pytest.fixture(scope="module")
def server(stores: tuple[object, RedisDb]) -> Iterator[ServerProcess]:
    pg, rds = stores
    proc = start_server(
        pg.dsn,  # type: ignore[attr-defined]
        rds.url,
        SOCKETIO_ASYNC_MODE="gevent",
        SERVER_WORKERS=str(WORKERS),
        SOCKETIO_MESSAGE_QUEUE=rds.url,
        STREAM_PACE="0.05",
    )
    try:
        yield proc
    finally:
        proc.stop()


def workers_of(server: ServerProcess) -> list[int]:
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def server_socket_inode(server_port: int, client_port: int) -> str:
    """The inode of the server's end of the connection from `client_port`."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        remote_port = int(fields[2].split(":")[1], 16)
        if local_port == server_port and remote_port == client_port and fields[3] == "01":
            return fields[9]
    raise AssertionError(f"no established server socket for client port {client_port}")


def worker_holding(server: ServerProcess, client: RecordingClient) -> int:
    client_port = client.sio.eio.ws.sock.getsockname()[1]
    inode = server_socket_inode(server.port, client_port)
    holders = [pid for pid in workers_of(server) if inode in socket_inodes(pid)]
    assert len(holders) == 1, f"connection held by {holders}"
    return holders[0]


def test_two_workers_serve_and_connections_spread_over_both(
    server: ServerProcess, clients: Callable[..., RecordingClient]
) -> None:
    assert len(workers_of(server)) == WORKERS
    connected = [clients(server) for _ in range(24)]
    holders = {worker_holding(server, c) for c in connected}
    assert holders == set(workers_of(server)), "every worker accepts connections"
    ack = connected[0].call("ask_question", {"question": SEED[0]["question"]})
    assert ack["ok"] is True


@pytest.mark.parametrize("pause_first", [True, False], ids=["paused", "dropped"])
def test_paused_or_dropped_on_one_worker_resumes_exactly_on_the_other(
    server: ServerProcess,
    clients: Callable[..., RecordingClient],
    pause_first: bool,
) -> None:
    _user, token = new_user()
    first = clients(server, token)
    first_worker = worker_holding(server, first)
    ack = first.call("ask_question", {"question": LONG_Q})
    interaction = ack["interaction_id"]
    first.wait_for("step_start", timeout=10)
    if pause_first:
        paused = first.call("pause_explanation", {"interaction_id": interaction})
        assert paused["ok"] is True
    first.disconnect()  # without a pause: the server pauses at the last event it sent
    received = [e for e in first.events(interaction) if "seq" in e.data]
    if pause_first:
        assert received[-1].data["seq"] == paused["next_seq"] - 1

    # Reconnect with the session until the kernel hands the connection to the other worker.
    for _ in range(40):
        again = clients(server, token, first.session_id)
        if worker_holding(server, again) != first_worker:
            break
        again.disconnect()
    else:
        pytest.fail("40 reconnects all landed on the same worker")
    ready = next(e.data for e in again.received if e.name == "session_ready")
    assert ready["session_id"] == first.session_id
    assert ready["active_interaction"]["interaction_id"] == interaction
    assert ready["active_interaction"]["paused"] is True
    if pause_first:
        assert ready["active_interaction"]["next_seq"] == paused["next_seq"]

    resume_and_check(again, interaction, received)
