"""Voice clips while they upload: opened, appended chunk by chunk, then taken whole.

Clips live only in Redis (with a TTL) until `take` removes them for completion, so
audio is never kept longer than the request needs. Every fault discards the clip,
and so does the disconnect of the socket that opened it. One user and one session
hold only so many open clips (`rate_limited`, `retry_after` = until the first of
them expires) and so many bytes together (`audio_too_large`, the clip discarded).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import structlog

from app.domain.audio import decode_base64, matches_format, wav_duration
from app.domain.commands import VoiceChunk, VoiceStart
from app.domain.errors import Refused
from app.repositories.redis.voice_clips import (
    ClipMeta,
    TakenClip,
    TooManyOpenClips,
    VoiceClipRepository,
)
from app.use_cases.identity import Caller

log = structlog.get_logger(__name__)

# A chunk that arrives ahead of its predecessor (engine.io may run two events of
# one client at once) waits this long for it before it counts as a gap.
GAP_GRACE_S = 0.5
GAP_POLL_S = 0.02


@dataclass(frozen=True)
class VoiceLimits:
    max_bytes: int
    max_seconds: float
    voice_fee: int
    cheapest_question: int
    max_open_per_user: int = 0  # 0: no cap
    max_open_per_session: int = 0
    max_user_bytes: int = 0  # audio bytes of one user's open clips together


@dataclass(frozen=True)
class Clip:
    """A completed upload: who sent it, in which format, its audio and its length."""

    meta: ClipMeta
    audio: bytes
    duration_s: float | None
    held: bytes = b""  # what its chunks held in Redis (empty when sent whole as `data`)


class VoiceClips:
    def __init__(
        self, clips: VoiceClipRepository, limits: VoiceLimits, gap_grace_s: float = GAP_GRACE_S
    ) -> None:
        self.clips = clips
        self.limits = limits
        self.gap_grace_s = gap_grace_s

    def start(self, caller: Caller, cmd: VoiceStart) -> str:
        """Open a clip for this user and session; returns its voice_id."""
        try:
            return self.clips.create(
                caller.user_id,
                caller.session_id,
                cmd.format,
                cmd.language or "es",
                cmd.context,
                sid=caller.sid,
                max_open_user=self.limits.max_open_per_user,
                max_open_session=self.limits.max_open_per_session,
            )
        except TooManyOpenClips as full:
            limit = (
                self.limits.max_open_per_user
                if full.scope == "user"
                else self.limits.max_open_per_session
            )
            raise Refused(
                "rate_limited", f"open_clips_{full.scope}", retry_after=full.retry_after_s,
                limit=limit,
            ) from None  # fmt: skip

    def drop_socket(self, session_id: str, sid: str) -> int:
        """The socket is gone: its unfinished clips go too (their memory with them).
        Best effort: with Redis unreachable they expire by their TTL."""
        try:
            return self.clips.drop_socket(session_id, sid)
        except Exception:
            log.warning("voice_clips_not_dropped", session_id=session_id)
            return 0

    def add_chunk(self, caller: Caller, cmd: VoiceChunk) -> int:
        """Store chunk `seq`; returns the clip's total bytes so far."""
        voice_id = cmd.voice_id
        meta = self._own_clip(caller, voice_id)
        if cmd.seq < meta.next_seq:
            return meta.bytes  # a repeat: ignored, acked with the current total
        # Refuse an oversized chunk before decoding it (base64 is 4/3 of the bytes).
        if meta.bytes + (len(cmd.data) * 3) // 4 - 2 > self.limits.max_bytes:
            self.clips.delete(voice_id)
            raise self._too_big(voice_id)
        chunk = decode_base64(cmd.data)
        if chunk is None:
            self.clips.delete(voice_id)
            raise Refused("audio_invalid", "base64", voice_id=voice_id)
        deadline = time.monotonic() + self.gap_grace_s
        while True:
            result = self.clips.append(
                voice_id, cmd.seq, chunk, self.limits.max_bytes, self.limits.max_user_bytes
            )
            if result.status in ("ok", "repeat"):
                return result.received_bytes
            if result.status == "missing":
                raise Refused("not_found", voice_id=voice_id)
            if result.status == "too_large":
                raise self._too_big(voice_id)
            if result.status == "user_bytes":
                raise Refused(
                    "audio_too_large", "user_bytes", voice_id=voice_id,
                    limit=self.limits.max_user_bytes,
                )  # fmt: skip
            if time.monotonic() >= deadline:  # a gap that no late chunk filled
                self.clips.delete(voice_id)
                raise Refused("audio_invalid", "gap", voice_id=voice_id, expected=result.next_seq)
            time.sleep(GAP_POLL_S)

    def take(self, caller: Caller, voice_id: str, data: str | None, has_transcript: bool) -> Clip:
        """Remove the clip from Redis and check it whole (or `data`, a clip sent at once)."""
        meta = self._own_clip(caller, voice_id)
        taken = self.clips.take(voice_id)
        if taken is None:
            raise Refused("not_found", voice_id=voice_id)
        audio = self._clip_audio(taken, data, has_transcript)
        duration = wav_duration(audio) if audio and meta.format == "wav" else None
        return Clip(meta, audio, duration, taken.audio)

    def put_back(self, clip: Clip) -> None:
        """Undo `take` (a store failed before the clip was recorded), so the same
        `voice_complete` can be sent again; best effort."""
        try:
            self.clips.restore(clip.meta, clip.held)
        except Exception:  # Redis is the store that failed: the clip is lost with it
            log.warning("voice_clip_not_restored", voice_id=clip.meta.voice_id)

    def check_duration(self, duration: float | None, voice_id: str) -> None:
        if duration is not None and duration > self.limits.max_seconds:
            raise Refused(
                "audio_too_large", "seconds", voice_id=voice_id, limit=self.limits.max_seconds
            )

    def _own_clip(self, caller: Caller, voice_id: str) -> ClipMeta:
        meta = self.clips.get(voice_id)
        if meta is None or meta.user_id != caller.user_id or meta.session_id != caller.session_id:
            raise Refused("not_found", voice_id=voice_id)
        return meta

    def _clip_audio(self, taken: TakenClip, data: str | None, has_transcript: bool) -> bytes:
        voice_id, fmt = taken.meta.voice_id, taken.meta.format
        audio = taken.audio
        if data is not None:
            if taken.chunks:
                raise Refused("audio_invalid", "data_with_chunks", voice_id=voice_id)
            if (len(data) * 3) // 4 - 2 > self.limits.max_bytes:
                raise self._too_big(voice_id)
            decoded = decode_base64(data)
            if decoded is None:
                raise Refused("audio_invalid", "base64", voice_id=voice_id)
            if len(decoded) > self.limits.max_bytes:
                raise self._too_big(voice_id)
            audio = decoded
        if not audio:
            if has_transcript:
                return b""
            raise Refused("audio_invalid", "empty", voice_id=voice_id)
        if not matches_format(audio, fmt):
            raise Refused("audio_invalid", "mismatch", voice_id=voice_id, format=fmt)
        return audio

    def _too_big(self, voice_id: str) -> Refused:
        return Refused("audio_too_large", "bytes", voice_id=voice_id, limit=self.limits.max_bytes)
