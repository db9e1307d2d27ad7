"""Socket.IO event handlers: thin, each calls a service."""

from app.socket_events import connection, questions, voice  # noqa: F401
