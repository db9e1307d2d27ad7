"""voice_start, voice_chunk and voice_complete."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.domain.commands import VoiceChunk, VoiceComplete, VoiceStart
from app.socket_events.handling import socket_handler
from app.use_cases.identity import Caller

if TYPE_CHECKING:
    from app.container import Container


@socket_handler("voice_start", VoiceStart)
def voice_start(c: Container, caller: Caller, cmd: VoiceStart) -> dict[str, Any]:
    return {"voice_id": c.clips.start(caller, cmd)}


@socket_handler("voice_chunk", VoiceChunk)
def voice_chunk(c: Container, caller: Caller, cmd: VoiceChunk) -> dict[str, Any]:
    return {"received_bytes": c.clips.add_chunk(caller, cmd)}


@socket_handler("voice_complete", VoiceComplete)
def voice_complete(c: Container, caller: Caller, cmd: VoiceComplete) -> dict[str, Any]:
    return {"voice_id": cmd.voice_id, "interaction_id": c.voice.complete(caller, cmd)}
