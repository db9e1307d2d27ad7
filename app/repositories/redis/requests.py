"""`request_id` idempotency: the first interaction of a request id, kept 24 h.

A claim whose write failed (Redis hung or cut the connection) is *in doubt*: Redis
may still apply it (a frozen server runs the queued command once it thaws), which
would leave the request id naming an interaction that never existed, and the
client's retry would be answered as a repeat with nothing streamed. Such claims
are remembered here; a later claim that finds one of them takes it over.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import redis

REQUEST_TTL_S = 24 * 3600
MAX_IN_DOUBT = 10_000

# Delete the key only while it still names the given interaction.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RequestRepository:
    """The only code that reads or writes `request:*` keys."""

    def __init__(self, client: redis.Redis, ttl_s: int = REQUEST_TTL_S) -> None:
        self.client = client
        self.ttl_s = ttl_s
        self._release = client.register_script(_RELEASE)
        self._in_doubt: OrderedDict[str, str] = OrderedDict()  # key → interaction id
        self._lock = threading.Lock()

    @staticmethod
    def key(user_id: str, request_id: str) -> str:
        return f"request:{user_id}:{request_id}"

    def claim(self, user_id: str, request_id: str, interaction_id: str) -> str | None:
        """Claim the id for this interaction; return the earlier interaction if taken."""
        key = self.key(user_id, request_id)
        for _attempt in range(2):
            try:
                if self.client.set(key, interaction_id, nx=True, ex=self.ttl_s):
                    return None
            except redis.RedisError:
                self._doubt(key, interaction_id)
                raise
            earlier = self.client.get(key) or None
            if earlier is None or not self._was_in_doubt(key, earlier):
                return earlier
            self._release(keys=[key], args=[earlier])  # a claim that never became a request
        return self.client.get(key) or None

    def release(self, user_id: str, request_id: str, interaction_id: str) -> None:
        """Forget a claim whose request was refused, so a retry is a new request."""
        self._release(keys=[self.key(user_id, request_id)], args=[interaction_id])

    def _doubt(self, key: str, interaction_id: str) -> None:
        with self._lock:
            self._in_doubt[key] = interaction_id
            while len(self._in_doubt) > MAX_IN_DOUBT:
                self._in_doubt.popitem(last=False)

    def _was_in_doubt(self, key: str, interaction_id: str) -> bool:
        with self._lock:
            if self._in_doubt.get(key) != interaction_id:
                return False
            del self._in_doubt[key]
            return True
