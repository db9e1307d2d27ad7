"""Voice questions: a clip is uploaded, checked, transcribed, then asked as a question.

voice_start → voice_chunk* → voice_complete. Clips live only in Redis (with a
TTL) until `voice_complete` takes them, so audio is never kept longer than the
request needs. `voice_complete` follows the protocol's order of checks:
payload validation → repeated request_id → the clip itself → rate limit →
credits (the voice fee is held before transcription and given back if
anything later fails) → transcription → the normal question flow with
`input_type="voice"`, whose failure refunds the voice fee too.
"""

from __future__ import annotations

import base64
import binascii
import io
import struct
import threading
import time
import uuid
import wave
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import structlog

from app.adapters.engines.base import EngineError, GenerationContext
from app.adapters.transcription import TranscriptionResult
from app.domain.records import CreditChange, VoiceInteraction
from app.repositories.redis.voice_clips import ClipMeta, TakenClip, VoiceClipRepository
from app.services.credit_service import check_credits, consume_credits, refund_credits
from app.services.errors import ServiceError
from app.services.explanation_service import Caller, ExplanationService
from app.services.interaction_service import UowFactory
from app.services.question_service import (
    QuestionRequest,
    validate_question_text,
    validate_request_id,
)
from app.utils.text_processing import question_key

log = structlog.get_logger(__name__)

FORMATS = ("webm", "ogg", "wav", "mp3", "m4a")
LANGUAGES = ("es", "en")
# A chunk that arrives ahead of its predecessor (engine.io may run two events of
# one client on two threads) waits this long for it before it counts as a gap.
GAP_GRACE_S = 0.5
GAP_POLL_S = 0.02

MSG_NO_TRANSCRIBER = (
    "La transcripción de voz no está configurada en este servidor. Pide al administrador "
    "que defina OPENAI_API_KEY (y, si usa otro proveedor compatible, OPENAI_BASE_URL) "
    "para activar las preguntas por voz; mientras tanto, escribe tu pregunta."
)
MSG_FORMAT = "format debe ser uno de: webm, ogg, wav, mp3, m4a."
MSG_BAD_BASE64 = "El fragmento de audio no es base64 válido; se descartó la grabación."
MSG_GAP = (
    "Falta un fragmento de audio (se esperaba el número {expected}); se descartó la grabación."
)
MSG_MISMATCH = "El audio no coincide con el formato indicado ({fmt}); se descartó la grabación."
MSG_EMPTY_AUDIO = "No se recibió audio para esta grabación."
MSG_DATA_WITH_CHUNKS = "data solo se envía cuando no hubo fragmentos; se descartó la grabación."
MSG_TOO_BIG = (
    "El audio supera el tamaño máximo permitido ({limit} bytes); se descartó la grabación."
)
MSG_TOO_LONG = "El audio dura más de {limit:g} segundos; graba una pregunta más corta."
MSG_TRANSCRIPT_PROD = "El campo transcript solo se acepta en desarrollo."


class Transcribing(Protocol):
    def transcribe(self, audio: bytes, fmt: str, language: str = "es") -> TranscriptionResult: ...


# -- audio checks ---------------------------------------------------------------


def decode_base64(data: str) -> bytes | None:
    """Strict standard base64 (no stray characters); None when it is not."""
    try:
        return base64.b64decode(data.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None


def matches_format(audio: bytes, fmt: str) -> bool:
    """Does the container's magic number match the declared format?"""
    if fmt == "webm":
        return audio[:4] == b"\x1a\x45\xdf\xa3"
    if fmt == "ogg":
        return audio[:4] == b"OggS"
    if fmt == "wav":
        return len(audio) >= 12 and audio[:4] == b"RIFF" and audio[8:12] == b"WAVE"
    if fmt == "mp3":
        return audio[:3] == b"ID3" or (
            len(audio) >= 2 and audio[0] == 0xFF and (audio[1] & 0xE0) == 0xE0
        )
    if fmt == "m4a":
        return len(audio) >= 8 and audio[4:8] == b"ftyp"
    return False


def _riff_duration(audio: bytes) -> float | None:
    """Walk the RIFF chunks: data bytes / byte rate, bounded by the bytes present
    (streamed WAVs declare a huge or zero data size)."""
    pos, byte_rate, data_size = 12, None, None
    while pos + 8 <= len(audio):
        chunk_id = audio[pos : pos + 4]
        (size,) = struct.unpack("<I", audio[pos + 4 : pos + 8])
        body = pos + 8
        if chunk_id == b"fmt " and body + 12 <= len(audio):
            (byte_rate,) = struct.unpack("<I", audio[body + 8 : body + 12])
        elif chunk_id == b"data":
            present = len(audio) - body
            data_size = present if size in (0, 0xFFFFFFFF) else min(size, present)
            break
        pos = body + size + (size & 1)
    if not byte_rate or data_size is None:
        return None
    return data_size / byte_rate


def wav_duration(audio: bytes) -> float | None:
    """Seconds of a WAV clip from its header, or None when it cannot be read."""
    candidates: list[float] = []
    try:
        with wave.open(io.BytesIO(audio), "rb") as w:
            if w.getframerate() > 0:
                candidates.append(w.getnframes() / w.getframerate())
    except (wave.Error, EOFError, struct.error, ValueError):
        pass
    riff = _riff_duration(audio)
    if riff is not None:
        candidates.append(riff)
    return min(candidates) if candidates else None


# -- the service ----------------------------------------------------------------


@dataclass(frozen=True)
class VoiceLimits:
    max_bytes: int
    max_seconds: float
    voice_fee: int
    cheapest_question: int


class VoiceService:
    """One per server instance; clips are in Redis, so any instance can finish one."""

    def __init__(
        self,
        *,
        clips: VoiceClipRepository,
        uow_factory: UowFactory,
        explanations: ExplanationService,
        limits: VoiceLimits,
        transcriber_factory: Callable[[], Transcribing | None],
        production: bool,
        gap_grace_s: float = GAP_GRACE_S,
    ) -> None:
        self.clips = clips
        self.uow_factory = uow_factory
        self.explanations = explanations
        self.limits = limits
        self.transcriber_factory = transcriber_factory
        self.production = production
        self.gap_grace_s = gap_grace_s
        self._transcriber: Transcribing | None = None
        self._transcriber_lock = threading.Lock()

    @classmethod
    def from_settings(
        cls,
        settings: Any,
        clips: VoiceClipRepository,
        uow_factory: UowFactory,
        explanations: ExplanationService,
    ) -> VoiceService:
        def transcriber() -> Transcribing | None:
            if not settings.OPENAI_API_KEY:
                return None
            from app.adapters.transcription import Transcriber

            return Transcriber.from_settings(settings)

        return cls(
            clips=clips,
            uow_factory=uow_factory,
            explanations=explanations,
            limits=VoiceLimits(
                max_bytes=settings.MAX_AUDIO_BYTES,
                max_seconds=settings.MAX_AUDIO_SECONDS,
                voice_fee=settings.CREDITS_COST_VOICE,
                cheapest_question=min(
                    settings.CREDITS_COST_CACHED, settings.CREDITS_COST_GENERATED
                ),
            ),
            transcriber_factory=transcriber,
            production=settings.is_production,
        )

    # -- voice_start ----------------------------------------------------------------

    def start(self, caller: Caller, payload: Any) -> str:
        """Open a clip for this user and session; returns its voice_id."""
        body = _object(payload)
        fmt = body.get("format")
        if fmt not in FORMATS:
            raise ServiceError("invalid_payload", MSG_FORMAT)
        language = body.get("language", "es")
        if language is None:
            language = "es"
        if language not in LANGUAGES:
            raise ServiceError("invalid_payload", 'language debe ser "es" o "en".')
        context = body.get("context")
        if context is not None and not isinstance(context, dict):
            raise ServiceError("invalid_payload", "context debe ser un objeto.")
        return self.clips.create(caller.user_id, caller.session_id, fmt, language, context)

    # -- voice_chunk ----------------------------------------------------------------

    def add_chunk(self, caller: Caller, payload: Any) -> int:
        """Store chunk `seq`; returns the clip's total bytes so far."""
        body = _object(payload)
        voice_id = _voice_id(body)
        seq = body.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise ServiceError(
                "invalid_payload", "seq debe ser un entero desde 0.", voice_id=voice_id
            )
        data = body.get("data")
        if not isinstance(data, str):
            raise ServiceError(
                "invalid_payload", "data debe ser audio en base64.", voice_id=voice_id
            )
        meta = self._own_clip(caller, voice_id)
        if seq < meta.next_seq:
            return meta.bytes  # a repeat: ignored, acked with the current total
        # Reject an oversized chunk before decoding it (base64 is 4/3 of the bytes).
        if meta.bytes + (len(data) * 3) // 4 - 2 > self.limits.max_bytes:
            self.clips.delete(voice_id)
            raise self._too_big(voice_id)
        chunk = decode_base64(data)
        if chunk is None:
            self.clips.delete(voice_id)
            raise ServiceError("audio_invalid", MSG_BAD_BASE64, voice_id=voice_id)
        deadline = time.monotonic() + self.gap_grace_s
        while True:
            result = self.clips.append(voice_id, seq, chunk, self.limits.max_bytes)
            if result.status in ("ok", "repeat"):
                return result.received_bytes
            if result.status == "missing":
                raise ServiceError("not_found", voice_id=voice_id)
            if result.status == "too_large":
                raise self._too_big(voice_id)
            # A gap: give a chunk handled out of order a moment to land first.
            if time.monotonic() >= deadline:
                self.clips.delete(voice_id)
                raise ServiceError(
                    "audio_invalid", MSG_GAP.format(expected=result.next_seq), voice_id=voice_id
                )
            time.sleep(GAP_POLL_S)

    # -- voice_complete -------------------------------------------------------------

    def complete(
        self, caller: Caller, payload: Any, gate: threading.Event | None = None
    ) -> tuple[str, str]:
        """Check, transcribe and ask the clip; returns (voice_id, interaction_id).

        The ack of the caller reaches the client before any event of the
        interaction (`gate`); `transcription_complete` is emitted before it.
        """
        body = _object(payload)
        voice_id = _voice_id(body)
        data = body.get("data")
        if data is not None and not isinstance(data, str):
            raise ServiceError(
                "invalid_payload", "data debe ser audio en base64.", voice_id=voice_id
            )
        transcript = body.get("transcript")
        if transcript is not None:
            if self.production:
                raise ServiceError("invalid_payload", MSG_TRANSCRIPT_PROD, voice_id=voice_id)
            if not isinstance(transcript, str):
                raise ServiceError(
                    "invalid_payload", "transcript debe ser un texto.", voice_id=voice_id
                )
        try:
            request_id = validate_request_id(body)
        except ServiceError as exc:
            exc.voice_id = voice_id
            raise
        interaction_id = str(uuid.uuid4())
        earlier = self.explanations.claim_request(caller, request_id, interaction_id)
        if earlier:
            return voice_id, earlier  # same request: nothing transcribed, charged or streamed
        try:
            return voice_id, self._complete(
                caller, voice_id, data, transcript, request_id, interaction_id, gate
            )
        except Exception:
            if request_id:
                self.explanations.requests.release(caller.user_id, request_id, interaction_id)
            raise

    def _complete(
        self,
        caller: Caller,
        voice_id: str,
        data: str | None,
        transcript: str | None,
        request_id: str | None,
        interaction_id: str,
        gate: threading.Event | None,
    ) -> str:
        meta = self._own_clip(caller, voice_id)
        taken = self.clips.take(meta.voice_id)
        if taken is None:
            raise ServiceError("not_found", voice_id=voice_id)
        audio = self._clip_audio(taken, data, transcript is not None)
        fmt = meta.format
        duration = wav_duration(audio) if audio and fmt == "wav" else None
        record = VoiceInteraction(
            id=voice_id,
            user_id=caller.user_id,
            interaction_id=None,
            format=fmt,
            bytes=len(audio),
            duration_s=duration,
            transcript=None,
            status="received",
        )
        with self.uow_factory() as uow:
            uow.voices.add(record)
            uow.commit()
        held = peeked = handed = False
        try:
            if duration is not None and duration > self.limits.max_seconds:
                raise ServiceError(
                    "audio_too_large",
                    MSG_TOO_LONG.format(limit=self.limits.max_seconds),
                    voice_id=voice_id,
                )
            self._check_rate(caller, voice_id)
            peeked = True
            self._check_credits(caller, voice_id, interaction_id)
            held = self._hold_fee(caller, interaction_id)
            result = self._transcribe(audio, fmt, meta.language, transcript, voice_id)
            if duration is None:  # not readable from the container: the transcription's
                duration = result.duration_s
                if duration is not None and duration > self.limits.max_seconds:
                    raise ServiceError(
                        "audio_too_large",
                        MSG_TOO_LONG.format(limit=self.limits.max_seconds),
                        voice_id=voice_id,
                    )
            question = validate_question_text(result.text)
            self._update(voice_id, status="transcribed", transcript=question, duration_s=duration)
            self.explanations.emit(
                "transcription_complete",
                {"voice_id": voice_id, "text": question, "duration_s": duration},
                caller.sid,
            )
            context = dict(meta.context)
            context.setdefault("language", meta.language)
            normalized, digest = question_key(question)
            request = QuestionRequest(
                question, normalized, digest, GenerationContext.from_payload(context), request_id
            )
            handed = True  # the question flow counts the rate limit from here on
            # With the interaction id the request_id and the voice fee's hold were
            # made for (ask() would mint another id).
            self.explanations.start_question(
                caller, request, interaction_id, "voice", self.limits.voice_fee, gate
            )
        except Exception as exc:
            code = exc.code if isinstance(exc, ServiceError) else "internal_error"
            if held:
                self._refund_fee(caller, interaction_id)
            if peeked and not handed:
                # It passed validation and the limit, so it counts even though it failed.
                self.explanations.limiter.hit(caller.user_id)
            self._update(voice_id, status="failed", error_code=code)
            if isinstance(exc, ServiceError):
                exc.voice_id = voice_id
            raise
        self._update(voice_id, interaction_id=interaction_id)
        return interaction_id

    def transcribe_audio(
        self, audio: bytes, fmt: str, language: str = "es", transcript: str | None = None
    ) -> TranscriptionResult:
        """The development transcript when given, else the configured transcriber."""
        return self._transcribe(audio, fmt, language, transcript, None)

    # -- helpers --------------------------------------------------------------------

    def _own_clip(self, caller: Caller, voice_id: str) -> ClipMeta:
        meta = self.clips.get(voice_id)
        if meta is None or meta.user_id != caller.user_id or meta.session_id != caller.session_id:
            raise ServiceError("not_found", voice_id=voice_id)
        return meta

    def _clip_audio(self, taken: TakenClip, data: str | None, has_transcript: bool) -> bytes:
        voice_id, fmt = taken.meta.voice_id, taken.meta.format
        audio = taken.audio
        if data is not None:
            if taken.chunks:
                raise ServiceError("audio_invalid", MSG_DATA_WITH_CHUNKS, voice_id=voice_id)
            if (len(data) * 3) // 4 - 2 > self.limits.max_bytes:
                raise self._too_big(voice_id)
            decoded = decode_base64(data)
            if decoded is None:
                raise ServiceError("audio_invalid", MSG_BAD_BASE64, voice_id=voice_id)
            if len(decoded) > self.limits.max_bytes:
                raise self._too_big(voice_id)
            audio = decoded
        if not audio:
            if has_transcript:
                return b""
            raise ServiceError("audio_invalid", MSG_EMPTY_AUDIO, voice_id=voice_id)
        if not matches_format(audio, fmt):
            raise ServiceError("audio_invalid", MSG_MISMATCH.format(fmt=fmt), voice_id=voice_id)
        return audio

    def _check_rate(self, caller: Caller, voice_id: str) -> None:
        """Peek at the limit (the question flow counts the hit itself)."""
        retry = self.explanations.limiter.peek(caller.user_id)
        if retry is not None:
            raise ServiceError("rate_limited", retry_after=retry, voice_id=voice_id)

    def _check_credits(self, caller: Caller, voice_id: str, interaction_id: str) -> None:
        needed = self.limits.voice_fee + self.limits.cheapest_question
        if needed > 0 and not check_credits(self.uow_factory, caller.user_id, needed):
            raise ServiceError("insufficient_credits", voice_id=voice_id)

    def _hold_fee(self, caller: Caller, interaction_id: str) -> bool:
        fee = self.limits.voice_fee
        if fee <= 0:
            return False
        with self.uow_factory() as uow:
            change = consume_credits(
                uow,
                caller.user_id,
                fee,
                "voice",
                interaction_id,
                idempotency_key=f"charge:voice:{interaction_id}",
            )
            uow.commit()
        self._notify(caller.user_id, change, -fee, "voice")
        return True

    def _refund_fee(self, caller: Caller, interaction_id: str) -> None:
        with self.uow_factory() as uow:
            refunded = refund_credits(uow, caller.user_id, interaction_id, "voice")
            uow.commit()
        if refunded is not None and refunded[0].applied:
            self._notify(caller.user_id, refunded[0], refunded[1], "refund")

    def _notify(self, user_id: str, change: CreditChange, delta: int, action: str) -> None:
        try:
            self.explanations.notify_credits(user_id, change, delta, action)
        except Exception:  # a notification never undoes a ledgered change
            log.exception("credit_notify_failed", user_id=user_id)

    def _transcribe(
        self,
        audio: bytes,
        fmt: str,
        language: str,
        transcript: str | None,
        voice_id: str | None,
    ) -> TranscriptionResult:
        if transcript is not None:
            if self.production:
                raise ServiceError("invalid_payload", MSG_TRANSCRIPT_PROD, voice_id=voice_id)
            return TranscriptionResult(text=transcript, duration_s=None)
        transcriber = self._get_transcriber()
        if transcriber is None:
            raise ServiceError("transcription_failed", MSG_NO_TRANSCRIBER, voice_id=voice_id)
        try:
            return transcriber.transcribe(audio, fmt, language)
        except EngineError as exc:
            raise ServiceError(exc.code, exc.message, voice_id=voice_id) from exc

    def _get_transcriber(self) -> Transcribing | None:
        with self._transcriber_lock:
            if self._transcriber is None:
                try:
                    self._transcriber = self.transcriber_factory()
                except EngineError:
                    self._transcriber = None
            return self._transcriber

    def _update(self, voice_id: str, **fields: Any) -> None:
        try:
            with self.uow_factory() as uow:
                uow.voices.update(voice_id, **fields)
                uow.commit()
        except Exception:  # the record is an audit trail; the request's outcome stands
            log.exception("voice_record_update_failed", voice_id=voice_id)

    def _too_big(self, voice_id: str) -> ServiceError:
        return ServiceError(
            "audio_too_large", MSG_TOO_BIG.format(limit=self.limits.max_bytes), voice_id=voice_id
        )


def _object(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise ServiceError("invalid_payload", "El mensaje debe ser un objeto JSON.")
    return payload


def _voice_id(body: dict[str, Any]) -> str:
    voice_id = body.get("voice_id")
    if not isinstance(voice_id, str) or not voice_id or len(voice_id) > 64:
        raise ServiceError("invalid_payload", "voice_id debe ser un texto.")
    return voice_id
