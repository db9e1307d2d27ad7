"""The size guard's header reading, measuring and answers (app/socket_events/size_guard.py).

The wrapper is driven through a stand-in for python-socketio's server that records
the packets it would send; the real transport is tested in
tests/integration/test_size_guard.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from socketio import packet

from app.config import load_settings
from app.socket_events.size_guard import Header, SizeLimits, exceeds, install, read_header

LIMITS = SizeLimits(default=100, per_event={"voice_chunk": 200, "voice_complete": 400})


@pytest.mark.parametrize(
    ("raw", "header"),
    [
        ('2["ask_question",{"question":"x"}]', Header(2, None, None, "ask_question")),
        ('217["pause_explanation"]', Header(2, None, 17, "pause_explanation")),
        ('2/admin,3["voice_chunk",{}]', Header(2, "/admin", 3, "voice_chunk")),
        ('51-4["voice_chunk",{"_placeholder":true}]', Header(5, None, 4, "voice_chunk")),
        ('2["bad\\"name"]', Header(2, None, None, None)),
        ("2[42]", Header(2, None, None, None)),
        ('0{"token":"t"}', Header(0, None, None, None)),
        ("3[]", Header(3, None, None, None)),
    ],
)
def test_the_header_is_read_from_the_first_characters(raw: str, header: Header) -> None:
    assert read_header(raw) == header
    assert read_header(raw + "x" * 10_000) == header


def test_text_that_is_no_packet_has_no_header() -> None:
    assert read_header("hello") is None
    assert read_header("") is None


def test_size_is_measured_in_utf8_bytes() -> None:
    assert not exceeds("a" * 100, 100)
    assert exceeds("a" * 101, 100)
    assert exceeds("é" * 60, 100)  # 60 characters, 120 bytes
    assert not exceeds("é" * 50, 100)


def test_limits_from_the_settings() -> None:
    settings = load_settings(MAX_AUDIO_BYTES=3_000_000, MAX_EVENT_BYTES=8192)
    limits = SizeLimits.from_settings(settings)
    clip = 3_000_000 * 4 // 3 + 64 * 1024
    assert limits.for_event("voice_complete") == clip == settings.clip_message_bytes
    assert limits.for_event("voice_chunk") == clip  # the contract lets one chunk carry it all
    assert limits.for_event("ask_question") == limits.for_event(None) == 8192
    chunked = load_settings(MAX_VOICE_CHUNK_BYTES=65_536)
    assert SizeLimits.from_settings(chunked).for_event("voice_chunk") == 65_536


class StandInServer:
    """What the guard touches of python-socketio's Server, recording what it sends."""

    packet_class = packet.Packet

    def __init__(self, connected: bool = True) -> None:
        self.delivered: list[Any] = []
        self.sent: list[packet.Packet] = []
        self._binary_packet: dict[str, Any] = {}
        self.handlers = {"/": {"ask_question": object()}}
        self.eio = self
        self.eio_handlers: dict[str, Any] = {}
        self.manager = self
        self._connected = connected

    def on(self, event: str, handler: Any) -> None:
        self.eio_handlers[event] = handler

    def sid_from_eio_sid(self, eio_sid: str, namespace: str) -> str | None:
        return "sid" if self._connected else None

    def is_connected(self, sid: str, namespace: str) -> bool:
        return self._connected

    def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        if isinstance(data, str) and data.startswith("2") and "[[[[" in data:
            raise RecursionError("maximum recursion depth exceeded while decoding")
        self.delivered.append(data)

    def _send_packet(self, eio_sid: str, pkt: packet.Packet) -> None:
        self.sent.append(pkt)


@pytest.fixture
def server() -> StandInServer:
    stand_in = StandInServer()
    install(stand_in, LIMITS)
    return stand_in


def test_it_replaces_both_entry_points(server: StandInServer) -> None:
    assert server.eio_handlers["message"] is server._handle_eio_message
    install(server, LIMITS)  # idempotent
    assert server.eio_handlers["message"] is server._handle_eio_message


def test_packets_within_their_ceiling_are_delivered(server: StandInServer) -> None:
    small = '2["ask_question",{"question":"hola"}]'
    chunk = '2["voice_chunk",{"data":"' + "A" * 150 + '"}]'
    server._handle_eio_message("e", small)
    server._handle_eio_message("e", chunk)
    assert server.delivered == [small, chunk] and server.sent == []


@pytest.mark.parametrize(
    ("event", "size", "code"),
    [
        ("ask_question", 101, "question_too_long"),
        ("pause_explanation", 101, "not_found"),
        ("voice_start", 101, "invalid_payload"),
        ("voice_chunk", 201, "audio_too_large"),
        ("voice_complete", 401, "audio_too_large"),
    ],
)
def test_an_event_over_its_ceiling_is_answered_not_delivered(
    server: StandInServer, event: str, size: int, code: str
) -> None:
    prefix = f'27["{event}",{{"x":"'
    raw = prefix + "x" * (size - len(prefix) - 3) + '"}]'
    assert len(raw) == size
    server._handle_eio_message("e", raw)
    assert server.delivered == []
    error, ack = server.sent
    assert error.packet_type == packet.EVENT and error.data[0] == "error"
    assert error.data[1]["code"] == code
    assert ack.packet_type == packet.ACK and ack.id == 7
    assert ack.data == [{"ok": False, "error": error.data[1]}]


def test_without_an_ack_id_only_the_error_event_is_sent(server: StandInServer) -> None:
    server._handle_eio_message("e", '2["stop_explanation","' + "x" * 200 + '"]')
    assert [p.data[0] for p in server.sent] == ["error"]


def test_a_payload_the_decoder_rejects_is_invalid_payload(server: StandInServer) -> None:
    server._handle_eio_message("e", '23["ask_question",[[[[]]]]]')
    assert server.sent[1].data[0]["error"]["code"] == "invalid_payload"


def test_binary_events_are_refused_and_stray_attachments_dropped(server: StandInServer) -> None:
    server._handle_eio_message("e", '51-9["voice_chunk",{"_placeholder":true,"num":0}]')
    server._handle_eio_message("e", b"\x00\x01")
    assert server.delivered == []
    assert server.sent[1].id == 9
    assert server.sent[1].data[0]["error"]["code"] == "invalid_payload"


def test_an_oversized_connect_is_refused_like_a_bad_token(server: StandInServer) -> None:
    server._handle_eio_message("e", '0{"token":"' + "x" * 200 + '"}')
    (refusal,) = server.sent
    assert refusal.packet_type == packet.CONNECT_ERROR
    assert refusal.data["message"] == "unauthorized"
    assert refusal.data["data"]["code"] == "unauthorized"


def test_sockets_not_connected_get_nothing() -> None:
    stand_in = StandInServer(connected=False)
    install(stand_in, LIMITS)
    stand_in._handle_eio_message("e", '21["ask_question","' + "x" * 200 + '"]')
    assert stand_in.sent == [] and stand_in.delivered == []
