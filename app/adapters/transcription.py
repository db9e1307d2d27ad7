"""Speech-to-text for voice questions through OpenAI's transcription API.

`verbose_json` carries the clip's duration (billing and limits need it) but
only Whisper models accept it; newer models answer `json`, whose `usage` may
still carry the seconds. A model that refuses `verbose_json` is asked again
with `json` once, and remembered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import openai

from app.adapters.engines.base import EngineError

FAILED, EMPTY = "failed", "empty"  # catalogue reasons of transcription_failed
_MIME = {
    "webm": "audio/webm",
    "ogg": "audio/ogg",
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
}


@dataclass
class TranscriptionResult:
    text: str
    duration_s: float | None


class Transcriber:
    """Turns one audio clip into text; every failure is `transcription_failed`."""

    def __init__(
        self,
        api_key: str,
        base_url: str | None,
        model: str,
        timeout_s: float = 60,
        max_retries: int = 2,
    ) -> None:
        self.model = model
        self.verbose = model.startswith("whisper")
        self.client = openai.OpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout_s, max_retries=max_retries
        )

    @classmethod
    def from_settings(cls, settings: Any) -> Transcriber:
        if not settings.OPENAI_API_KEY:
            raise EngineError("transcription_failed", FAILED)
        return cls(
            api_key=settings.OPENAI_API_KEY,
            base_url=settings.OPENAI_BASE_URL,
            model=settings.OPENAI_TRANSCRIBE_MODEL,
            timeout_s=settings.AI_TIMEOUT_S,
        )

    def transcribe(self, audio: bytes, fmt: str, language: str = "es") -> TranscriptionResult:
        if not audio:
            raise EngineError("transcription_failed", FAILED)
        upload = (f"audio.{fmt}", audio, _MIME.get(fmt, "application/octet-stream"))
        try:
            if self.verbose:
                try:
                    return self._result(self._create(upload, language, "verbose_json"))
                except openai.BadRequestError as exc:
                    if "verbose_json" not in str(exc) and "response_format" not in str(exc):
                        raise
                    self.verbose = False
            return self._result(self._create(upload, language, "json"))
        except openai.OpenAIError as exc:
            raise EngineError("transcription_failed", FAILED) from exc

    def _create(self, upload: tuple[str, bytes, str], language: str, fmt: str) -> Any:
        return self.client.audio.transcriptions.create(
            file=upload, model=self.model, language=language, response_format=fmt  # type: ignore[arg-type]
        )

    @staticmethod
    def _result(response: Any) -> TranscriptionResult:
        text = (getattr(response, "text", None) or "").strip()
        if not text:
            raise EngineError("transcription_failed", EMPTY)
        duration = getattr(response, "duration", None)
        usage = getattr(response, "usage", None)
        if duration is None and usage is not None and getattr(usage, "type", None) == "duration":
            duration = getattr(usage, "seconds", None)
        return TranscriptionResult(text=text, duration_s=float(duration) if duration else None)
