"""Opening a socket session: the profile on first sight, then reuse or take over the
Redis session the client asks for, or a new one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.repositories.interfaces import StoreUnitOfWork
from app.repositories.redis.sessions import Session
from app.use_cases import credits

MAX_SESSION_ID_CHARS = 100


@dataclass(frozen=True)
class OpenSession:
    user_id: str
    email: str | None
    sid: str
    requested_session_id: object  # whatever the client sent; only a live one of theirs counts
    new_user_credits: int


@dataclass(frozen=True)
class OpenedSession:
    session: Session
    credits: int
    taken_over_sid: str | None  # another live socket that held this session


def open_session(
    cmd: OpenSession, uow: StoreUnitOfWork, still_connected: Callable[[str], bool]
) -> OpenedSession:
    """Reuse the requested session only for the same user while it lives.

    `still_connected(sid)` says whether the socket that held it may still be alive
    (locally known; with several instances, assumed), so it must be taken over.
    """
    with uow:
        balance = credits.ensure_profile(uow, cmd.user_id, cmd.email, cmd.new_user_credits)
        uow.commit()
    requested = cmd.requested_session_id
    session = None
    if isinstance(requested, str) and 0 < len(requested) <= MAX_SESSION_ID_CHARS:
        found = uow.sessions.get(requested)
        if found is not None and found.user_id == cmd.user_id:
            session = found
    if session is None:
        return OpenedSession(uow.sessions.create(cmd.user_id, cmd.sid), balance, None)
    taken_over = None
    if session.sid and session.sid != cmd.sid and still_connected(session.sid):
        taken_over = session.sid
    uow.sessions.attach(session.session_id, cmd.sid)
    return OpenedSession(session, balance, taken_over)


def close_session(session_id: str, sid: str, uow: StoreUnitOfWork) -> None:
    """Forget the socket, keep the session (and its paused stream) until its TTL."""
    with uow:
        uow.sessions.detach(session_id, sid)
