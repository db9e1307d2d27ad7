"""Where an explanation stands, kept in Redis so any instance can resume it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import redis


@dataclass
class StreamState:
    """Position and identity of one interaction's stream (`stream:{interaction_id}`)."""

    interaction_id: str
    user_id: str
    session_id: str
    question: str
    question_hash: str
    source: str  # "cache" | "generated"
    answer_id: str = ""  # set for cached answers; generated ones follow the feed
    credits_charged: int = 0
    credits_remaining: int = 0
    next_seq: int = 0
    step_index: int = -1
    chunk_index: int = -1
    paused: bool = False
    done: bool = False

    def to_redis(self) -> dict[str, str]:
        return {k: str(int(v)) if isinstance(v, bool) else str(v) for k, v in asdict(self).items()}

    @classmethod
    def from_redis(cls, data: dict[str, str]) -> StreamState:
        kwargs: dict[str, object] = {}
        for f in fields(cls):
            if f.name not in data:
                continue
            raw = data[f.name]
            if f.type == "int":
                kwargs[f.name] = int(raw)
            elif f.type == "bool":
                kwargs[f.name] = raw == "1"
            else:
                kwargs[f.name] = raw
        return cls(**kwargs)  # type: ignore[arg-type]


class StreamStateRepository:
    """The only code that reads or writes `stream:*` keys."""

    def __init__(self, client: redis.Redis, ttl_s: int = 1800) -> None:
        self.client = client
        self.ttl_s = ttl_s

    @staticmethod
    def key(interaction_id: str) -> str:
        return f"stream:{interaction_id}"

    def save(self, state: StreamState) -> None:
        pipe = self.client.pipeline()
        pipe.hset(self.key(state.interaction_id), mapping=state.to_redis())
        pipe.expire(self.key(state.interaction_id), self.ttl_s)
        pipe.execute()

    def get(self, interaction_id: str) -> StreamState | None:
        data = self.client.hgetall(self.key(interaction_id))
        return StreamState.from_redis(data) if data else None

    def save_position(
        self, interaction_id: str, next_seq: int, step_index: int, chunk_index: int, paused: bool
    ) -> None:
        """Record the position; only for an interaction that still has state."""
        key = self.key(interaction_id)
        if not self.client.exists(key):
            return
        pipe = self.client.pipeline()
        pipe.hset(
            key,
            mapping={
                "next_seq": next_seq,
                "step_index": step_index,
                "chunk_index": chunk_index,
                "paused": int(paused),
            },
        )
        pipe.expire(key, self.ttl_s)
        pipe.execute()

    def delete(self, interaction_id: str) -> None:
        self.client.delete(self.key(interaction_id))
