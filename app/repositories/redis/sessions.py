"""Socket sessions in Redis: `session:{session_id}` hashes with a sliding TTL."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import redis


@dataclass(frozen=True)
class Session:
    session_id: str
    user_id: str
    sid: str | None
    created_at: float
    active_interaction_id: str | None = None


class SessionRepository:
    """The only code that reads or writes session keys."""

    def __init__(self, client: redis.Redis, ttl_s: int = 1800) -> None:
        self.client = client
        self.ttl_s = ttl_s

    @staticmethod
    def key(session_id: str) -> str:
        return f"session:{session_id}"

    def create_session(self, user_id: str, sid: str | None = None) -> Session:
        session = Session(str(uuid.uuid4()), user_id, sid, time.time())
        mapping = {"user_id": user_id, "created_at": session.created_at, "sid": sid or ""}
        pipe = self.client.pipeline()
        pipe.hset(self.key(session.session_id), mapping=mapping)
        pipe.expire(self.key(session.session_id), self.ttl_s)
        pipe.execute()
        return session

    def get_session(self, session_id: str) -> Session | None:
        data = self.client.hgetall(self.key(session_id))
        if not data or "user_id" not in data:
            return None
        return Session(
            session_id=session_id,
            user_id=data["user_id"],
            sid=data.get("sid") or None,
            created_at=float(data.get("created_at", 0)),
            active_interaction_id=data.get("active_interaction_id") or None,
        )

    def update_session(self, session_id: str, **fields: str | None) -> bool:
        """Set fields on a live session and renew its TTL; False if it expired."""
        key = self.key(session_id)
        mapping = {k: "" if v is None else v for k, v in fields.items()}
        pipe = self.client.pipeline()
        pipe.exists(key)
        pipe.hset(key, mapping=mapping)
        pipe.expire(key, self.ttl_s)
        exists, *_ = pipe.execute()
        if not exists:
            self.client.delete(key)
            return False
        return True

    def renew_ttl(self, session_id: str) -> bool:
        return bool(self.client.expire(self.key(session_id), self.ttl_s))

    def delete(self, session_id: str) -> None:
        self.client.delete(self.key(session_id))

    def ttl(self, session_id: str) -> int:
        return int(self.client.ttl(self.key(session_id)))
