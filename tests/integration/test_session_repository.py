"""SessionRepository on a real Redis server: TTLs really set, renewed and expired."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from tests.support.server import OWNER_KEY, RedisDb
from tests.support.session_contract import SessionRepositoryContract

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def redis_db() -> Iterator[RedisDb]:
    db = RedisDb()
    yield db
    db.close()


class TestSessionRepositoryOnRedis(SessionRepositoryContract):
    @pytest.fixture
    def client(self, redis_db: RedisDb) -> Iterator[redis.Redis]:
        redis_db.flush()
        client = redis.Redis.from_url(redis_db.url, decode_responses=True)
        yield client
        client.close()


def test_only_session_keys_are_written(redis_db: RedisDb) -> None:
    from app.repositories.redis.sessions import SessionRepository
    from tests.support.session_contract import stream_state

    redis_db.flush()
    client = redis.Redis.from_url(redis_db.url, decode_responses=True)
    repo = SessionRepository(client)
    session = repo.create("user-1", "sid-1")
    repo.attach(session.session_id, "sid-2")
    repo.renew(session.session_id)
    state = stream_state(session.session_id)
    repo.start_stream(state)
    repo.save_position(session.session_id, state.interaction_id, 3, 0, 1, False)
    repo.end_stream(session.session_id, state.interaction_id)
    repo.detach(session.session_id, "sid-2")
    keys = set(client.keys("*")) - {OWNER_KEY}
    assert keys == {f"session:{session.session_id}"}
    client.close()
