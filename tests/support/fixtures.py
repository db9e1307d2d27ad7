"""Fixtures for tests against real servers (import them into a test module):
one Postgres database and one Redis database per module, shared by every server the module starts (like production
instances share them)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.server import (
    PgDatabase,
    RecordingClient,
    RedisDb,
    ServerProcess,
    new_user,
    start_server,
)


@pytest.fixture(scope="module")
def stores() -> Iterator[tuple[PgDatabase, RedisDb]]:
    pg = PgDatabase()
    rds = RedisDb()
    try:
        yield pg, rds
    finally:
        rds.close()
        pg.close()


@pytest.fixture(scope="module")
def server_factory(
    stores: tuple[PgDatabase, RedisDb],
) -> Iterator[Callable[..., ServerProcess]]:
    """Start servers on the module's stores; all stopped at the end of the module."""
    pg, rds = stores
    started: list[ServerProcess] = []

    def start(**overrides: Any) -> ServerProcess:
        server = start_server(pg.dsn, rds.url, **overrides)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def clients() -> Iterator[Callable[..., RecordingClient]]:
    """Make connected recording clients; all disconnected after the test."""
    made: list[RecordingClient] = []

    def connect(
        server: ServerProcess, token: str | None = None, session_id: str | None = None
    ) -> RecordingClient:
        client = RecordingClient(server.url, token or new_user()[1], session_id)
        made.append(client)
        client.connect()
        return client

    yield connect

    def close(client: RecordingClient) -> None:
        with contextlib.suppress(Exception):  # already gone
            client.disconnect()

    threads = [threading.Thread(target=close, args=(c,)) for c in made]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
