"""What the streamer needs from outside: a way to send events to one socket."""

from __future__ import annotations

from typing import Any, Protocol

from app.domain.event_plan import PlannedEvent


class Transport(Protocol):
    """Sends events to one socket, in order."""

    def send(self, sid: str, event: str, payload: dict[str, Any]) -> None: ...

    def send_planned(self, sid: str, event: PlannedEvent, interaction_id: str, seq: int) -> None:
        """A planned event with its identity: `{interaction_id, seq, **event.payload}`."""


def planned_payload(event: PlannedEvent, interaction_id: str, seq: int) -> dict[str, Any]:
    """The payload `send_planned` stands for (for transports that send dicts)."""
    return {"interaction_id": interaction_id, "seq": seq, **event.payload}
