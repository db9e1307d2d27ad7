"""Payload → typed command, once per event; anything else becomes a protocol error."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import ValidationError

from app.domain.commands import Command
from app.domain.errors import CODES, Refused

C = TypeVar("C", bound=Command)


def parse(command: type[C], payload: Any) -> C:
    """Validate `payload` as `command`, or raise the protocol's error for its first fault.

    Fields are checked in the order the model declares them (the protocol's order);
    a question's own faults carry their own codes (`question_empty`, ...). Voice
    errors name the clip when the payload names one.
    """
    if not isinstance(payload, dict):
        raise Refused("invalid_payload", "payload")
    try:
        return command.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "payload"
        code = first["type"] if first["type"] in CODES else "invalid_payload"
        voice_id = payload.get("voice_id") if "voice_id" in command.model_fields else None
        raise Refused(
            code,
            field,
            voice_id=voice_id if isinstance(voice_id, str) and field != "voice_id" else None,
        ) from None
