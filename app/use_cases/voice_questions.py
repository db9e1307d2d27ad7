"""`voice_complete`: a finished clip becomes a question, exactly as `ask_question` would.

The protocol's order of checks: payload → repeated request_id → the clip itself →
rate limit → credits (the voice fee is held before transcription) → transcription →
the question's admission (`input_type="voice"`) → the stream. Anything that fails
after the hold gives the fee back; a refused request frees its request id.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Protocol

import structlog

from app.adapters.engines.base import EngineError
from app.adapters.transcription import TranscriptionResult
from app.domain.commands import VoiceComplete
from app.domain.errors import Refused
from app.domain.pricing import VOICE
from app.domain.questions import GenerationContext, Question, question_problem, question_text
from app.domain.records import VoiceInteraction
from app.repositories.interfaces import StoreUnitOfWork
from app.repositories.outages import is_store_outage
from app.use_cases import credits
from app.use_cases.admission import AdmissionRules, Admit, Admitted, admit
from app.use_cases.identity import Caller
from app.use_cases.interactions import Interactions
from app.use_cases.notifier import Notifier
from app.use_cases.voice_clips import Clip, VoiceClips

log = structlog.get_logger(__name__)


class Transcribing(Protocol):
    def transcribe(self, audio: bytes, fmt: str, language: str = "es") -> TranscriptionResult: ...


class VoiceQuestions:
    def __init__(
        self,
        *,
        clips: VoiceClips,
        uow_factory: Callable[[], StoreUnitOfWork],
        rules: AdmissionRules,
        interactions: Interactions,
        transport: Notifier,
        transcriber: Callable[[], Transcribing | None],
        production: bool,
    ) -> None:
        self.clips = clips
        self.uow_factory = uow_factory
        self.rules = rules
        self.interactions = interactions
        self.transport = transport
        self.transcriber = transcriber
        self.production = production

    def complete(self, caller: Caller, cmd: VoiceComplete) -> str:
        """Transcribe, admit and stream the clip; returns the interaction id (the first
        one, for a repeated request id: then nothing is transcribed or charged)."""
        received_at = time.monotonic()  # the lifecycle log counts from here, not admission
        if cmd.transcript is not None and self.production:
            raise Refused("invalid_payload", "transcript_in_production", voice_id=cmd.voice_id)
        interaction_id = str(uuid.uuid4())
        if cmd.request_id:
            with self.uow_factory() as uow:
                earlier = uow.requests.claim(caller.user_id, cmd.request_id, interaction_id)
                uow.commit()
            if earlier:
                return earlier
        try:
            self._complete(caller, cmd, interaction_id, received_at)
        except Exception as exc:
            if cmd.request_id:
                with self.uow_factory() as uow:
                    uow.requests.release(caller.user_id, cmd.request_id, interaction_id)
            if isinstance(exc, Refused) and exc.voice_id is None:
                exc.voice_id = cmd.voice_id
            raise
        return interaction_id

    def _complete(
        self, caller: Caller, cmd: VoiceComplete, interaction_id: str, received_at: float
    ) -> None:
        voice_id = cmd.voice_id
        clip = self.clips.take(caller, voice_id, cmd.data, cmd.transcript is not None)
        try:
            self._record(caller, clip)
        except Exception as exc:
            if is_store_outage(exc):  # nothing charged or recorded: the clip can be sent again
                self.clips.put_back(clip)
            raise
        held = False
        try:
            self.clips.check_duration(clip.duration_s, voice_id)
            held = self._count_and_hold(caller, interaction_id)
            result = self._transcript(clip, cmd.transcript)
            duration = clip.duration_s if clip.duration_s is not None else result.duration_s
            self.clips.check_duration(duration, voice_id)
            question = _question(result.text)
            self._update(voice_id, status="transcribed", transcript=question.text,
                         duration_s=duration)  # fmt: skip
            self.transport.send(
                caller.sid,
                "transcription_complete",
                {"voice_id": voice_id, "text": question.text, "duration_s": duration},
            )
            context = {"language": clip.meta.language, **clip.meta.context}
            ask = Admit(
                caller=caller,
                question=question,
                context=GenerationContext.from_payload(context),
                request_id=cmd.request_id,
                input_type="voice",
                voice_fee=self.clips.limits.voice_fee,
                counted=True,
                interaction_id=interaction_id,
                received_at=received_at,
            )
            admitted = admit(ask, self.uow_factory(), self.rules)
            assert isinstance(admitted, Admitted)  # counted: never a repeat
            self.interactions.start(ask, admitted)
        except Exception as exc:
            if held:
                self._refund_fee(caller, interaction_id)
            code = (
                exc.code
                if isinstance(exc, Refused)
                else "service_unavailable" if is_store_outage(exc) else "internal_error"
            )
            self._update(voice_id, status="failed", error_code=code)
            raise
        self._update(voice_id, interaction_id=interaction_id)

    def _count_and_hold(self, caller: Caller, interaction_id: str) -> bool:
        """The rate limit counts the clip; the fee is held if fee + cheapest question fit."""
        limits = self.clips.limits
        with self.uow_factory() as uow:
            retry_after = uow.question_limits.hit(caller.user_id)
            if retry_after is not None:
                raise Refused("rate_limited", retry_after=retry_after)
            needed = limits.voice_fee + limits.cheapest_question
            if needed > 0 and credits.balance(uow, caller.user_id) < needed:
                raise Refused("insufficient_credits")
            note = credits.hold(
                uow, caller.user_id, interaction_id, limits.voice_fee, "voice", VOICE
            )
            uow.commit()
        if note is not None:
            self.transport.notify_credits(caller.user_id, note)
        return limits.voice_fee > 0

    def _refund_fee(self, caller: Caller, interaction_id: str) -> None:
        with self.uow_factory() as uow:
            note = credits.refund(uow, caller.user_id, interaction_id, VOICE)
            uow.commit()
        if note is not None:
            self.transport.notify_credits(caller.user_id, note)

    def _transcript(self, clip: Clip, transcript: str | None) -> TranscriptionResult:
        if transcript is not None:
            return TranscriptionResult(text=transcript, duration_s=None)
        transcriber = self.transcriber()
        if transcriber is None:
            raise Refused("transcription_failed", "not_configured")
        try:
            return transcriber.transcribe(clip.audio, clip.meta.format, clip.meta.language)
        except EngineError as exc:
            raise Refused(exc.code, exc.reason or None) from exc

    def _record(self, caller: Caller, clip: Clip) -> None:
        meta = clip.meta
        record = VoiceInteraction(
            id=meta.voice_id,
            user_id=caller.user_id,
            interaction_id=None,
            format=meta.format,
            bytes=len(clip.audio),
            duration_s=clip.duration_s,
            transcript=None,
            status="received",
        )
        with self.uow_factory() as uow:
            uow.voices.add(record)
            uow.commit()

    def _update(self, voice_id: str, **fields: object) -> None:
        try:
            with self.uow_factory() as uow:
                uow.voices.update(voice_id, **fields)
                uow.commit()
        except Exception:  # the record is an audit trail; the request's outcome stands
            log.exception("voice_record_update_failed", voice_id=voice_id)


def _question(text: object) -> Question:
    trimmed = question_text(text) if isinstance(text, str) else ""
    problem = question_problem(trimmed)
    if problem:
        raise Refused(problem)
    return Question.of(trimmed)
