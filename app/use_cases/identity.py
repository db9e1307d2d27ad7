"""Who sent an event: the authenticated user, their session and their socket."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Caller:
    user_id: str
    session_id: str
    sid: str
