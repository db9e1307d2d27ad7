"""The behaviour every SessionRepository backend keeps, run on real Redis and on fakeredis.

A test module subclasses `SessionRepositoryContract` and provides the `client`
fixture (a decode_responses Redis client on an empty database).
"""

from __future__ import annotations

import time
import uuid

import pytest
import redis

from app.repositories.redis.sessions import Session, SessionRepository

TTL = 1800


class SessionRepositoryContract:
    @pytest.fixture
    def repo(self, client: redis.Redis) -> SessionRepository:
        return SessionRepository(client)

    def test_default_ttl_is_1800(self, client: redis.Redis) -> None:
        assert SessionRepository(client).ttl_s == TTL

    def test_create_stores_a_hash_with_the_ttl(
        self, repo: SessionRepository, client: redis.Redis
    ) -> None:
        before = time.time()
        session = repo.create_session("user-1", "sid-1")
        assert str(uuid.UUID(session.session_id)) == session.session_id
        assert client.type(f"session:{session.session_id}") == "hash"
        assert TTL - 5 <= client.ttl(f"session:{session.session_id}") <= TTL
        assert repo.ttl(session.session_id) == client.ttl(f"session:{session.session_id}")
        stored = repo.get_session(session.session_id)
        assert stored == Session(session.session_id, "user-1", "sid-1", session.created_at)
        assert before <= stored.created_at <= time.time()

    def test_sessions_have_distinct_ids(self, repo: SessionRepository) -> None:
        ids = {repo.create_session("user-1").session_id for _ in range(20)}
        assert len(ids) == 20

    def test_create_without_sid_reads_back_none(self, repo: SessionRepository) -> None:
        session = repo.create_session("user-1")
        assert repo.get_session(session.session_id).sid is None  # type: ignore[union-attr]

    def test_update_sets_fields_and_renews_the_ttl(
        self, repo: SessionRepository, client: redis.Redis
    ) -> None:
        session = repo.create_session("user-1", "sid-1")
        key = f"session:{session.session_id}"
        client.expire(key, 10)
        assert client.ttl(key) <= 10
        assert repo.update_session(session.session_id, sid="sid-2", active_interaction_id="i-1")
        assert TTL - 5 <= client.ttl(key) <= TTL
        stored = repo.get_session(session.session_id)
        assert stored is not None
        assert (stored.sid, stored.active_interaction_id, stored.user_id) == (
            "sid-2",
            "i-1",
            "user-1",
        )

    def test_update_with_none_clears_a_field(self, repo: SessionRepository) -> None:
        session = repo.create_session("user-1", "sid-1")
        repo.update_session(session.session_id, active_interaction_id="i-1")
        assert repo.update_session(session.session_id, sid=None, active_interaction_id=None)
        stored = repo.get_session(session.session_id)
        assert stored is not None and stored.sid is None and stored.active_interaction_id is None

    def test_update_of_a_missing_session_is_false_and_leaves_no_key(
        self, repo: SessionRepository, client: redis.Redis
    ) -> None:
        missing = str(uuid.uuid4())
        assert repo.update_session(missing, sid="sid-x") is False
        assert client.exists(f"session:{missing}") == 0
        assert repo.get_session(missing) is None

    def test_renew_ttl_resets_a_lowered_ttl(
        self, repo: SessionRepository, client: redis.Redis
    ) -> None:
        session = repo.create_session("user-1")
        key = f"session:{session.session_id}"
        client.expire(key, 7)
        assert repo.renew_ttl(session.session_id) is True
        assert TTL - 5 <= client.ttl(key) <= TTL

    def test_renew_ttl_of_a_missing_session_is_false(
        self, repo: SessionRepository, client: redis.Redis
    ) -> None:
        missing = str(uuid.uuid4())
        assert repo.renew_ttl(missing) is False
        assert client.exists(f"session:{missing}") == 0

    def test_expired_session_is_none_and_cannot_be_revived(
        self, repo: SessionRepository, client: redis.Redis
    ) -> None:
        session = repo.create_session("user-1", "sid-1")
        client.pexpire(f"session:{session.session_id}", 30)
        time.sleep(0.1)
        assert repo.get_session(session.session_id) is None
        assert repo.update_session(session.session_id, sid="sid-2") is False
        assert repo.renew_ttl(session.session_id) is False
        assert repo.get_session(session.session_id) is None

    def test_custom_ttl(self, client: redis.Redis) -> None:
        repo = SessionRepository(client, ttl_s=5)
        session = repo.create_session("user-1")
        assert 1 <= client.ttl(f"session:{session.session_id}") <= 5
        client.expire(f"session:{session.session_id}", 1)
        repo.update_session(session.session_id, sid="s")
        assert 2 <= client.ttl(f"session:{session.session_id}") <= 5

    def test_a_hash_without_user_id_is_not_a_session(
        self, repo: SessionRepository, client: redis.Redis
    ) -> None:
        client.hset("session:broken", mapping={"sid": "x"})
        assert repo.get_session("broken") is None

    def test_delete(self, repo: SessionRepository, client: redis.Redis) -> None:
        session = repo.create_session("user-1")
        repo.delete(session.session_id)
        assert client.exists(f"session:{session.session_id}") == 0
        assert repo.get_session(session.session_id) is None

    def test_sessions_of_two_users_are_separate(self, repo: SessionRepository) -> None:
        a = repo.create_session("user-a", "sid-a")
        b = repo.create_session("user-b", "sid-b")
        repo.update_session(a.session_id, sid="sid-a2")
        assert repo.get_session(b.session_id).sid == "sid-b"  # type: ignore[union-attr]
        assert repo.get_session(a.session_id).user_id == "user-a"  # type: ignore[union-attr]
