"""Opening a socket session: verify, make the profile on first sight, reuse or take
over the Redis session, and describe what can be resumed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.repositories.redis.sessions import Session, SessionRepository
from app.services import credit_service
from app.services.interaction_service import UowFactory


@dataclass(frozen=True)
class OpenedSession:
    session: Session
    credits: int
    taken_over_sid: str | None  # another live socket that held this session


class SessionService:
    def __init__(
        self,
        sessions: SessionRepository,
        uow_factory: UowFactory,
        new_user_credits: int,
        is_connected: Callable[[str], bool],
        shared_instances: bool = False,
    ) -> None:
        self.sessions = sessions
        self.uow_factory = uow_factory
        self.new_user_credits = new_user_credits
        self.is_connected = is_connected
        # With a message queue the holder may live on another instance, where a
        # relayed disconnect reaches it; locally we can tell whether it still lives.
        self.shared_instances = shared_instances

    def open(self, claims: dict[str, Any], requested_session_id: Any, sid: str) -> OpenedSession:
        """Reuse the requested session only for the same user while it lives."""
        user_id = str(claims["sub"])
        credits = credit_service.ensure_profile(
            self.uow_factory, user_id, claims.get("email"), self.new_user_credits
        )
        session = None
        if isinstance(requested_session_id, str) and 0 < len(requested_session_id) <= 100:
            found = self.sessions.get_session(requested_session_id)
            if found is not None and found.user_id == user_id:
                session = found
        taken_over = None
        if session is None:
            session = self.sessions.create_session(user_id, sid)
        else:
            if session.sid and session.sid != sid:
                if self.shared_instances or self.is_connected(session.sid):
                    taken_over = session.sid
            self.sessions.update_session(session.session_id, sid=sid)
        return OpenedSession(session, credits, taken_over)

    def close(self, session_id: str | None, sid: str) -> None:
        """Forget the socket, keep the session (and its paused stream) until its TTL."""
        if not session_id:
            return
        session = self.sessions.get_session(session_id)
        if session is not None and session.sid == sid:
            self.sessions.update_session(session_id, sid=None)

    def touch(self, session_id: str) -> None:
        self.sessions.renew_ttl(session_id)
