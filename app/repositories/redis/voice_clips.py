"""Voice clips while they are being uploaded: temporary, in Redis, with a TTL.

`voice:{voice_id}` is a hash with the clip's owner and progress;
`voice:{voice_id}:chunks` is the list of its chunks (canonical base64, since the
shared client decodes responses). Both expire together at a deadline fixed at
`voice_start`, so an abandoned clip never outlives it, and every end of a clip
(completed, invalid, too large) deletes both at once.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import redis

DEFAULT_CLIP_TTL_S = 300


@dataclass(frozen=True)
class ClipMeta:
    """Who owns a clip in progress and how far its upload got."""

    voice_id: str
    user_id: str
    session_id: str
    format: str
    language: str
    context: dict[str, Any] = field(default_factory=dict)
    next_seq: int = 0
    bytes: int = 0


@dataclass(frozen=True)
class AppendResult:
    """Outcome of one chunk: ok, repeat (ignored), gap, too_large or missing."""

    status: str
    received_bytes: int = 0
    next_seq: int = 0


@dataclass(frozen=True)
class TakenClip:
    """A clip removed from Redis for completion: its meta and its audio."""

    meta: ClipMeta
    audio: bytes
    chunks: int


class VoiceClipRepository:
    """The only code that reads or writes `voice:*` keys."""

    def __init__(self, client: redis.Redis, ttl_s: int = DEFAULT_CLIP_TTL_S) -> None:
        self.client = client
        self.ttl_s = ttl_s

    @staticmethod
    def meta_key(voice_id: str) -> str:
        return f"voice:{voice_id}"

    @staticmethod
    def chunks_key(voice_id: str) -> str:
        return f"voice:{voice_id}:chunks"

    def create(
        self,
        user_id: str,
        session_id: str,
        fmt: str,
        language: str,
        context: dict[str, Any] | None,
    ) -> str:
        voice_id = str(uuid.uuid4())
        key = self.meta_key(voice_id)
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(
            key,
            mapping={
                "user_id": user_id,
                "session_id": session_id,
                "format": fmt,
                "language": language,
                "context": json.dumps(context or {}),
                "next_seq": 0,
                "bytes": 0,
            },
        )
        pipe.expire(key, self.ttl_s)
        pipe.execute()
        return voice_id

    def get(self, voice_id: str) -> ClipMeta | None:
        return self._meta(voice_id, self.client.hgetall(self.meta_key(voice_id)))

    def append(self, voice_id: str, seq: int, chunk: bytes, max_bytes: int) -> AppendResult:
        """Add chunk `seq` atomically: contiguous from 0, repeats ignored, size bounded.

        A chunk that would pass `max_bytes` deletes the clip (`too_large`).
        """
        meta_key, chunks_key = self.meta_key(voice_id), self.chunks_key(voice_id)
        encoded = base64.b64encode(chunk).decode("ascii")
        with self.client.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(meta_key)
                    raw = pipe.hgetall(meta_key)
                    if not raw:
                        pipe.unwatch()
                        return AppendResult("missing")
                    next_seq, total = int(raw["next_seq"]), int(raw["bytes"])
                    if seq < next_seq:
                        pipe.unwatch()
                        return AppendResult("repeat", total, next_seq)
                    if seq > next_seq:
                        pipe.unwatch()
                        return AppendResult("gap", total, next_seq)
                    new_total = total + len(chunk)
                    remaining_ms = pipe.pttl(meta_key)
                    pipe.multi()
                    if new_total > max_bytes:
                        pipe.delete(meta_key, chunks_key)
                        pipe.execute()
                        return AppendResult("too_large", new_total, next_seq)
                    pipe.rpush(chunks_key, encoded)
                    pipe.hset(meta_key, mapping={"next_seq": seq + 1, "bytes": new_total})
                    if isinstance(remaining_ms, int) and remaining_ms > 0:
                        pipe.pexpire(chunks_key, remaining_ms)
                    else:
                        pipe.expire(chunks_key, self.ttl_s)
                    pipe.execute()
                    return AppendResult("ok", new_total, seq + 1)
                except redis.WatchError:
                    continue

    def take(self, voice_id: str) -> TakenClip | None:
        """Remove the clip and return it, once: a concurrent second take gets None."""
        meta_key, chunks_key = self.meta_key(voice_id), self.chunks_key(voice_id)
        pipe = self.client.pipeline(transaction=True)
        pipe.hgetall(meta_key)
        pipe.lrange(chunks_key, 0, -1)
        pipe.delete(meta_key, chunks_key)
        raw, chunks, deleted = pipe.execute()
        meta = self._meta(voice_id, raw)
        if meta is None or not deleted:
            return None
        audio = b"".join(base64.b64decode(c) for c in chunks)
        return TakenClip(meta, audio, len(chunks))

    def delete(self, voice_id: str) -> None:
        self.client.delete(self.meta_key(voice_id), self.chunks_key(voice_id))

    def exists(self, voice_id: str) -> bool:
        return bool(self.client.exists(self.meta_key(voice_id), self.chunks_key(voice_id)))

    @staticmethod
    def _meta(voice_id: str, raw: dict[str, str]) -> ClipMeta | None:
        if not raw or "user_id" not in raw:
            return None
        try:
            context = json.loads(raw.get("context") or "{}")
        except ValueError:
            context = {}
        return ClipMeta(
            voice_id=voice_id,
            user_id=raw["user_id"],
            session_id=raw.get("session_id", ""),
            format=raw.get("format", ""),
            language=raw.get("language", "es"),
            context=context if isinstance(context, dict) else {},
            next_seq=int(raw.get("next_seq", 0)),
            bytes=int(raw.get("bytes", 0)),
        )
