"""SessionRepository on fakeredis (the embedded default's backend): the shared contract."""

from __future__ import annotations

from collections.abc import Iterator

import fakeredis
import pytest
import redis

from tests.support.session_contract import SessionRepositoryContract


class TestSessionRepositoryOnFakeRedis(SessionRepositoryContract):
    @pytest.fixture
    def client(self) -> Iterator[redis.Redis]:
        client = fakeredis.FakeRedis(server=fakeredis.FakeServer(), decode_responses=True)
        yield client
        client.close()
