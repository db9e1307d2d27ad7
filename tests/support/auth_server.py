"""Connection attempts and server settings for the auth, session and account-API tests.

- `server_env`: the shared `base_env` with this suite's defaults (the offline answer
  engine, no stream pacing).
- `try_connect`: one real python-socketio connection attempt that records the
  connect error (message and data) or the `session_ready` payload.

The servers and stores themselves (`ServerProcess`, `PgDatabase`, `RedisDb`) come
from tests/support/server.py, the one harness every suite uses.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import socketio

from tests.support.server import QuickClient, base_env


def server_env(**overrides: Any) -> dict[str, str]:
    """`base_env` with the offline answer engine and no pacing; None removes a name."""
    return base_env(**{"ANSWER_ENGINE": "offline", "STREAM_PACE": "0", **overrides})


@dataclass
class Attempt:
    """What one connection attempt produced."""

    client: socketio.Client
    error: Any = None  # the connect_error argument: {"message", "data"} for a refusal
    raised: Exception | None = None
    ready: dict[str, Any] | None = None
    disconnected: threading.Event = field(default_factory=threading.Event)
    ready_event: threading.Event = field(default_factory=threading.Event)

    @property
    def accepted(self) -> bool:
        return self.raised is None and self.client.connected

    def wait_ready(self, timeout: float = 5.0) -> dict[str, Any]:
        assert self.ready_event.wait(timeout), "no session_ready"
        assert self.ready is not None
        return self.ready

    def close(self) -> None:
        if self.client.connected:
            self.client.disconnect()


def try_connect(
    url: str,
    *,
    auth: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    query: str = "",
    transports: list[str] | None = None,
    origin: str | None = None,
    wait_ready: bool = True,
) -> Attempt:
    """One real connection attempt; on acceptance waits for `session_ready`.

    `origin` replaces the websocket's Origin header (a header in `headers` would be
    sent next to websocket-client's own one).
    """
    options: dict[str, Any] = {"reconnection": False}
    if origin is not None:
        options["websocket_extra_options"] = {"origin": origin}
    client = QuickClient(**options)
    attempt = Attempt(client)

    @client.event
    def connect_error(data: Any = None) -> None:
        attempt.error = data

    @client.event
    def disconnect(*_args: Any) -> None:
        attempt.disconnected.set()

    @client.on("session_ready")
    def session_ready(data: dict[str, Any]) -> None:
        attempt.ready = data
        attempt.ready_event.set()

    try:
        client.connect(
            url + query,
            auth=auth,
            headers=headers or {},
            transports=transports or ["websocket"],
            wait_timeout=5,
        )
    except socketio.exceptions.ConnectionError as exc:
        attempt.raised = exc
        return attempt
    if wait_ready:
        attempt.wait_ready()
    return attempt
