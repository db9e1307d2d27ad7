"""Every text a student reads about a refused request, in Spanish, in one place.

A use case raises `Refused(code, reason, **params)`; `describe` picks the entry
for `code.reason` (falling back to the code's own) and fills its placeholders.
"""

from __future__ import annotations

from typing import Any

from app.domain.errors import Refused

MESSAGES: dict[str, str] = {
    "unauthorized": "Tu sesión no es válida o expiró. Vuelve a iniciar sesión.",
    "unauthorized.too_many_attempts": (
        "Demasiados intentos de conexión desde tu red. Espera un minuto e inténtalo de nuevo."
    ),
    "unauthorized.too_many_connections": (
        "Tu cuenta se conectó demasiadas veces seguidas. Espera un minuto e inténtalo de nuevo."
    ),
    "invalid_payload": "La solicitud no tiene el formato esperado.",
    "invalid_payload.payload": "El mensaje debe ser un objeto JSON.",
    "invalid_payload.event": "Evento desconocido: {event}",
    "invalid_payload.unnamed_event": "El evento no tiene un nombre válido.",
    "invalid_payload.reserved_event": "Evento reservado: {event}",
    "invalid_payload.binary": (
        "Los datos binarios no están admitidos: envía JSON (el audio, en base64)."
    ),
    "invalid_payload.too_large": "El mensaje es demasiado grande (máximo {limit} bytes).",
    "invalid_payload.method": "Esa ruta de la API no acepta este método.",
    "not_found.route": "Esa ruta de la API no existe.",
    "invalid_payload.question": "Falta la pregunta o no es un texto.",
    "invalid_payload.request_id": "request_id debe ser un texto de 1 a 64 caracteres.",
    "invalid_payload.context": "context debe ser un objeto.",
    "invalid_payload.interaction_id": "interaction_id debe ser un texto.",
    "invalid_payload.after_seq": "after_seq debe ser un entero entre -1 y {last}.",
    "invalid_payload.format": "format debe ser uno de: webm, ogg, wav, mp3, m4a.",
    "invalid_payload.language": 'language debe ser "es" o "en".',
    "invalid_payload.voice_id": "voice_id debe ser un texto.",
    "invalid_payload.seq": "seq debe ser un entero desde 0.",
    "invalid_payload.data": "data debe ser audio en base64.",
    "invalid_payload.transcript": "transcript debe ser un texto.",
    "invalid_payload.transcript_in_production": "El campo transcript solo se acepta en desarrollo.",
    "question_empty": "Escribe una pregunta antes de enviarla.",
    "question_too_long": "La pregunta es demasiado larga (máximo 1000 caracteres).",
    "rate_limited": "Has hecho muchas preguntas seguidas. Espera un momento e inténtalo de nuevo.",
    "rate_limited.open_clips_user": (
        "Ya tienes {limit} grabaciones sin terminar. Termina o espera a que caduquen antes de "
        "empezar otra."
    ),
    "rate_limited.open_clips_session": (
        "Ya hay {limit} grabaciones sin terminar en esta sesión. Termina una antes de empezar "
        "otra."
    ),
    "insufficient_credits": "No tienes créditos suficientes para esta pregunta.",
    "not_found": "No encontramos esa explicación o grabación.",
    "generation_failed": (
        "No pudimos generar la explicación. No se te cobró nada; inténtalo de nuevo."
    ),
    "generation_failed.invalid_answer": (
        "No pudimos generar una explicación válida para tu pregunta. No se te cobró nada; "
        "inténtalo de nuevo."
    ),
    "generation_failed.refused": (
        "No podemos responder esa pregunta. Intenta con otra pregunta de estudio."
    ),
    "ai_unavailable": "El tutor no puede responder esa pregunta ahora mismo.",
    "ai_unavailable.upstream": (
        "El servicio de explicaciones no está disponible en este momento. Intenta más tarde."
    ),
    "audio_invalid": "El audio no es válido o no coincide con el formato indicado.",
    "audio_invalid.base64": "El fragmento de audio no es base64 válido; se descartó la grabación.",
    "audio_invalid.gap": (
        "Falta un fragmento de audio (se esperaba el número {expected}); se descartó la grabación."
    ),
    "audio_invalid.mismatch": (
        "El audio no coincide con el formato indicado ({format}); se descartó la grabación."
    ),
    "audio_invalid.empty": "No se recibió audio para esta grabación.",
    "audio_invalid.data_with_chunks": (
        "data solo se envía cuando no hubo fragmentos; se descartó la grabación."
    ),
    "audio_too_large": "El audio es demasiado grande o demasiado largo.",
    "audio_too_large.bytes": (
        "El audio supera el tamaño máximo permitido ({limit} bytes); se descartó la grabación."
    ),
    "audio_too_large.user_bytes": (
        "Tus grabaciones sin terminar superan el máximo de {limit} bytes en total; se descartó "
        "esta grabación."
    ),
    "audio_too_large.too_large": "El mensaje es demasiado grande (máximo {limit} bytes).",
    "audio_too_large.seconds": (
        "El audio dura más de {limit:g} segundos; graba una pregunta más corta."
    ),
    "transcription_failed": "No pudimos transcribir el audio. Inténtalo de nuevo.",
    "transcription_failed.failed": "No pudimos transcribir el audio. Intenta grabarlo de nuevo.",
    "transcription_failed.empty": "No se entendió ninguna pregunta en el audio. Intenta de nuevo.",
    "transcription_failed.not_configured": (
        "La transcripción de voz no está configurada en este servidor. Pide al administrador "
        "que defina OPENAI_API_KEY (y, si usa otro proveedor compatible, OPENAI_BASE_URL) "
        "para activar las preguntas por voz; mientras tanto, escribe tu pregunta."
    ),
    "internal_error": "Ocurrió un error inesperado. Inténtalo de nuevo.",
    "service_unavailable": (
        "El servicio no está disponible por un momento. No se te cobró nada; inténtalo de nuevo "
        "en {retry_after} segundos."
    ),
    "service_unavailable.connect": (
        "El servicio no está disponible por un momento. Vuelve a conectarte en {retry_after} "
        "segundos."
    ),
}


def describe(error: Refused) -> str:
    """The Spanish text for a refusal."""
    if error.text:
        return error.text
    template = MESSAGES.get(f"{error.code}.{error.reason}") or MESSAGES[error.code]
    try:
        return template.format(**{"retry_after": error.retry_after, **error.params})
    except (KeyError, ValueError, IndexError):
        return MESSAGES[error.code]


def error_payload(error: Refused) -> dict[str, Any]:
    """The `error` event / failed ack body of the protocol."""
    body: dict[str, Any] = {"code": error.code, "message": describe(error)}
    for key in ("retry_after", "interaction_id", "voice_id"):
        value = getattr(error, key)
        if value is not None:
            body[key] = value
    return body
