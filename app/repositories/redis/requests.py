"""`request_id` idempotency: the first interaction of a request id, kept 24 h."""

from __future__ import annotations

import redis

REQUEST_TTL_S = 24 * 3600


class RequestRepository:
    """The only code that reads or writes `request:*` keys."""

    def __init__(self, client: redis.Redis, ttl_s: int = REQUEST_TTL_S) -> None:
        self.client = client
        self.ttl_s = ttl_s

    @staticmethod
    def key(user_id: str, request_id: str) -> str:
        return f"request:{user_id}:{request_id}"

    def claim(self, user_id: str, request_id: str, interaction_id: str) -> str | None:
        """Claim the id for this interaction; return the earlier interaction if taken."""
        key = self.key(user_id, request_id)
        if self.client.set(key, interaction_id, nx=True, ex=self.ttl_s):
            return None
        return self.client.get(key) or None

    def release(self, user_id: str, request_id: str, interaction_id: str) -> None:
        """Forget a claim whose request was refused, so a retry is a new request."""
        key = self.key(user_id, request_id)
        if self.client.get(key) == interaction_id:
            self.client.delete(key)
