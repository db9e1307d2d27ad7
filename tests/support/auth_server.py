"""Real servers for the auth, session and account-API tests.

- `PgDb`: a fresh Postgres database with the migrations applied, dropped on close().
- `RedisDb`: an empty Redis database number reserved with an owner key, flushed on close().
- `AppServer`: `python run.py` in a subprocess on a free loopback port, waited for
  through `/healthz`, with an explicit environment (no developer `.env`).
- `try_connect`: one real python-socketio connection attempt that records the
  connect error (message and data) or the `session_ready` payload.

Kept apart from tests/support/server.py on purpose: these tests own their servers
and do not depend on another suite's helpers.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import engineio
import httpx
import psycopg
import redis
import socketio

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")
DEV_SECRET = "auth-suite-dev-secret-0123456789abcdef"
OWNER_KEY = "__guia_test_owner__"


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgDb:
    """A new Postgres database with every migration applied."""

    def __init__(self, prefix: str = "guia_auth") -> None:
        from app.repositories.migration_runner import upgrade

        self.name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        # The app wants a URL (Settings checks the scheme), not a conninfo string.
        self.url = f"{TEST_DATABASE_URL.rsplit('/', 1)[0]}/{self.name}"
        upgrade(self.url)

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            return list(conn.execute(sql, params).fetchall())  # type: ignore[arg-type]

    def close(self) -> None:
        with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class RedisDb:
    """An empty Redis database number, reserved with an owner key (SET NX)."""

    def __init__(self, candidates: Iterable[int] = range(1, 16)) -> None:
        self.token = uuid.uuid4().hex
        for number in candidates:
            client = redis.Redis.from_url(f"{TEST_REDIS_URL}/{number}", decode_responses=True)
            if client.dbsize() == 0 and client.set(OWNER_KEY, self.token, nx=True, ex=1800):
                self.number = number
                self.url = f"{TEST_REDIS_URL}/{number}"
                self.client = client
                return
            client.close()
        raise RuntimeError("no free Redis database number for the tests")

    def flush(self) -> None:
        """Empty the database but keep the reservation."""
        if self.client.get(OWNER_KEY) == self.token:
            self.client.flushdb()
            self.client.set(OWNER_KEY, self.token, ex=1800)

    def close(self) -> None:
        if self.client.get(OWNER_KEY) == self.token:
            self.client.flushdb()
        self.client.close()


def server_env(**overrides: Any) -> dict[str, str]:
    """Test defaults with no inherited app configuration; None removes a name."""
    prefixes = ("OPENAI_", "SUPABASE_", "DATABASE_", "REDIS_", "RATE_LIMIT_", "CORS_", "SOCKETIO_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(
        {
            "APP_ENV": "test",
            "HOST": "127.0.0.1",
            "DEV_JWT_SECRET": DEV_SECRET,
            "ANSWER_ENGINE": "offline",
            "STREAM_PACE": "0",
            "RATE_LIMIT_CONNECTIONS": "100000/minute",
            "RATE_LIMIT_QUESTIONS": "100000/minute",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            # GUIA_TEST_ASYNC_MODE=gevent runs the same tests against a gevent server.
            "SOCKETIO_ASYNC_MODE": os.environ.get("GUIA_TEST_ASYNC_MODE", "threading"),
        }
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = str(value)
    return env


class AppServer:
    """`python run.py` on a free port; stop() ends this process only."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = Path(tempfile.mkdtemp(prefix="guia_auth_srv_"))
        self.log_path = self.workdir / "server.log"
        self._log = self.log_path.open("wb")
        full_env = {**env, "PORT": str(self.port)}
        full_env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), env.get("PYTHONPATH", "")])
        self.proc = subprocess.Popen(
            [sys.executable, str(REPO_ROOT / "run.py")],
            cwd=self.workdir,  # empty folder: no `.env` leaks in
            env=full_env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 30.0) -> AppServer:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"server not ready after {timeout}s:\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-8000:]
        except OSError:
            return ""

    def get(self, path: str, token: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return httpx.get(f"{self.url}{path}", headers=headers, timeout=10, **kwargs)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


def start_server(**env: Any) -> AppServer:
    return AppServer(server_env(**env)).wait_ready()


# -- Socket.IO -----------------------------------------------------------------


class _QuickCloseEngineIO(engineio.Client):
    """Engine.IO client that waits at most 0.2 s for the server's websocket close frame.

    websocket-client waits up to 3 s for it by default, and the development server
    does not always answer one, which would make every disconnect cost 3 s.
    """

    def disconnect(self, abort: bool = False, reason: Any = None) -> None:
        ws = getattr(self, "ws", None)
        if ws is not None and not getattr(ws, "_quick_close", False):
            original = ws.close

            def quick_close(*args: Any, **kwargs: Any) -> None:
                kwargs["timeout"] = 0.2
                original(*args, **kwargs)

            ws.close = quick_close
            ws._quick_close = True
        super().disconnect(abort=abort, reason=reason)


class QuickClient(socketio.Client):
    """python-socketio client whose disconnect does not stall on the close handshake."""

    def _engineio_client_class(self) -> type[engineio.Client]:
        return _QuickCloseEngineIO


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
