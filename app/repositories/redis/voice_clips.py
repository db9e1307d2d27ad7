"""Voice clips while they are being uploaded: temporary, in Redis, with a TTL.

`voice:{voice_id}` is a hash with the clip's owner and progress;
`voice:{voice_id}:chunks` is the list of its chunks (canonical base64, since the
shared client decodes responses). Both expire together at a deadline fixed at
`voice_start`, so an abandoned clip never outlives it, and every end of a clip
(completed, invalid, too large, its socket gone) deletes both at once.

`voice_open:user:{user_id}` and `voice_open:session:{session_id}` index the open
clips, so one user or session can hold only so many, and only so many bytes
(`voice_scripts.py`: every change is one atomic script).
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import redis

from app.repositories.redis import voice_scripts

DEFAULT_CLIP_TTL_S = 300


class TooManyOpenClips(Exception):
    """The user (`scope="user"`) or session already holds its cap of open clips."""

    def __init__(self, scope: str, retry_after_s: int) -> None:
        super().__init__(scope)
        self.scope = scope
        self.retry_after_s = retry_after_s


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
    sid: str = ""  # the socket that opened it


@dataclass(frozen=True)
class AppendResult:
    """Outcome of one chunk: ok, repeat (ignored), gap, too_large, user_bytes (the owner's
    open clips would pass their byte cap; the clip is deleted) or missing."""

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
    """The only code that reads or writes `voice:*` and `voice_open:*` keys."""

    def __init__(self, client: redis.Redis, ttl_s: int = DEFAULT_CLIP_TTL_S) -> None:
        self.client = client
        self.ttl_s = ttl_s
        self._create = client.register_script(voice_scripts.CREATE)
        self._append = client.register_script(voice_scripts.APPEND)
        self._take = client.register_script(voice_scripts.TAKE)
        self._drop = client.register_script(voice_scripts.DROP)
        self._drop_socket = client.register_script(voice_scripts.DROP_SOCKET)

    @staticmethod
    def meta_key(voice_id: str) -> str:
        return f"voice:{voice_id}"

    @staticmethod
    def chunks_key(voice_id: str) -> str:
        return f"voice:{voice_id}:chunks"

    @staticmethod
    def user_index_key(user_id: str) -> str:
        return f"voice_open:user:{user_id}"

    @staticmethod
    def session_index_key(session_id: str) -> str:
        return f"voice_open:session:{session_id}"

    def create(
        self,
        user_id: str,
        session_id: str,
        fmt: str,
        language: str,
        context: dict[str, Any] | None,
        *,
        sid: str = "",
        max_open_user: int = 0,
        max_open_session: int = 0,
    ) -> str:
        """Open a clip; raises `TooManyOpenClips` when a cap (0: none) is reached."""
        voice_id = str(uuid.uuid4())
        fields: dict[str, Any] = {
            "user_id": user_id,
            "session_id": session_id,
            "sid": sid,
            "format": fmt,
            "language": language,
            "context": json.dumps(context or {}),
            "next_seq": 0,
            "bytes": 0,
        }
        args: list[Any] = [voice_id, self.ttl_s, int(time.time() * 1000)]
        args += [max_open_user, max_open_session]
        args += [item for pair in fields.items() for item in pair]
        keys = [
            self.meta_key(voice_id),
            self.user_index_key(user_id),
            self.session_index_key(session_id),
        ]
        status, wait_ms = self._create(keys=keys, args=args)
        if status != "ok":
            raise TooManyOpenClips(status, max(1, -(-int(wait_ms) // 1000)))
        return voice_id

    def get(self, voice_id: str) -> ClipMeta | None:
        return self._meta(voice_id, self.client.hgetall(self.meta_key(voice_id)))

    def append(
        self, voice_id: str, seq: int, chunk: bytes, max_bytes: int, max_user_bytes: int = 0
    ) -> AppendResult:
        """Add chunk `seq` atomically: contiguous from 0, repeats ignored, size bounded.

        A chunk that would pass `max_bytes`, or take the owner's open clips together
        past `max_user_bytes` (0: no cap), deletes the clip.
        """
        encoded = base64.b64encode(chunk).decode("ascii")
        status, received, next_seq = self._append(
            keys=[self.meta_key(voice_id), self.chunks_key(voice_id)],
            args=[voice_id, seq, encoded, len(chunk), max_bytes, max_user_bytes, self.ttl_s],
        )
        return AppendResult(str(status), int(received), int(next_seq))

    def take(self, voice_id: str) -> TakenClip | None:
        """Remove the clip and return it, once: a concurrent second take gets None."""
        taken = self._take(
            keys=[self.meta_key(voice_id), self.chunks_key(voice_id)], args=[voice_id]
        )
        if not taken:
            return None
        flat, chunks = taken
        meta = self._meta(voice_id, dict(zip(flat[::2], flat[1::2], strict=True)))
        if meta is None:
            return None
        audio = b"".join(base64.b64decode(c) for c in chunks)
        return TakenClip(meta, audio, len(chunks))

    def restore(self, meta: ClipMeta, audio: bytes) -> None:
        """Put a taken clip back as it was (its audio as one chunk), with a fresh TTL."""
        meta_key, chunks_key = self.meta_key(meta.voice_id), self.chunks_key(meta.voice_id)
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(
            meta_key,
            mapping={
                "user_id": meta.user_id,
                "session_id": meta.session_id,
                "sid": meta.sid,
                "format": meta.format,
                "language": meta.language,
                "context": json.dumps(meta.context),
                "next_seq": meta.next_seq,
                "bytes": len(audio),
            },
        )
        pipe.expire(meta_key, self.ttl_s)
        if audio:
            pipe.rpush(chunks_key, base64.b64encode(audio).decode("ascii"))
            pipe.expire(chunks_key, self.ttl_s)
        now_ms = int(time.time() * 1000)
        for index in (self.user_index_key(meta.user_id), self.session_index_key(meta.session_id)):
            pipe.zadd(index, {meta.voice_id: now_ms})
            pipe.expire(index, self.ttl_s)
        pipe.execute()

    def delete(self, voice_id: str) -> None:
        self._drop(keys=[self.meta_key(voice_id)], args=[voice_id])

    def drop_socket(self, session_id: str, sid: str) -> int:
        """Delete the open clips of `session_id` that socket `sid` opened; how many."""
        return int(self._drop_socket(keys=[self.session_index_key(session_id)], args=[sid]))

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
            sid=raw.get("sid", ""),
        )
