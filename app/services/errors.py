"""The one exception services raise for a refused request, carrying a protocol code."""

from __future__ import annotations

from typing import Any

MESSAGES_ES: dict[str, str] = {
    "unauthorized": "Tu sesión no es válida o expiró. Vuelve a iniciar sesión.",
    "invalid_payload": "La solicitud no tiene el formato esperado.",
    "question_empty": "Escribe una pregunta antes de enviarla.",
    "question_too_long": "La pregunta es demasiado larga (máximo 1000 caracteres).",
    "rate_limited": "Has hecho muchas preguntas seguidas. Espera un momento e inténtalo de nuevo.",
    "insufficient_credits": "No tienes créditos suficientes para esta pregunta.",
    "not_found": "No encontramos esa explicación o grabación.",
    "generation_failed": "No pudimos generar la explicación. No se te cobró nada; inténtalo de nuevo.",
    "ai_unavailable": "El tutor no puede responder esa pregunta ahora mismo.",
    "audio_invalid": "El audio no es válido o no coincide con el formato indicado.",
    "audio_too_large": "El audio es demasiado grande o demasiado largo.",
    "transcription_failed": "No pudimos transcribir el audio. Inténtalo de nuevo.",
    "internal_error": "Ocurrió un error inesperado. Inténtalo de nuevo.",
}


class ServiceError(Exception):
    """A request refused with a protocol error code and a Spanish message."""

    def __init__(
        self,
        code: str,
        message: str | None = None,
        *,
        retry_after: int | None = None,
        interaction_id: str | None = None,
        voice_id: str | None = None,
    ) -> None:
        self.code = code
        self.message = message or MESSAGES_ES.get(code, MESSAGES_ES["internal_error"])
        self.retry_after = retry_after
        self.interaction_id = interaction_id
        self.voice_id = voice_id
        super().__init__(f"{code}: {self.message}")

    def to_payload(self) -> dict[str, Any]:
        """The `error` event / ack error body of the protocol."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        for key in ("retry_after", "interaction_id", "voice_id"):
            value = getattr(self, key)
            if value is not None:
                body[key] = value
        return body
