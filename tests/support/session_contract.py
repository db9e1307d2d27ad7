"""The behaviour every SessionRepository backend keeps, run on real Redis and on fakeredis.

A test module subclasses `SessionRepositoryContract` and provides the `client`
fixture (a decode_responses Redis client on an empty database).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import replace

import pytest
import redis

from app.domain.records import StreamState
from app.repositories.redis.sessions import Session, SessionRepository

TTL = 1800


def key(session_id: str) -> str:
    return f"session:{session_id}"


def stream_state(session_id: str, **fields: object) -> StreamState:
    state = StreamState(
        interaction_id=str(uuid.uuid4()),
        user_id="user-1",
        session_id=session_id,
        question="¿Cuál es la derivada de x²? «ñ»",
        question_hash="h" * 64,
        source="cache",
        answer_id=str(uuid.uuid4()),
        credits_charged=1,
        credits_remaining=9,
    )
    return replace(state, **fields)  # type: ignore[arg-type]


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
        session = repo.create("user-1", "sid-1")
        assert str(uuid.UUID(session.session_id)) == session.session_id
        assert client.type(key(session.session_id)) == "hash"
        assert TTL - 5 <= client.ttl(key(session.session_id)) <= TTL
        assert repo.ttl(session.session_id) == client.ttl(key(session.session_id))
        stored = repo.get(session.session_id)
        assert stored == Session(session.session_id, "user-1", "sid-1", session.created_at)
        assert stored is not None and stored.active is None
        assert before <= stored.created_at <= time.time()

    def test_sessions_have_distinct_ids(self, repo: SessionRepository) -> None:
        ids = {repo.create("user-1").session_id for _ in range(20)}
        assert len(ids) == 20

    def test_create_without_sid_reads_back_none(self, repo: SessionRepository) -> None:
        session = repo.create("user-1")
        assert repo.get(session.session_id).sid is None  # type: ignore[union-attr]

    def test_attach_sets_the_sid_and_renews_the_ttl(
        self, repo: SessionRepository, client: redis.Redis
    ) -> None:
        session = repo.create("user-1", "sid-1")
        client.expire(key(session.session_id), 10)
        assert client.ttl(key(session.session_id)) <= 10
        assert repo.attach(session.session_id, "sid-2") is True
        assert TTL - 5 <= client.ttl(key(session.session_id)) <= TTL
        stored = repo.get(session.session_id)
        assert stored is not None
        assert (stored.sid, stored.user_id, stored.created_at) == (
            "sid-2",
            "user-1",
            session.created_at,
        )

    def test_detach_clears_the_sid_only_if_it_is_that_socket(
        self, repo: SessionRepository, client: redis.Redis
    ) -> None:
        session = repo.create("user-1", "sid-1")
        repo.attach(session.session_id, "sid-2")  # another socket took the session over
        before = client.hgetall(key(session.session_id))
        repo.detach(session.session_id, "sid-1")  # the old socket's late disconnect
        assert client.hgetall(key(session.session_id)) == before
        repo.detach(session.session_id, "sid-2")
        stored = repo.get(session.session_id)
        assert stored is not None and stored.sid is None and stored.user_id == "user-1"
        assert TTL - 5 <= client.ttl(key(session.session_id)) <= TTL  # it lives on

    def test_writes_to_a_missing_session_are_false_and_leave_no_key(
        self, repo: SessionRepository, client: redis.Redis
    ) -> None:
        missing = str(uuid.uuid4())
        state = stream_state(missing)
        assert repo.attach(missing, "sid-x") is False
        assert repo.start_stream(state) is False
        assert repo.save_position(missing, state.interaction_id, 3, 0, 1, True) is False
        assert repo.end_stream(missing, state.interaction_id) is False
        repo.detach(missing, "sid-x")
        assert client.exists(key(missing)) == 0
        assert repo.get(missing) is None

    def test_renew_resets_a_lowered_ttl(self, repo: SessionRepository, client: redis.Redis) -> None:
        session = repo.create("user-1")
        client.expire(key(session.session_id), 7)
        assert repo.renew(session.session_id) is True
        assert TTL - 5 <= client.ttl(key(session.session_id)) <= TTL

    def test_renew_of_a_missing_session_is_false(
        self, repo: SessionRepository, client: redis.Redis
    ) -> None:
        missing = str(uuid.uuid4())
        assert repo.renew(missing) is False
        assert client.exists(key(missing)) == 0

    def test_expired_session_is_none_and_cannot_be_revived(
        self, repo: SessionRepository, client: redis.Redis
    ) -> None:
        session = repo.create("user-1", "sid-1")
        state = stream_state(session.session_id)
        assert repo.start_stream(state)
        client.pexpire(key(session.session_id), 30)
        time.sleep(0.1)
        assert repo.get(session.session_id) is None
        # No write of any kind brings it back.
        assert repo.attach(session.session_id, "sid-2") is False
        assert repo.renew(session.session_id) is False
        assert repo.start_stream(stream_state(session.session_id)) is False
        assert repo.save_position(session.session_id, state.interaction_id, 5, 0, 2, True) is False
        assert repo.end_stream(session.session_id, state.interaction_id) is False
        repo.detach(session.session_id, "sid-1")
        assert client.exists(key(session.session_id)) == 0
        assert repo.get(session.session_id) is None

    def test_custom_ttl(self, client: redis.Redis) -> None:
        repo = SessionRepository(client, ttl_s=5)
        session = repo.create("user-1")
        assert 1 <= client.ttl(key(session.session_id)) <= 5
        client.expire(key(session.session_id), 1)
        repo.attach(session.session_id, "s")
        assert 2 <= client.ttl(key(session.session_id)) <= 5
        client.expire(key(session.session_id), 1)
        repo.start_stream(stream_state(session.session_id))
        assert 2 <= client.ttl(key(session.session_id)) <= 5

    def test_a_hash_without_user_id_is_not_a_session(
        self, repo: SessionRepository, client: redis.Redis
    ) -> None:
        client.hset("session:broken", mapping={"sid": "x"})
        assert repo.get("broken") is None

    def test_delete(self, repo: SessionRepository, client: redis.Redis) -> None:
        session = repo.create("user-1")
        repo.start_stream(stream_state(session.session_id))
        repo.delete(session.session_id)
        assert client.exists(key(session.session_id)) == 0
        assert repo.get(session.session_id) is None

    def test_sessions_of_two_users_are_separate(self, repo: SessionRepository) -> None:
        a = repo.create("user-a", "sid-a")
        b = repo.create("user-b", "sid-b")
        repo.attach(a.session_id, "sid-a2")
        repo.start_stream(stream_state(a.session_id, user_id="user-a"))
        stored_b = repo.get(b.session_id)
        assert stored_b is not None and stored_b.sid == "sid-b" and stored_b.active is None
        assert repo.get(a.session_id).user_id == "user-a"  # type: ignore[union-attr]

    # -- the active explanation -----------------------------------------------------

    def test_start_stream_stores_the_state_and_renews_the_ttl(
        self, repo: SessionRepository, client: redis.Redis
    ) -> None:
        session = repo.create("user-1", "sid-1")
        client.expire(key(session.session_id), 10)
        state = stream_state(session.session_id, next_seq=4, step_index=0, chunk_index=2)
        assert repo.start_stream(state) is True
        assert TTL - 5 <= client.ttl(key(session.session_id)) <= TTL
        stored = repo.get(session.session_id)
        assert stored is not None and stored.active == state
        assert (stored.user_id, stored.sid) == ("user-1", "sid-1")  # the session is kept
        # Every field reads back with its type (a generated answer has no answer_id).
        generated = stream_state(session.session_id, source="generated", answer_id="", paused=True)
        repo.start_stream(generated)
        assert repo.get(session.session_id).active == generated  # type: ignore[union-attr]

    def test_start_stream_replaces_the_active_one(self, repo: SessionRepository) -> None:
        session = repo.create("user-1", "sid-1")
        old = stream_state(session.session_id)
        repo.start_stream(old)
        repo.save_position(session.session_id, old.interaction_id, 30, 2, 5, True)
        new = stream_state(session.session_id, question="otra", credits_remaining=8)
        assert repo.start_stream(new) is True
        stored = repo.get(session.session_id)
        assert stored is not None and stored.active == new  # its own position, not the old one
        assert (new.next_seq, new.step_index, new.chunk_index, new.paused) == (0, -1, -1, False)
        # The replaced one can no longer write or end anything.
        assert repo.save_position(session.session_id, old.interaction_id, 31, 2, 6, False) is False
        assert repo.end_stream(session.session_id, old.interaction_id) is False
        assert repo.get(session.session_id).active == new  # type: ignore[union-attr]

    def test_save_position_of_the_active_interaction(
        self, repo: SessionRepository, client: redis.Redis
    ) -> None:
        session = repo.create("user-1", "sid-1")
        state = stream_state(session.session_id)
        repo.start_stream(state)
        client.expire(key(session.session_id), 10)
        assert repo.save_position(session.session_id, state.interaction_id, 17, 1, 3, True)
        assert TTL - 5 <= client.ttl(key(session.session_id)) <= TTL
        stored = repo.get(session.session_id)
        expected = replace(state, next_seq=17, step_index=1, chunk_index=3, paused=True)
        assert stored is not None and stored.active == expected
        assert repo.save_position(session.session_id, state.interaction_id, 18, 1, -1, False)
        active = repo.get(session.session_id).active  # type: ignore[union-attr]
        assert active == replace(expected, next_seq=18, chunk_index=-1, paused=False)

    def test_a_position_for_a_non_active_interaction_changes_nothing(
        self, repo: SessionRepository, client: redis.Redis
    ) -> None:
        session = repo.create("user-1", "sid-1")
        # No active explanation at all: nothing is written.
        before = client.hgetall(key(session.session_id))
        assert repo.save_position(session.session_id, str(uuid.uuid4()), 3, 0, 1, True) is False
        assert client.hgetall(key(session.session_id)) == before
        assert repo.get(session.session_id).active is None  # type: ignore[union-attr]
        # Another interaction is active: it keeps its position, the TTL is not renewed.
        state = stream_state(session.session_id, next_seq=5, step_index=0, chunk_index=1)
        repo.start_stream(state)
        client.expire(key(session.session_id), 10)
        before = client.hgetall(key(session.session_id))
        assert repo.save_position(session.session_id, str(uuid.uuid4()), 40, 3, 7, True) is False
        assert client.hgetall(key(session.session_id)) == before
        assert client.ttl(key(session.session_id)) <= 10
        assert repo.get(session.session_id).active == state  # type: ignore[union-attr]

    def test_end_stream_forgets_only_the_active_interaction(
        self, repo: SessionRepository, client: redis.Redis
    ) -> None:
        session = repo.create("user-1", "sid-1")
        state = stream_state(session.session_id)
        repo.start_stream(state)
        before = client.hgetall(key(session.session_id))
        assert repo.end_stream(session.session_id, str(uuid.uuid4())) is False
        assert client.hgetall(key(session.session_id)) == before
        assert repo.get(session.session_id).active == state  # type: ignore[union-attr]
        assert repo.end_stream(session.session_id, state.interaction_id) is True
        stored = repo.get(session.session_id)
        assert stored is not None and stored.active is None
        assert (stored.user_id, stored.sid, stored.created_at) == (
            "user-1",
            "sid-1",
            session.created_at,
        )
        assert set(client.hgetall(key(session.session_id))) == {"user_id", "sid", "created_at"}
        assert repo.end_stream(session.session_id, state.interaction_id) is False

    def test_a_late_position_never_revives_an_ended_stream(self, repo: SessionRepository) -> None:
        session = repo.create("user-1", "sid-1")
        state = stream_state(session.session_id)
        repo.start_stream(state)
        repo.end_stream(session.session_id, state.interaction_id)
        assert repo.save_position(session.session_id, state.interaction_id, 9, 0, 4, True) is False
        assert repo.get(session.session_id).active is None  # type: ignore[union-attr]

    def test_save_positions_writes_many_and_only_active_ones(self, repo: SessionRepository) -> None:
        sessions = [repo.create(f"user-{i}", f"sid-{i}") for i in range(3)]
        states = [stream_state(s.session_id) for s in sessions]
        for state in states[:2]:
            repo.start_stream(state)
        repo.save_positions(
            [(s.session_id, s.interaction_id, 7 + i, 1, i, True) for i, s in enumerate(states)]
        )
        for i, state in enumerate(states[:2]):
            active = repo.get(state.session_id).active  # type: ignore[union-attr]
            assert active == replace(
                state, next_seq=7 + i, step_index=1, chunk_index=i, paused=True
            )
        assert repo.get(states[2].session_id).active is None  # type: ignore[union-attr]
        repo.save_positions([])
