"""voice_start, voice_chunk and voice_complete: thin, each calls the voice service."""

from __future__ import annotations

import threading
from typing import Any

from app.services.explanation_service import Caller
from app.services.voice_service import VoiceService
from app.socket_events.handling import container, socket_handler


def _voice() -> VoiceService:
    service = container().voice
    if service is None:  # pragma: no cover - every built container has one
        raise RuntimeError("voice service not configured")
    return service


@socket_handler("voice_start")
def voice_start(caller: Caller, payload: Any, _gate: threading.Event) -> dict[str, Any]:
    return {"voice_id": _voice().start(caller, payload)}


@socket_handler("voice_chunk")
def voice_chunk(caller: Caller, payload: Any, _gate: threading.Event) -> dict[str, Any]:
    return {"received_bytes": _voice().add_chunk(caller, payload)}


@socket_handler("voice_complete")
def voice_complete(caller: Caller, payload: Any, gate: threading.Event) -> dict[str, Any]:
    voice_id, interaction_id = _voice().complete(caller, payload, gate)
    return {"voice_id": voice_id, "interaction_id": interaction_id}
