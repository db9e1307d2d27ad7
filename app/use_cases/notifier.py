"""What the use cases send to clients besides stream events (implemented at the edge)."""

from __future__ import annotations

from typing import Protocol

from app.domain.errors import Refused
from app.streaming.ports import Transport
from app.use_cases.credits import CreditNote


class Notifier(Transport, Protocol):
    """The transport, plus the two messages that are not stream events."""

    def send_error(self, sid: str, error: Refused) -> None: ...
    def notify_credits(self, user_id: str, note: CreditNote) -> None: ...
