"""Socket sessions in Redis, with the position of their active explanation.

`session:{session_id}` is one hash with a sliding TTL: the owner (`user_id`), the
socket holding it (`sid`), and, while an explanation is active, its identity
(`active_id`, `active` as JSON) and position (`next_seq`, `step_index`,
`chunk_index`, `paused`). One key per session means one round trip for every
write, and a position can only be written for the interaction that is active
(checked in the same script), so a late write never revives an ended one.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass

import redis

from app.domain.records import StreamState

_POSITION = ("next_seq", "step_index", "chunk_index", "paused")
POSITIONS_PER_TRIP = 500
_IDENTITY = ("interaction_id", "user_id", "question", "question_hash", "source", "answer_id")

# KEYS[1] session; ARGV[1] ttl, ARGV[2..] field/value pairs. Only a live session.
_SET_IF_LIVE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
"""
# KEYS[1] session; ARGV[1] interaction id, ARGV[2] ttl, ARGV[3..] pairs. Only the active one.
_SET_IF_ACTIVE = """
if redis.call('HGET', KEYS[1], 'active_id') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""
_END_IF_ACTIVE = """
if redis.call('HGET', KEYS[1], 'active_id') ~= ARGV[1] then return 0 end
redis.call('HDEL', KEYS[1], 'active_id', 'active', 'next_seq', 'step_index', 'chunk_index',
  'paused')
return 1
"""
_CLEAR_SID_IF = """
if redis.call('HGET', KEYS[1], 'sid') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'sid', '')
return 1
"""


@dataclass(frozen=True)
class Session:
    session_id: str
    user_id: str
    sid: str | None
    created_at: float
    active: StreamState | None = None


class SessionRepository:
    """The only code that reads or writes session keys."""

    def __init__(self, client: redis.Redis, ttl_s: int = 1800) -> None:
        self.client = client
        self.ttl_s = ttl_s
        self._set_if_live = client.register_script(_SET_IF_LIVE)
        self._set_if_active = client.register_script(_SET_IF_ACTIVE)
        self._end_if_active = client.register_script(_END_IF_ACTIVE)
        self._clear_sid_if = client.register_script(_CLEAR_SID_IF)

    @staticmethod
    def key(session_id: str) -> str:
        return f"session:{session_id}"

    def create(self, user_id: str, sid: str | None = None) -> Session:
        session = Session(str(uuid.uuid4()), user_id, sid, time.time())
        mapping = {"user_id": user_id, "created_at": session.created_at, "sid": sid or ""}
        pipe = self.client.pipeline()
        pipe.hset(self.key(session.session_id), mapping=mapping)
        pipe.expire(self.key(session.session_id), self.ttl_s)
        pipe.execute()
        return session

    def get(self, session_id: str) -> Session | None:
        data = self.client.hgetall(self.key(session_id))
        if not data or "user_id" not in data:
            return None
        return Session(
            session_id=session_id,
            user_id=data["user_id"],
            sid=data.get("sid") or None,
            created_at=float(data.get("created_at", 0)),
            active=_active(session_id, data),
        )

    def attach(self, session_id: str, sid: str) -> bool:
        """Record the socket holding a live session and renew it; False if it expired."""
        return self._set(session_id, {"sid": sid})

    def detach(self, session_id: str, sid: str) -> None:
        """Forget the socket, if it still is this one; the session lives until its TTL."""
        self._clear_sid_if(keys=[self.key(session_id)], args=[sid])

    def renew(self, session_id: str) -> bool:
        return bool(self.client.expire(self.key(session_id), self.ttl_s))

    def start_stream(self, state: StreamState) -> bool:
        """Make `state` the session's active explanation (replacing any other)."""
        identity = {k: getattr(state, k) for k in _IDENTITY}
        identity["credits"] = [state.credits_charged, state.credits_remaining]
        fields = {"active_id": state.interaction_id, "active": json.dumps(identity)}
        fields.update(_position(state.next_seq, state.step_index, state.chunk_index, state.paused))
        return self._set(state.session_id, fields)

    def save_position(
        self,
        session_id: str,
        interaction_id: str,
        next_seq: int,
        step_index: int,
        chunk_index: int,
        paused: bool,
    ) -> bool:
        """Record where the active explanation stands; False if it is not the active one."""
        pairs = _pairs(_position(next_seq, step_index, chunk_index, paused))
        result = self._set_if_active(
            keys=[self.key(session_id)], args=[interaction_id, self.ttl_s, *pairs]
        )
        return bool(result)

    def save_positions(self, positions: list[tuple[str, str, int, int, int, bool]]) -> None:
        """`save_position` for many sessions at once, pipelined (one round trip per
        `POSITIONS_PER_TRIP`, plus redis-py's check that the script is loaded): a
        shutdown records every live stream within its budget. One position is one
        plain call, so one round trip."""
        if len(positions) == 1:
            self.save_position(*positions[0])
            return
        for start in range(0, len(positions), POSITIONS_PER_TRIP):
            pipe = self.client.pipeline(transaction=False)
            for session_id, interaction_id, *position in positions[
                start : start + POSITIONS_PER_TRIP
            ]:
                pairs = _pairs(_position(*position))  # type: ignore[arg-type]
                self._set_if_active(
                    keys=[self.key(session_id)],
                    args=[interaction_id, self.ttl_s, *pairs],
                    client=pipe,
                )
            pipe.execute()

    def end_stream(self, session_id: str, interaction_id: str) -> bool:
        """Forget the active explanation if it is this one."""
        return bool(self._end_if_active(keys=[self.key(session_id)], args=[interaction_id]))

    def delete(self, session_id: str) -> None:
        self.client.delete(self.key(session_id))

    def ttl(self, session_id: str) -> int:
        return int(self.client.ttl(self.key(session_id)))

    def _set(self, session_id: str, fields: dict[str, object]) -> bool:
        result = self._set_if_live(keys=[self.key(session_id)], args=[self.ttl_s, *_pairs(fields)])
        return bool(result)


def _position(next_seq: int, step_index: int, chunk_index: int, paused: bool) -> dict[str, int]:
    return dict(zip(_POSITION, (next_seq, step_index, chunk_index, int(paused)), strict=True))


def _pairs(fields: dict[str, object]) -> list[object]:
    return [item for pair in fields.items() for item in pair]


def _active(session_id: str, data: dict[str, str]) -> StreamState | None:
    if not data.get("active_id") or "active" not in data:
        return None
    identity = json.loads(data["active"])
    charged, remaining = identity.pop("credits")
    return StreamState(
        session_id=session_id,
        credits_charged=int(charged),
        credits_remaining=int(remaining),
        next_seq=int(data.get("next_seq", 0)),
        step_index=int(data.get("step_index", -1)),
        chunk_index=int(data.get("chunk_index", -1)),
        paused=data.get("paused") == "1",
        **identity,
    )
