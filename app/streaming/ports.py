"""What the streamer needs from outside: a way to send events to one socket."""

from __future__ import annotations

from typing import Any, Protocol


class Transport(Protocol):
    """Sends events to one socket, in order."""

    def send(self, sid: str, event: str, payload: dict[str, Any]) -> None: ...
