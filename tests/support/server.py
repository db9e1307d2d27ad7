"""Real servers and real clients for integration tests, browser tests and benchmarks.

The one harness every suite starts its servers with:

- `ServerProcess`: `python run.py` in a subprocess on a free loopback port,
  waited for through `/healthz`; its environment is explicit (`base_env`, no `.env`).
- `PgDatabase` / `RedisDb`: a fresh Postgres database with the migrations
  applied (the seed answers come with migration 003), and a Redis database
  number reserved with an owner key (SET NX), both cleaned up on `close()`.
- `dev_token`: an HS256 development token signed exactly like
  `app.auth.dev_tokens.issue_dev_token`.
- `QuickClient`: python-socketio's `Client` whose disconnect does not stall on
  the websocket close handshake.
- `RecordingClient`: a quick-close client over websocket that records every
  server event (and every ack) in arrival order with its arrival time.

Why a subprocess and not an in-process server: the behaviour under test
(threads, Redis, Postgres, the Engine.IO transport) is the deployed one, and
two instances can share one Redis and one Postgres like in production.
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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import engineio
import httpx
import jwt
import psycopg
import redis
import socketio

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")
DEV_SECRET = "integration-test-secret-0123456789abcdef"
DEV_ISSUER = "guia-dev"
DEV_AUDIENCE = "authenticated"
OWNER_KEY = "__guia_test_owner__"
CLOSE_TIMEOUT_S = 0.2  # how long a client waits for the server's websocket close frame


# -- infrastructure ------------------------------------------------------------


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgDatabase:
    """A new Postgres database with every migration applied; dropped on close()."""

    def __init__(self, prefix: str = "guia_flow") -> None:
        from app.repositories.sql.migrations import upgrade

        self.name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        # The app wants a URL (Settings checks the scheme), not a conninfo string.
        self.url = f"{TEST_DATABASE_URL.rsplit('/', 1)[0]}/{self.name}"
        self.dsn = self.url  # the same URL, under the name fixtures and the bench read
        upgrade(self.url)

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            return list(conn.execute(sql, params).fetchall())

    def execute(self, sql: str, *params: Any) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(sql, params)

    def insert_answer(self, question: str, answer: dict[str, Any]) -> str:
        """Store a cached answer for `question` (validated like the seed) and return its id."""
        import json

        from app.domain.explanation import Explanation
        from app.utils.text_processing import question_key

        Explanation.model_validate(answer)
        normalized, digest = question_key(question)
        rows = self.query(
            "INSERT INTO public.predefined_answers"
            " (question_hash, normalized_question, question, answer, source)"
            " VALUES (%s, %s, %s, %s::jsonb, 'admin') RETURNING id",
            digest,
            normalized,
            question,
            json.dumps(answer, ensure_ascii=False),
        )
        return str(rows[0][0])

    def close(self) -> None:
        with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class RedisDb:
    """An empty Redis database number, reserved with an owner key (SET NX).

    `client` decodes responses (str, not bytes); close() flushes the database
    only while this run still owns it.
    """

    def __init__(self, candidates: Iterable[int] = range(15, 0, -1)) -> None:
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


def base_env(**overrides: Any) -> dict[str, str]:
    """The server environment: no inherited app configuration, test defaults, then
    overrides (None removes a name)."""
    prefixes = ("OPENAI_", "SUPABASE_", "DATABASE_", "REDIS_", "RATE_LIMIT_", "CORS_", "SOCKETIO_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(
        {
            "APP_ENV": "test",
            "HOST": "127.0.0.1",
            "DEV_JWT_SECRET": DEV_SECRET,
            "STREAM_PACE": "0.02",
            "RATE_LIMIT_QUESTIONS": "100000/minute",
            "RATE_LIMIT_FAILED_AUTH": "100000/minute",
            "RATE_LIMIT_USER_CONNECTIONS": "100000/minute",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            # Several servers share the test Postgres (max_connections 100): small pools.
            "DATABASE_POOL_SIZE": "4",
            # Loading the embedder and building the index adds ~1.2 s to every server
            # start; the semantic cache's own tests turn it on (test_semantic_flow.py).
            "SEMANTIC_CACHE": "off",
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


class ServerProcess:
    """`python run.py` on a free port; stop() terminates it (and only it)."""

    def __init__(self, env: Mapping[str, str], log_path: Path | None = None) -> None:
        self.port = free_port()
        self.env = {**env, "PORT": str(self.port)}
        self.url = f"http://127.0.0.1:{self.port}"
        # An empty working directory: no `.env` of a developer leaks into the test.
        self.workdir = Path(tempfile.mkdtemp(prefix="guia_srv_"))
        self.log_path = log_path or self.workdir / "server.log"
        self._log = self.log_path.open("wb")
        pythonpath = os.pathsep.join([str(REPO_ROOT), self.env.get("PYTHONPATH", "")])
        self.proc = subprocess.Popen(
            [sys.executable, str(REPO_ROOT / "run.py")],
            cwd=self.workdir,
            env={**self.env, "PYTHONPATH": pythonpath},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(self, timeout: float = 30.0) -> ServerProcess:
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

    def get(
        self,
        path: str,
        token: str | None = None,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        **query: Any,
    ) -> httpx.Response:
        """GET on this server, with a bearer token if given; `query` adds query parameters."""
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        return httpx.get(
            f"{self.url}{path}", params={**(params or {}), **query}, headers=sent, timeout=10
        )

    def __enter__(self) -> ServerProcess:
        return self.wait_ready()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


def start_server(
    database_url: str, redis_url: str, log_path: Path | None = None, **overrides: Any
) -> ServerProcess:
    """Start one server on the given stores and wait for /healthz."""
    env = base_env(DATABASE_URL=database_url, REDIS_URL=redis_url, **overrides)
    return ServerProcess(env, log_path).wait_ready()


# -- tokens --------------------------------------------------------------------


def dev_token(
    user_id: str | None = None,
    email: str | None = None,
    ttl_s: int = 3600,
    secret: str = DEV_SECRET,
) -> str:
    """A development token, the same claims `issue_dev_token` signs."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": DEV_ISSUER,
        "aud": DEV_AUDIENCE,
        "sub": user_id or str(uuid.uuid4()),
        "role": "authenticated",
        "iat": now,
        "exp": now + ttl_s,
    }
    if email:
        claims["email"] = email
    return jwt.encode(claims, secret, algorithm="HS256")


def new_user() -> tuple[str, str]:
    """(user_id, token) of a fresh user."""
    user_id = str(uuid.uuid4())
    return user_id, dev_token(user_id)


# -- clients -------------------------------------------------------------------


class _QuickCloseEngineIO(engineio.Client):
    """Engine.IO client that waits at most CLOSE_TIMEOUT_S for the server's websocket close frame.

    websocket-client waits up to 3 s for it by default, and the development server
    does not always answer one, which would make every disconnect cost 3 s.
    """

    def disconnect(self, abort: bool = False, reason: Any = None) -> None:
        ws = getattr(self, "ws", None)
        if ws is not None and not getattr(ws, "_quick_close", False):
            original = ws.close

            def quick_close(*args: Any, **kwargs: Any) -> None:
                kwargs["timeout"] = CLOSE_TIMEOUT_S
                original(*args, **kwargs)

            ws.close = quick_close
            ws._quick_close = True
        super().disconnect(abort=abort, reason=reason)


class QuickClient(socketio.Client):
    """python-socketio client whose disconnect does not stall on the close handshake."""

    def _engineio_client_class(self) -> type[engineio.Client]:
        return _QuickCloseEngineIO


class _InOrderEngineIO(_QuickCloseEngineIO):
    """Quick-close Engine.IO client that hands messages to Socket.IO in arrival order.

    The stock client starts a thread per message, so handlers can observe
    events out of order; the tests need the order the server sent.
    """

    def _trigger_event(self, event: str, *args: Any, **kwargs: Any) -> Any:
        if event == "message":
            kwargs.pop("run_async", None)
        return super()._trigger_event(event, *args, **kwargs)


class _InOrderClient(socketio.Client):
    def _engineio_client_class(self) -> type[engineio.Client]:
        return _InOrderEngineIO


@dataclass
class Received:
    """One recorded item: a server event, or the ack of one of our emits."""

    index: int
    name: str  # event name, or "ack:<event>"
    data: Any
    at: float  # time.monotonic()


@dataclass
class RecordingClient:
    """A real Socket.IO client that records everything it receives, in order."""

    url: str
    token: str | None
    session_id: str | None = None
    transports: tuple[str, ...] = ("websocket",)
    received: list[Received] = field(default_factory=list)
    disconnected: threading.Event = field(default_factory=threading.Event)
    connect_error: Any = None

    def __post_init__(self) -> None:
        self.sio = _InOrderClient(reconnection=False)
        self.cond = threading.Condition()
        self.sio.on("*", self._on_event)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on("connect_error", self._on_connect_error)

    # -- recording -----------------------------------------------------------

    def _record(self, name: str, data: Any) -> None:
        with self.cond:
            self.received.append(Received(len(self.received), name, data, time.monotonic()))
            self.cond.notify_all()

    def _on_event(self, event: str, *args: Any) -> None:
        self._record(event, args[0] if len(args) == 1 else list(args))

    def _on_disconnect(self, *_args: Any) -> None:
        self.disconnected.set()
        with self.cond:
            self.cond.notify_all()

    def _on_connect_error(self, data: Any = None) -> None:
        self.connect_error = data

    # -- connection ----------------------------------------------------------

    def connect(self, wait_ready: bool = True, timeout: float = 10) -> dict[str, Any] | None:
        """Connect; return the `session_ready` payload (and remember its session_id)."""
        auth: dict[str, Any] = {}
        if self.token is not None:
            auth["token"] = self.token
        if self.session_id:
            auth["session_id"] = self.session_id
        start = len(self.received)
        self.disconnected.clear()
        self.sio.connect(
            self.url, auth=auth, transports=list(self.transports), wait_timeout=timeout
        )
        if not wait_ready:
            return None
        ready = self.wait_for("session_ready", timeout=timeout, start=start)
        self.session_id = ready.data["session_id"]
        return dict(ready.data)

    def disconnect(self) -> None:
        if self.sio.connected:
            self.sio.disconnect()

    @property
    def connected(self) -> bool:
        return bool(self.sio.connected)

    # -- requests ------------------------------------------------------------

    def call(self, event: str, payload: Any = None, timeout: float = 10) -> Any:
        """Emit with an ack and return the ack; the ack is recorded in order too."""
        done = threading.Event()
        box: list[Any] = []

        def on_ack(*args: Any) -> None:
            value = args[0] if len(args) == 1 else list(args)
            box.append(value)
            self._record(f"ack:{event}", value)
            done.set()

        self.sio.emit(event, payload, callback=on_ack)
        if not done.wait(timeout):
            raise TimeoutError(f"no ack for {event} in {timeout}s")
        return box[0]

    def call_raw(self, event: str, args: tuple[Any, ...], timeout: float = 10) -> Any:
        """Emit the exact argument list (e.g. `(None,)` sends a JSON null)."""
        done = threading.Event()
        box: list[Any] = []

        def on_ack(*ack: Any) -> None:
            box.append(ack[0] if len(ack) == 1 else list(ack))
            self._record(f"ack:{event}", box[-1])
            done.set()

        self.sio.emit(event, args, callback=on_ack)
        if not done.wait(timeout):
            raise TimeoutError(f"no ack for {event} in {timeout}s")
        return box[0]

    # -- waiting and reading -------------------------------------------------

    def wait_until(
        self, predicate: Callable[[list[Received]], bool], timeout: float = 15
    ) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate(self.received):
                left = deadline - time.monotonic()
                if left <= 0:
                    names = [r.name for r in self.received[-15:]]
                    raise TimeoutError(f"condition not met in {timeout}s; last: {names}")
                self.cond.wait(min(left, 0.2))
            return list(self.received)

    def wait_for(
        self,
        name: str,
        timeout: float = 15,
        start: int = 0,
        where: Callable[[Any], bool] | None = None,
    ) -> Received:
        """The first `name` event at or after index `start` (matching `where`)."""

        def find(items: list[Received]) -> Received | None:
            for item in items[start:]:
                if item.name == name and (where is None or where(item.data)):
                    return item
            return None

        self.wait_until(lambda items: find(items) is not None, timeout)
        found = find(self.received)
        assert found is not None
        return found

    def events(self, interaction_id: str | None = None, start: int = 0) -> list[Received]:
        """Server events (no acks), optionally only those of one interaction."""
        with self.cond:
            items = list(self.received[start:])
        out = [r for r in items if not r.name.startswith("ack:")]
        if interaction_id is not None:
            out = [
                r
                for r in out
                if isinstance(r.data, dict) and r.data.get("interaction_id") == interaction_id
            ]
        return out

    def mark(self) -> int:
        with self.cond:
            return len(self.received)

    def quiet_for(self, seconds: float) -> list[Received]:
        """Sleep and return what arrived meanwhile (for 'nothing is sent' checks)."""
        start = self.mark()
        time.sleep(seconds)
        return self.events(start=start)


def is_terminal(item: Received, interaction_id: str) -> bool:
    """Whether `item` ends `interaction_id`'s stream."""
    return (
        isinstance(item.data, dict)
        and item.data.get("interaction_id") == interaction_id
        and item.name in ("explanation_complete", "explanation_stopped", "error")
    )


def wait_finished(client: RecordingClient, interaction_id: str, timeout: float = 30) -> Received:
    items = client.wait_until(
        lambda rs: any(is_terminal(r, interaction_id) for r in rs), timeout=timeout
    )
    return next(r for r in items if is_terminal(r, interaction_id))
