"""Single-flight generation: one leader per question hash, steps in a Redis stream
that every instance can follow while the generation is still running."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import redis


@dataclass(frozen=True)
class FeedEntry:
    entry_id: str
    kind: str  # "step" | "done" | "error"
    data: dict[str, Any]


class GenerationFeedRepository:
    """The only code that reads or writes `gen:*` keys."""

    def __init__(self, client: redis.Redis, lock_ttl_s: int, feed_ttl_s: int = 600) -> None:
        self.client = client
        self.lock_ttl_s = lock_ttl_s
        self.feed_ttl_s = feed_ttl_s

    @staticmethod
    def lock_key(question_hash: str) -> str:
        return f"gen:{question_hash}:lock"

    @staticmethod
    def feed_key(question_hash: str) -> str:
        return f"gen:{question_hash}:feed"

    def try_lead(self, question_hash: str, generation_id: str) -> str | None:
        """Become the generator of this hash; else return the running generation's id."""
        key = self.lock_key(question_hash)
        if self.client.set(key, generation_id, nx=True, ex=self.lock_ttl_s):
            self.client.delete(self.feed_key(question_hash))
            return None
        return self.client.get(key) or None

    def current(self, question_hash: str) -> str | None:
        return self.client.get(self.lock_key(question_hash))

    def append(self, question_hash: str, kind: str, data: dict[str, Any]) -> None:
        feed = self.feed_key(question_hash)
        pipe = self.client.pipeline()
        pipe.xadd(feed, {"kind": kind, "data": json.dumps(data, ensure_ascii=False)})
        pipe.expire(feed, self.feed_ttl_s)
        if kind in ("done", "error"):
            # Keep the lock as long as the feed, so a late follower reads this end.
            pipe.expire(self.lock_key(question_hash), self.feed_ttl_s)
        pipe.execute()

    def release(self, question_hash: str) -> None:
        """After a failure, let the next asker try again."""
        self.client.delete(self.lock_key(question_hash))

    def read(
        self, question_hash: str, after_id: str = "-", block_ms: int | None = None
    ) -> list[FeedEntry]:
        """Entries after `after_id`; with `block_ms`, wait that long for one to arrive."""
        key = self.feed_key(question_hash)
        if block_ms is None:
            start = "-" if after_id == "-" else f"({after_id}"
            rows = self.client.xrange(key, min=start, max="+")
        else:
            found = self.client.xread({key: "0-0" if after_id == "-" else after_id}, block=block_ms)
            rows = found[0][1] if found else []
        return [
            FeedEntry(entry_id, fields["kind"], json.loads(fields["data"]))
            for entry_id, fields in rows
        ]
