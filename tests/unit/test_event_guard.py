"""Which EVENT packets the guard refuses before python-socketio dispatches them."""

from __future__ import annotations

from typing import Any

import pytest

from app.socket_events.event_guard import refusal
from app.socket_events.messages import describe


@pytest.mark.parametrize("name", ["connect", "disconnect", "connect_error", "error", "message"])
def test_reserved_names_are_refused_naming_the_event(name: str) -> None:
    error = refusal([name, {}])
    assert error is not None and error.code == "invalid_payload"
    assert name in describe(error)


@pytest.mark.parametrize("data", [None, {}, "ask_question", [], [1], [None, {}], [["x"]]], ids=repr)
def test_packets_without_a_string_name_are_refused(data: Any) -> None:
    assert refusal(data) is not None


@pytest.mark.parametrize("name", ["ask_question", "voice_chunk", "no_such_event", "Connect"])
def test_other_names_are_dispatched(name: str) -> None:
    assert refusal([name, {"question": "hola"}]) is None
