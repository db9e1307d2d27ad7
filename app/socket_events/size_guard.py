"""Per-event size ceilings, checked on the raw Socket.IO packet before its JSON is decoded.

Engine.IO only enforces `MAX_MESSAGE_BYTES` (its `max_http_buffer_size`), which
must admit a whole voice clip in one `voice_complete` (4/3 x `MAX_AUDIO_BYTES`
plus framing). Below it, python-socketio decodes every message in full: a 15 MB
`pause_explanation` was sliced and copied several times, parsed into a 15 MB
`interaction_id`, looked up in Redis under a 15 MB key, and echoed back in the
error's `interaction_id` (a 15 MB ack and a 15 MB `error` event: the client saw
no ack in time); three 15 MB messages raised the server's memory by ~150 MB.

`install` wraps the server's Engine.IO message handler (pinned python-socketio)
so each text packet is measured against its event's ceiling first, reading only
its header (type, namespace, ack id, event name): `voice_complete` may carry a
whole clip, `voice_chunk` up to `MAX_VOICE_CHUNK_BYTES`, anything else up to
`MAX_EVENT_BYTES`. An event over its ceiling is answered without decoding it:
an `error` event and the ack `{ok: false, error}` with the code the service
would give that payload (`question_too_long` for `ask_question`, `not_found`
for pause/resume/stop, whose only unbounded field is the interaction id,
`audio_too_large` for voice, `invalid_payload` otherwise). A packet the decoder rejects (too deep, a
malformed body) is `invalid_payload` too. Binary attachments, which the
contract does not use and the library would buffer without a count limit, are
refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from socketio import packet

from app.config import Settings
from app.domain.errors import Refused
from app.socket_events.event_guard import answer_refusal
from app.socket_events.messages import MESSAGES

# type, attachment count, namespace, ack id: the library's own packet header.
_HEADER = re.compile(
    r"(?P<type>\d)(?:(?P<attachments>\d{1,10})-)?(?P<ns>/[^,]{0,200},)?(?P<id>\d{1,20})?"
)
_NAME = re.compile(r'\[\s*"(?P<name>[A-Za-z0-9_]{1,64})"')
HEAD_CHARS = 512  # enough for any header and event name; never read further
# The code the service itself gives such a payload, so the guard changes what a request
# costs, not what the client sees: an over-long question, an interaction id that names
# no interaction, a clip over its limit. Anything else is invalid_payload.
TOO_LARGE_CODES = {
    "ask_question": "question_too_long",
    "pause_explanation": "not_found",
    "resume_explanation": "not_found",
    "stop_explanation": "not_found",
    "voice_chunk": "audio_too_large",
    "voice_complete": "audio_too_large",
}


@dataclass(frozen=True)
class SizeLimits:
    """The byte ceiling of each event's message; `default` for every other packet."""

    default: int
    per_event: Mapping[str, int]

    @classmethod
    def from_settings(cls, settings: Settings) -> SizeLimits:
        return cls(
            default=settings.MAX_EVENT_BYTES,
            per_event={
                "voice_chunk": settings.voice_chunk_bytes,
                "voice_complete": settings.clip_message_bytes,
            },
        )

    def for_event(self, event: str | None) -> int:
        return self.per_event.get(event or "", self.default)


@dataclass(frozen=True)
class Header:
    """What a raw text packet says before its body: enough to route an answer."""

    packet_type: int
    namespace: str | None
    ack_id: int | None
    event: str | None


def read_header(data: str) -> Header | None:
    """Parse a packet's header from its first characters only; None if it has none."""
    head = data[:HEAD_CHARS]
    match = _HEADER.match(head)
    if match is None:
        return None
    kind = int(match["type"])
    event = None
    if kind in (packet.EVENT, packet.BINARY_EVENT):
        name = _NAME.match(head, match.end())
        event = name["name"] if name else None
    return Header(
        packet_type=kind,
        namespace=match["ns"][:-1] if match["ns"] else None,
        ack_id=int(match["id"]) if match["id"] else None,
        event=event,
    )


def exceeds(data: str, limit: int) -> bool:
    """Whether the UTF-8 size of `data` is over `limit`, encoding only near the limit."""
    if len(data) > limit:
        return True
    if len(data) * 4 <= limit:
        return False
    return len(data.encode("utf-8", "surrogatepass")) > limit


def too_large(event: str | None, limit: int) -> Refused:
    """The refusal of an event over its ceiling, with the contract's code for that event."""
    code = TOO_LARGE_CODES.get(event or "", "invalid_payload")
    if code in ("question_too_long", "not_found"):
        return Refused(code)  # the service's own message for it
    return Refused(code, "too_large", limit=limit)


def install(server: Any, limits: SizeLimits) -> None:
    """Measure every incoming Engine.IO message before python-socketio decodes it."""
    original = server._handle_eio_message
    if getattr(original, "_size_guard", False):
        return

    def connected(eio_sid: str, header: Header) -> bool:
        sid = server.manager.sid_from_eio_sid(eio_sid, header.namespace or "/")
        return sid is not None and server.manager.is_connected(sid, header.namespace or "/")

    def answer(eio_sid: str, header: Header, error: Refused) -> None:
        if header.packet_type == packet.CONNECT:  # the contract's one refusal shape
            data = {"code": "unauthorized", "message": MESSAGES["unauthorized"]}
            refused = {"message": "unauthorized", "data": data}
            server._send_packet(
                eio_sid,
                server.packet_class(packet.CONNECT_ERROR, data=refused, namespace=header.namespace),
            )
        elif header.packet_type in (packet.EVENT, packet.BINARY_EVENT) and connected(
            eio_sid, header
        ):
            handled = server.handlers.get(header.namespace or "/", {})
            label = header.event if header.event in handled else "unknown"
            answer_refusal(server, eio_sid, header.namespace, header.ack_id, error, label)
        # anything else (acks, disconnects, sockets not connected) is dropped

    def guarded(eio_sid: str, data: Any) -> Any:
        if not isinstance(data, str):  # a binary attachment: only of a packet we let through
            if eio_sid in server._binary_packet:
                return original(eio_sid, data)
            return None
        header = read_header(data)
        if header is None:
            return None  # not a Socket.IO packet
        limit = limits.for_event(header.event)
        if exceeds(data, limit):
            return answer(eio_sid, header, too_large(header.event, limit))
        if header.packet_type in (packet.BINARY_EVENT, packet.BINARY_ACK):
            return answer(eio_sid, header, Refused("invalid_payload", "binary"))
        try:
            return original(eio_sid, data)
        except (ValueError, RecursionError):
            if header.packet_type != packet.EVENT:
                raise
            return answer(eio_sid, header, Refused("invalid_payload"))

    guarded._size_guard = True  # type: ignore[attr-defined]
    server._handle_eio_message = guarded
    server.eio.on("message", guarded)  # the Engine.IO server holds the bound method
