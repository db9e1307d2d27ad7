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

    redis_db.flush()
    client = redis.Redis.from_url(redis_db.url, decode_responses=True)
    repo = SessionRepository(client)
    session = repo.create_session("user-1", "sid-1")
    repo.update_session(session.session_id, sid="sid-2")
    repo.renew_ttl(session.session_id)
    keys = set(client.keys("*")) - {OWNER_KEY}
    assert keys == {f"session:{session.session_id}"}
    client.close()
