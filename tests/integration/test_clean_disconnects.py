"""Closing clients leave nothing in the server's log (gevent mode, `python run.py`).

A real server on SQLite and the in-process Redis; clients close in every way a
client does: the python client's websocket close (Engine.IO close packet, then the
close frame), a raw websocket that sends its close frame after the server ended
the websocket, an abrupt TCP close, polling, polling upgraded to websocket, a
disconnect in the middle of a stream, and a takeover (the server closes the old
socket). The log must hold the start-up banner and nothing else: no
`Invalid HTTP method` (a close frame read as a request line), no traceback, no
access line.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import socketio
import websocket

from tests.support.server import RecordingClient, ServerProcess, base_env, new_user

pytestmark = pytest.mark.integration

ROUNDS = 25
QUESTION = "resuelve 2x + 3 = 7"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder: Path = tmp_path_factory.mktemp("clean")
    env = base_env(
        DATABASE_URL=f"sqlite:///{folder / 'guia.db'}",
        REDIS_URL="memory://",
        SOCKETIO_ASYNC_MODE="gevent",
        LOG_LEVEL="INFO",  # lifecycle lines are expected; junk is not
        STREAM_PACE="0.05",
    )
    with ServerProcess(env) as proc:
        yield proc


def ws_url(server: ServerProcess) -> str:
    return server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"


def raw_client(server: ServerProcess, how: str) -> None:
    ws = websocket.create_connection(ws_url(server), timeout=5)
    ws.recv()  # Engine.IO open
    ws.send("40" + json.dumps({"token": new_user()[1]}))
    ws.recv()  # Socket.IO connect
    if how == "close_packet_then_frame":
        ws.send("1")  # Engine.IO close: the server ends the websocket first
        time.sleep(0.05)
        ws.close(timeout=0.2)  # ...then the close frame arrives
    elif how == "mid_stream":
        ws.send("42" + json.dumps(["ask_question", {"question": QUESTION}]))
        time.sleep(0.2)
        ws.close(timeout=0.2)
    elif how == "close_frame":
        ws.close(timeout=0.2)
    else:  # abrupt: no close frame at all
        ws.sock.close()


def library_client(server: ServerProcess, transports: list[str]) -> None:
    client = socketio.Client(reconnection=False)
    client.connect(server.url, auth={"token": new_user()[1]}, transports=transports)
    client.call("ask_question", {"question": QUESTION}, timeout=10)
    time.sleep(0.1)
    client.disconnect()


def takeover(server: ServerProcess) -> None:
    token = new_user()[1]
    first = RecordingClient(server.url, token)
    first.connect()
    first.call("ask_question", {"question": QUESTION})
    second = RecordingClient(server.url, token, first.session_id)
    second.connect()
    first.disconnected.wait(5)
    second.disconnect()


def junk(log: str) -> list[str]:
    """Lines that are neither the banner nor a structured (console or JSON) log line."""
    bad = []
    for line in log.splitlines():
        if not line.strip() or line.startswith("Guía IPN backend on "):
            continue
        structured = line.startswith("{") or line[:4].isdigit() and "[" in line[:40]
        noisy = any(word in line for word in ("Invalid HTTP", "Traceback", "Error", "HTTP/1.1"))
        if not structured or noisy:
            bad.append(line)
    return bad


def test_many_clients_closing_leave_no_junk_in_the_log(server: ServerProcess) -> None:
    ways = ["close_packet_then_frame", "mid_stream", "close_frame", "abrupt"]
    for _ in range(ROUNDS // 5):
        threads = [
            threading.Thread(target=raw_client, args=(server, how))
            for how in ways
            for _ in range(5)
        ]
        threads += [
            threading.Thread(target=library_client, args=(server, transports))
            for transports in (["websocket"], ["polling"], ["polling", "websocket"])
        ]
        threads.append(threading.Thread(target=takeover, args=(server,)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    time.sleep(1.0)  # let the server read (and ignore) whatever the clients sent last
    log = server.log_path.read_text(errors="replace")
    assert "socket_connected" in log or "question_received" in log, log[-2000:]
    assert junk(log) == [], "\n".join(junk(log)[:20])
